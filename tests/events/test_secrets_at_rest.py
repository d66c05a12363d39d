"""Security review, finding 5: webhook signing secrets are encrypted at rest with
``POSTPAY_ENCRYPTION_KEYS`` (CONTRACT §2: Fernet keys, the first encrypts, all decrypt;
derived from DJANGO_SECRET_KEY when unset), and a rotated-out secret is erased when its 24 h
end instead of staying in the row for ever. Signing keeps working (R34)."""

import base64
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from events.models import WebhookEndpoint
from events.services import (
    webhook_delivery_attempt,
    webhook_endpoint_rotate_secret,
    webhook_endpoints_forget_expired_secrets,
)
from events.tasks import forget_expired_webhook_secrets_task
from postpay_portal import encryption
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def stored_row(endpoint_id):
    """Every column of the endpoint's row as the database holds it (what a dump shows)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM events_webhookendpoint WHERE id = %s", [endpoint_id])
        return " ".join(str(value) for value in cursor.fetchone())


def forms_of(secret):
    """The secret as text, and its key bytes in the encodings a dump could show them in."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return [secret, secret.removeprefix("whsec_"), key.hex(), base64.urlsafe_b64encode(key).decode()]


def test_r34_the_database_never_holds_a_secret_the_api_showed(api, webhook_manager_wes, allow_loopback, receiver):
    client = api(webhook_manager_wes)
    created = client.post("/api/v1/webhook-endpoints/", {"url": receiver.url, "events": ["*"]}, format="json").json()
    first = created["secret"]
    row = stored_row(created["id"])
    assert not any(form in row for form in forms_of(first))

    second = client.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret/").json()["secret"]
    row = stored_row(created["id"])
    assert not any(form in row for form in forms_of(first) + forms_of(second))
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (second, first)  # read back through the keys


def test_r34_a_delivery_verifies_with_the_secret_the_api_returned(
    api, webhook_manager_wes, allow_loopback, receiver, customer_alice, postpaid_plan
):
    client = api(webhook_manager_wes)
    created = client.post("/api/v1/webhook-endpoints/", {"url": receiver.url, "events": ["*"]}, format="json").json()
    place(customer_alice, postpaid_plan)
    delivery = WebhookEndpoint.objects.get().deliveries.get(event__type="order.created")
    webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.wait_for(1)
    assert request.verify(created["secret"])["type"] == "order.created"


def expire_previous_secret(endpoint_id):
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_r34_a_previous_secret_is_erased_when_a_delivery_finds_its_24_hours_over(
    endpoint, receiver, customer_alice, postpaid_plan
):
    webhook_endpoint_rotate_secret(actor=None, endpoint_id=endpoint.pk)
    expire_previous_secret(endpoint.pk)
    place(customer_alice, postpaid_plan)
    delivery = endpoint.deliveries.get(event__type="order.created")

    webhook_delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.wait_for(1)
    assert " " not in request.headers["webhook-signature"]  # signed with the current secret only
    erased = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (erased.previous_secret_encrypted, erased.previous_secret_expires_at) == ("", None)


def test_r34_the_periodic_task_erases_expired_previous_secrets_of_idle_endpoints(settings, allow_loopback):
    from events.services import webhook_endpoint_create

    idle, rotated_today = (
        webhook_endpoint_create(actor=None, url=f"https://hooks{n}.example.com/", events=["*"]) for n in (1, 2)
    )
    for endpoint in (idle, rotated_today):
        webhook_endpoint_rotate_secret(actor=None, endpoint_id=endpoint.pk)
    expire_previous_secret(idle.pk)

    assert forget_expired_webhook_secrets_task() == 1

    assert WebhookEndpoint.objects.get(pk=idle.pk).previous_secret_encrypted == ""
    kept = WebhookEndpoint.objects.get(pk=rotated_today.pk)
    assert kept.previous_secret.startswith("whsec_") and kept.has_previous_secret(timezone.now())
    assert webhook_endpoints_forget_expired_secrets() == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "events.forget_expired_webhook_secrets" in scheduled
    assert settings.CELERY_TASK_ROUTES["events.forget_expired_webhook_secrets"] == {"queue": "webhooks"}


def test_the_first_key_encrypts_every_key_decrypts_and_reencrypt_retires_the_old_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.POSTPAY_ENCRYPTION_KEYS = [old]
    from events.services import webhook_endpoint_create

    endpoint = webhook_endpoint_create(actor=None, url="https://hooks.example.com/", events=["*"])
    secret = endpoint.secret
    assert Fernet(old).decrypt(endpoint.secret_encrypted.encode()).decode() == secret

    settings.POSTPAY_ENCRYPTION_KEYS = [new, old]  # rotation: a new key first, the old one kept
    assert WebhookEndpoint.objects.get().secret == secret
    call_command("reencrypt_secrets", verbosity=0)
    settings.POSTPAY_ENCRYPTION_KEYS = [new]  # the old key removed
    assert WebhookEndpoint.objects.get().secret == secret

    settings.POSTPAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(encryption.SecretUnreadable):
        WebhookEndpoint.objects.get().secret  # noqa: B018


def test_the_default_key_comes_from_the_secret_key_and_still_decrypts_once_keys_are_set(settings):
    settings.POSTPAY_ENCRYPTION_KEYS = []
    token = encryption.encrypt("whsec_default")
    assert Fernet(encryption.derived_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"whsec_default"
    settings.POSTPAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert encryption.decrypt(token) == "whsec_default"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_secrets_and_drops_expired_previous_ones():
    executor = MigrationExecutor(connection)
    before, after = [("events", "0001_initial")], [("events", "0002_encrypt_webhook_secrets")]
    executor.migrate(before)
    try:
        old_model = executor.loader.project_state(before).apps.get_model("events", "WebhookEndpoint")
        now = timezone.now()
        rotated = old_model.objects.create(
            url="https://a.example.com/",
            events=["*"],
            secret="whsec_current",
            previous_secret="whsec_previous",
            previous_secret_expires_at=now + timedelta(hours=3),
        )
        stale = old_model.objects.create(
            url="https://b.example.com/",
            events=["*"],
            secret="whsec_only",
            previous_secret="whsec_stale",
            previous_secret_expires_at=now - timedelta(hours=3),
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    migrated = WebhookEndpoint.objects.get(pk=rotated.pk)
    assert (migrated.secret, migrated.previous_secret) == ("whsec_current", "whsec_previous")
    assert migrated.has_previous_secret(timezone.now())
    cleaned = WebhookEndpoint.objects.get(pk=stale.pk)
    assert (cleaned.secret, cleaned.previous_secret, cleaned.previous_secret_expires_at) == ("whsec_only", "", None)
    assert "whsec_" not in stored_row(rotated.pk) + stored_row(stale.pk)
