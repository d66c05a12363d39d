"""R34 in the operator portal: endpoints through the services, the secret shown once,
deliveries with filters and redeliver, replay from an event, the event log — all of it
refused to staff without the webhook permissions."""

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from events.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from events.services import webhook_delivery_attempt, webhook_endpoint_create
from settings_app.services import postpay_settings_update
from tests.support.actions import place

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://hooks.example.com/postpay"


@pytest.fixture
def wes_client(client, webhook_manager_wes):
    client.force_login(webhook_manager_wes)
    return client


@pytest.fixture
def flow(manual_mode, customer_alice, postpaid_plan, allow_loopback, receiver):
    """An endpoint and the events of a held order (order, account, operation)."""
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    order = place(customer_alice, postpaid_plan)
    return endpoint, order


def admin_pages(endpoint, delivery, event):
    return [
        reverse("admin:events_webhookendpoint_changelist"),
        reverse("admin:events_webhookendpoint_add"),
        reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]),
        reverse("admin:events_webhookendpoint_delete", args=[endpoint.pk]),
        reverse("admin:events_webhookendpoint_rotate_secret", args=[endpoint.pk]),
        reverse("admin:events_webhookendpoint_replay", args=[endpoint.pk]),
        reverse("admin:events_webhookdelivery_changelist"),
        reverse("admin:events_webhookdelivery_change", args=[delivery.pk]),
        reverse("admin:events_webhookdelivery_redeliver", args=[delivery.pk]),
        reverse("admin:events_event_changelist"),
        reverse("admin:events_event_change", args=[event.pk]),
    ]


@pytest.mark.parametrize("persona", ["bare_staff_bea", "staff_sam", "manager_max"])
def test_r34_webhook_admin_pages_are_refused_to_staff_without_the_webhook_permissions(request, client, persona, flow):
    """Endpoints and deliveries are the webhook managers'; the event log is read by the
    staff of the shipped groups too (CONTRACT §4: "Events — staff read"), not by bare staff."""
    endpoint, _ = flow
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    client.force_login(request.getfixturevalue(persona))
    event_log = [
        reverse("admin:events_event_changelist"),
        reverse("admin:events_event_change", args=[delivery.event.pk]),
    ]
    for url in event_log:
        assert client.get(url).status_code == (403 if persona == "bare_staff_bea" else 200), url
    for url in admin_pages(endpoint, delivery, delivery.event):
        if url in event_log:
            continue
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"after": delivery.event_id, "url": PUBLIC_URL, "events": ["*"]}).status_code == 403, (
            url
        )
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
    assert WebhookEndpoint.objects.count() == 1
    index = client.get(reverse("admin:index")).content
    assert reverse("admin:events_webhookendpoint_changelist").encode() not in index
    if persona == "bare_staff_bea":
        assert b"Events and webhooks" not in index


def test_r34_webhook_managers_and_superusers_open_every_page(client, webhook_manager_wes, admin_ada, flow):
    endpoint, _ = flow
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    for user in (webhook_manager_wes, admin_ada):
        client.force_login(user)
        for url in admin_pages(endpoint, delivery, delivery.event):
            assert client.get(url).status_code == 200, url


def test_r34_admin_creates_an_endpoint_through_the_service_and_shows_the_secret_once(wes_client):
    response = wes_client.post(
        reverse("admin:events_webhookendpoint_add"),
        {"url": PUBLIC_URL, "events": ["order.status_changed"], "description": "ERP"},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["order.status_changed"]
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    for url in (
        reverse("admin:events_webhookendpoint_changelist"),
        reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]),
    ):
        assert endpoint.secret not in wes_client.get(url).content.decode()

    rotated = wes_client.post(reverse("admin:events_webhookendpoint_rotate_secret", args=[endpoint.pk]))
    new_secret = WebhookEndpoint.objects.get().secret
    assert new_secret != endpoint.secret and new_secret in rotated.content.decode()
    page = wes_client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert new_secret not in page and endpoint.secret not in page
    assert "previous secret also signs deliveries" in page


