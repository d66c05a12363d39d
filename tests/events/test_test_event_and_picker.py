"""R34 in the operator portal: "Send a test event" (a ``ping`` to one endpoint, signed and sent
by the delivery task), an event picker where choosing types works and "All events" is an
explicit choice, and the demo's ``integrator`` login that manages endpoints (CONTRACT §5)."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from events.models import DeliveryStatus, Event, EventType, WebhookDelivery, WebhookEndpoint
from events.services import webhook_endpoint_create, webhook_endpoint_ping, webhook_endpoint_replay
from postpay_portal.errors import PermissionDenied
from postpay_portal.groups import WEBHOOK_MANAGERS_GROUP
from settings_app.services import postpay_settings_update
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:events_webhookendpoint_add")


def ping_url(endpoint):
    return reverse("admin:events_webhookendpoint_ping", args=[endpoint.pk])


def change_url(endpoint):
    return reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])


@pytest.fixture
def wes_client(client, webhook_manager_wes):
    client.force_login(webhook_manager_wes)
    return client


@pytest.fixture
def two_endpoints(allow_loopback, receiver):
    """The one tested, and another that receives every event."""
    tested = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    other = webhook_endpoint_create(actor=None, url=receiver.url + "/other", events=["*"])
    return tested, other


def test_r34_a_test_event_reaches_only_its_endpoint_signed_through_the_delivery_task(
    wes_client, two_endpoints, receiver, django_capture_on_commit_callbacks
):
    tested, other = two_endpoints
    assert wes_client.get(change_url(tested)).content.decode().count(ping_url(tested)) == 1
    confirm = wes_client.get(ping_url(tested))
    assert confirm.status_code == 200 and not Event.objects.exists()  # a GET sends nothing

    with django_capture_on_commit_callbacks(execute=True):  # the delivery task runs after commit
        response = wes_client.post(ping_url(tested), {"confirm": "Send test event"})

    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.type, event.data) == (EventType.PING, {"endpoint": tested.pk})
    [delivery] = WebhookDelivery.objects.all()  # none for the endpoint that receives every event
    assert (delivery.endpoint_id, delivery.status, delivery.attempts) == (tested.pk, DeliveryStatus.SUCCEEDED, 1)
    [received] = receiver.wait_for(1)
    assert received.path == "/hooks" and received.headers["webhook-id"] == event.id
    body = received.verify(WebhookEndpoint.objects.get(pk=tested.pk).secret)  # Standard Webhooks' own check
    assert body == {"id": event.id, "type": "ping", "created_at": body["created_at"], "data": {"endpoint": tested.pk}}
    assert response["Location"].endswith(f"?endpoint__id__exact={tested.pk}")


def test_r34_sending_a_test_event_needs_the_permission_to_change_the_endpoint(client, two_endpoints):
    tested, _ = two_endpoints
    viewer = StaffFactory(username="vic")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_webhookendpoint", "view_webhookdelivery"])
    )
    client.force_login(viewer)
    assert client.get(change_url(tested)).status_code == 200
    assert ping_url(tested) not in client.get(change_url(tested)).content.decode()
    assert client.post(ping_url(tested), {"confirm": "1"}).status_code == 403
    with pytest.raises(PermissionDenied):
        webhook_endpoint_ping(actor=viewer, endpoint_id=tested.pk)
    assert not Event.objects.exists() and not WebhookDelivery.objects.exists()


def test_r34_an_inactive_endpoint_gets_no_test_event(wes_client, two_endpoints):
    tested, _ = two_endpoints
    wes_client.post(change_url(tested), {"url": tested.url, "events": ["order.created"]})  # "active" unticked
    assert not WebhookEndpoint.objects.get(pk=tested.pk).active

    response = wes_client.post(ping_url(tested), {"confirm": "1"})

    assert response.status_code == 200 and "inactive" in response.content.decode()
    assert not Event.objects.filter(type=EventType.PING).exists() and not WebhookDelivery.objects.exists()


def test_r34_test_events_are_not_business_events(api, manual_mode, two_endpoints, admin_ada):
    tested, other = two_endpoints
    anchor = Event.objects.get()  # manual_mode's settings change, before the endpoints
    ping = webhook_endpoint_ping(actor=None, endpoint_id=tested.pk).event
    postpay_settings_update(actor=None, trial_requires_approval=True)  # a business event after it
    client = api(admin_ada)

    listed = [event["type"] for event in client.get("/api/v1/events/").json()["results"]]
    asked = client.get("/api/v1/events/?type=ping").json()["results"]

    assert listed == ["postpay_settings.changed", "postpay_settings.changed"]
    assert [(event["id"], event["data"]) for event in asked] == [(ping.id, {"endpoint": tested.pk})]
    # A replay of the endpoint that receives every event never sends it another's test event.
    assert webhook_endpoint_replay(actor=None, endpoint_id=other.pk, after=anchor.id) == 1
    assert not WebhookDelivery.objects.filter(endpoint=other, event__type=EventType.PING).exists()
    # Nobody subscribes to test events.
    refused = client.post(
        "/api/v1/webhook-endpoints/", {"url": "https://hooks.example.com/x", "events": ["ping"]}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"


def test_r34_choosing_event_types_works_and_all_events_is_an_explicit_choice(wes_client, allow_loopback, receiver):
    page = wes_client.get(ADD).content.decode()
    assert 'value="*"' in page and not re.search(r'name="events"[^>]*checked', page)  # nothing ticked at first
    assert "postpay-event-picker.js" in page and 'value="ping"' not in page

    wes_client.post(ADD, {"url": receiver.url, "events": ["manual_operation.created", "manual_operation.decided"]})
    wes_client.post(ADD, {"url": receiver.url + "/all", "events": ["*"]})
    chosen, everything = WebhookEndpoint.objects.order_by("pk")
    assert chosen.events == ["manual_operation.created", "manual_operation.decided"]
    assert everything.events == ["*"]

    # Types ticked while "All events" is still ticked: the types the operator just chose.
    wes_client.post(change_url(everything), {"url": everything.url, "events": ["*", "order.created"], "active": "on"})
    assert WebhookEndpoint.objects.get(pk=everything.pk).events == ["order.created"]
    # "All events" ticked beside the types an endpoint had: all events.
    wes_client.post(
        change_url(chosen), {"url": chosen.url, "events": ["*", "manual_operation.created"], "active": "on"}
    )
    assert WebhookEndpoint.objects.get(pk=chosen.pk).events == ["*"]
    nothing = wes_client.post(ADD, {"url": receiver.url, "events": []})
    assert nothing.status_code == 200 and nothing.context["form"].errors["events"]


def test_contract_5_the_demo_integrator_manages_webhook_endpoints(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    from accounts.models import User
    from manual_operations.groups import can_decide

    integrator = User.objects.get(username="integrator")
    assert integrator.is_staff and integrator.check_password("postpay-demo")
    assert list(integrator.groups.values_list("name", flat=True)) == [WEBHOOK_MANAGERS_GROUP]
    assert not can_decide(integrator)
    client.force_login(integrator)
    for url in (
        ADD,
        reverse("admin:events_webhookendpoint_changelist"),
        reverse("admin:events_webhookdelivery_changelist"),
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:manual_operations_manualoperation_changelist")).status_code == 403
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    assert User.objects.filter(username="integrator").count() == 1
