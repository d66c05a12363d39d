"""The embedded broker never hands a worker half a message (R22: a worker that dies on a
half-written file stops provisioning until someone restarts it)."""

import pytest
from kombu import Connection
from kombu.transport import filesystem as kombu_filesystem

import postpay_portal.broker as broker
from tests.servers import filesystem_broker


@pytest.fixture
def channel(tmp_path):
    url, options = filesystem_broker(tmp_path)
    with Connection(url, transport_options=options) as connection:
        assert isinstance(connection.transport, broker.Transport)
        yield connection.default_channel


def test_a_reader_during_a_write_sees_no_message(channel, monkeypatch):
    """A consumer polling while a message is being written must find nothing, not an empty
    file (kombu's own transport fails exactly here)."""
    seen = []
    real_dumps = broker.dumps

    def dumps_while_a_worker_polls(payload):
        try:
            seen.append(channel._get("celery"))
        except broker.filesystem.Empty:
            seen.append("empty")
        return real_dumps(payload)

    monkeypatch.setattr(broker, "dumps", dumps_while_a_worker_polls)
    channel._put("celery", {"body": "order 1"})
    assert seen == ["empty"]
    assert channel._get("celery") == {"body": "order 1"}


def test_kombus_own_transport_has_the_race_this_module_closes(tmp_path, monkeypatch):
    """Proof that the test above can fail: the same poll against kombu's transport."""
    url, options = filesystem_broker(tmp_path)
    with Connection(url, transport_options=options, transport=kombu_filesystem.Transport) as connection:
        plain = connection.default_channel
        real_dumps = kombu_filesystem.dumps
        errors = []

        def dumps_while_a_worker_polls(payload):
            try:
                plain._get("celery")
            except ValueError as exc:
                errors.append(exc)
            except kombu_filesystem.Empty:
                pass
            return real_dumps(payload)

        monkeypatch.setattr(kombu_filesystem, "dumps", dumps_while_a_worker_polls)
        plain._put("celery", {"body": "order 1"})
        assert errors, "kombu no longer exposes half-written messages: postpay_portal.broker can go"


def test_a_file_that_is_not_json_is_skipped_not_fatal(channel, tmp_path):
    (tmp_path / "broker" / "1_garbage.celery.msg").write_text("")
    channel._put("celery", {"body": "order 2"})
    assert channel._get("celery") == {"body": "order 2"}
    with pytest.raises(broker.filesystem.Empty):
        channel._get("celery")