def test_r34_admin_refuses_a_private_url_through_the_service(wes_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = wes_client.post(
        reverse("admin:events_webhookendpoint_add"), {"url": "http://169.254.169.254/", "events": ["*"]}
    )
    assert response.status_code == 200
    assert "private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    endpoint = webhook_endpoint_create(actor=None, url=PUBLIC_URL, events=["*"])
    changed = wes_client.post(
        reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]),
        {"url": "http://10.0.0.5/", "events": ["*"], "active": "on"},
    )
    assert "private address" in changed.content.decode()
    assert WebhookEndpoint.objects.get().url == PUBLIC_URL
    wes_client.post(
        reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]),
        {"url": PUBLIC_URL, "events": ["order.created"], "description": "orders"},
    )
    assert WebhookEndpoint.objects.values_list("events", "active", "description").get() == (
        ["order.created"],
        False,
        "orders",
    )


def test_r34_admin_lists_an_endpoints_deliveries_by_status_and_event_type(wes_client, flow, receiver):
    endpoint, _ = flow
    delivered = WebhookDelivery.objects.get(endpoint=endpoint, event__type="order.created")
    webhook_delivery_attempt(delivery_id=delivered.pk)
    base = reverse("admin:events_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
    page = wes_client.get(base).content.decode()
    assert page.count('name="_selected_action"') == 3
    succeeded = wes_client.get(base + "&status__exact=succeeded").content.decode()
    assert succeeded.count('name="_selected_action"') == 1 and delivered.event_id in succeeded
    typed = wes_client.get(base + "&event_type=manual_operation.created").content.decode()
    assert typed.count('name="_selected_action"') == 1


def test_r34_admin_redelivers_selected_deliveries_and_reports_them(wes_client, flow, receiver):
    endpoint, _ = flow
    for delivery in WebhookDelivery.objects.all():
        webhook_delivery_attempt(delivery_id=delivery.pk)
    ids = list(WebhookDelivery.objects.order_by("id").values_list("pk", flat=True))
    response = wes_client.post(
        reverse("admin:events_webhookdelivery_changelist"),
        {"action": "redeliver_selected", "_selected_action": ids},
        follow=True,
    )
    assert f"Queued {len(ids)} delivery(ies) to be sent again" in response.content.decode()
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}


def test_r34_admin_replays_an_endpoint_from_an_event(wes_client, flow):
    endpoint, _ = flow
    first = Event.objects.get(type="order.created")  # then the account's change and the operation
    url = reverse("admin:events_webhookendpoint_replay", args=[endpoint.pk])
    response = wes_client.post(url, {"after": first.pk}, follow=True)
    assert "Queued 2 event(s)" in response.content.decode()
    unknown = wes_client.post(url, {"after": "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    assert unknown.status_code == 200 and "No such event." in unknown.content.decode()


def test_r34_the_event_log_links_each_event_to_what_it_is_about(wes_client, flow, manager_max):
    _, order = flow
    postpay_settings_update(actor=manager_max, trial_requires_approval=True)
    page = wes_client.get(reverse("admin:events_event_changelist")).content.decode()
    for url in (
        reverse("admin:subscriptions_order_change", args=[order.pk]),
        reverse("admin:accounts_account_change", args=[order.account_id]),
        reverse("admin:manual_operations_manualoperation_change", args=[order.manual_operation.pk]),
        reverse("admin:settings_app_postpaysettings_change", args=[1]),
    ):
        assert f'href="{url}"' in page, url
    event = Event.objects.get(type="order.created")
    detail = wes_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "waiting_for_approval" in detail and "Save" not in detail


def test_r34_admin_deletes_an_endpoint_with_its_deliveries_and_keeps_the_events(wes_client, flow):
    endpoint, _ = flow
    events_before = Event.objects.count()
    page = wes_client.get(reverse("admin:events_webhookendpoint_delete", args=[endpoint.pk])).content.decode()
    assert "webhook deliveries: 3" in page.lower() or "Webhook deliveries: 3" in page
    wes_client.post(reverse("admin:events_webhookendpoint_delete", args=[endpoint.pk]), {"post": "yes"})
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert Event.objects.count() == events_before


def test_r34_admin_finds_an_event_and_its_deliveries_by_event_id(wes_client, flow):
    event = Event.objects.get(type="order.created")
    other = Event.objects.get(type="manual_operation.created")
    found = wes_client.get(reverse("admin:events_event_changelist"), {"q": event.pk}).content.decode()
    assert reverse("admin:events_event_change", args=[quote(event.pk)]) in found
    assert reverse("admin:events_event_change", args=[quote(other.pk)]) not in found
    deliveries = wes_client.get(reverse("admin:events_webhookdelivery_changelist"), {"q": event.pk})
    assert deliveries.status_code == 200 and deliveries.content.decode().count('name="_selected_action"') == 1
