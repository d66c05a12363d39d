import pytest

from tests.events.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def allow_loopback(settings):
    """The receiver listens on 127.0.0.1: allowed for this test only (CONTRACT §2)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def endpoint(db, allow_loopback, receiver):
    from events.services import webhook_endpoint_create

    return webhook_endpoint_create(actor=None, url=receiver.url, events=["*"], description="test receiver")
