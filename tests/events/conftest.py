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


@pytest.fixture
def api(db):
    """``api(user)`` → a DRF client sending that user's token; ``api()`` is anonymous."""
    from rest_framework.test import APIClient

    from tests.factories import api_token_for

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
        return client

    return make


@pytest.fixture
def webhook_manager_wes(db):
    """Staff in the group "Webhook managers" only."""
    from postpay_portal.groups import WEBHOOK_MANAGERS_GROUP
    from tests.factories import StaffFactory, join_groups

    user = StaffFactory(username="wes")
    join_groups(user, WEBHOOK_MANAGERS_GROUP)
    return user
