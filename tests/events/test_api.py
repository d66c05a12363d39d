"""R34 through the REST API (CONTRACT §4): the events list and the webhook endpoints."""

import base64

import pytest

from events.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from settings_app.services import postpay_settings_update
from tests.support.actions import place

pytestmark = pytest.mark.django_db

ENDPOINT_KEYS = {"id", "url", "events", "description", "active", "created_at"}
PUBLIC_URL = "https://hooks.example.com/postpay"  # does not resolve here: accepted, checked at each attempt


def create(client, **body):
    return client.post("/api/v1/webhook-endpoints/", {"url": PUBLIC_URL, "events": ["*"], **body}, format="json")


def test_r34_events_list_is_oldest_first_with_type_and_after_filters(api, webhook_manager_wes, manager_max):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    postpay_settings_update(actor=manager_max, trial_requires_approval=True)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    first, second, third = Event.objects.order_by("id")
    client = api(webhook_manager_wes)  # the event log's readers, as in the operator portal (R33)

    page = client.get("/api/v1/events/").json()
    assert page["count"] == 3
    assert [e["id"] for e in page["results"]] == [first.id, second.id, third.id]
    assert set(page["results"][0]) == {"id", "type", "created_at", "data"}
    assert page["results"][0]["data"]["postpay_settings"]["postpaid_permission_mode"] == "manual"

    after = client.get("/api/v1/events/", {"after": first.id}).json()
    assert [e["id"] for e in after["results"]] == [second.id, third.id]
    assert client.get("/api/v1/events/", {"after": third.id}).json()["results"] == []
    assert client.get("/api/v1/events/", {"type": "order.created"}).json()["count"] == 0


@pytest.mark.parametrize("after", ["evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nonsense", "evt_\u0000"])
def test_r34_an_unknown_after_cursor_is_invalid_on_after(api, webhook_manager_wes, after):
    response = api(webhook_manager_wes).get("/api/v1/events/", {"after": after})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "after" in response.json()["fields"]


def test_r34_creating_an_endpoint_shows_its_secret_once(api, admin_ada):
    client = api(admin_ada)
    response = create(client, events=["order.status_changed", "manual_operation.decided"], description="ERP")
    assert response.status_code == 201
    created = response.json()
    assert set(created) == ENDPOINT_KEYS | {"secret"}
    assert created["active"] is True and created["events"] == ["order.status_changed", "manual_operation.decided"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[len("whsec_") :])) >= 24

    for url in ("/api/v1/webhook-endpoints/", f"/api/v1/webhook-endpoints/{created['id']}/"):
        text = client.get(url).content.decode()
        assert secret not in text and "secret" not in text
    patched = client.patch(f"/api/v1/webhook-endpoints/{created['id']}/", {"active": False}, format="json")
    assert set(patched.json()) == ENDPOINT_KEYS and patched.json()["active"] is False

    rotated = client.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != secret
    assert rotated.json()["secret"] not in client.get(f"/api/v1/webhook-endpoints/{created['id']}/").content.decode()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://hooks.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pass@hooks.example.com/"}, "url"),
        ({"events": ["order.deleted"]}, "events"),
        ({"events": []}, "events"),
        ({"events": ["*", "order.created"]}, "events"),
    ],
)
def test_r34_a_bad_url_or_event_type_is_invalid(api, admin_ada, body, field):
    response = create(api(admin_ada), **body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://[::1]/hooks",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
    ],
)
def test_r34_a_private_host_is_refused_unless_allowed(api, admin_ada, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client = api(admin_ada)
    response = create(client, url=url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "private address" in response.json()["fields"]["url"][0]
    endpoint = create(client, url=PUBLIC_URL).json()
    changed = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}/", {"url": url}, format="json")
    assert changed.status_code == 400 and "url" in changed.json()["fields"]
    assert WebhookEndpoint.objects.get().url == PUBLIC_URL

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert create(client, url=url).status_code == 201


def test_r34_deleting_an_endpoint_answers_204_and_takes_its_deliveries(api, admin_ada, customer_alice, postpaid_plan):
    client = api(admin_ada)
    endpoint = create(client).json()
    place(customer_alice, postpaid_plan)
    assert WebhookDelivery.objects.count() == 1
    response = client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}/")
    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert Event.objects.count() == 1  # the event log keeps it
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/").status_code == 404


def test_r34_deliveries_are_listed_newest_first_and_redelivered_and_replayed(
    api, webhook_manager_wes, customer_alice, postpaid_plan
):
    client = api(webhook_manager_wes)
    endpoint = create(client, events=["order.created"]).json()
    place(customer_alice, postpaid_plan)
    place(customer_alice, postpaid_plan)
    first_event, second_event = Event.objects.order_by("id")
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/"
    listed = client.get(url).json()
    assert [d["event"] for d in listed["results"]] == [second_event.id, first_event.id]
    assert set(listed["results"][0]) == {
        "id",
        "event",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    }
    assert listed["results"][0]["event_type"] == "order.created"
    assert listed["results"][0]["status"] == "pending"
    assert client.get(url, {"status": "succeeded"}).json()["count"] == 0
    assert client.get(url, {"status": "sometimes"}).status_code == 400

    first = WebhookDelivery.objects.get(event=first_event)
    redelivered = client.post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/")
    assert redelivered.status_code == 202
    assert (redelivered.json()["id"], redelivered.json()["event"], redelivered.json()["status"]) == (
        first.pk,
        first_event.id,
        DeliveryStatus.PENDING,
    )

    replay = client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/replay/", {"after": first_event.id}, format="json"
    )
    assert (replay.status_code, replay.json()) == (202, {"queued": 1})
    unknown = client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/replay/",
        {"after": "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        format="json",
    )
    assert unknown.status_code == 400 and "after" in unknown.json()["fields"]
    assert client.post("/api/v1/webhook-deliveries/999999/redeliver/").status_code == 404
    assert client.get("/api/v1/webhook-endpoints/999999/deliveries/").status_code == 404


def test_r34_customers_get_403_on_every_events_and_webhook_endpoint(api, customer_alice, webhook_manager_wes):
    endpoint = create(api(webhook_manager_wes)).json()
    client = api(customer_alice)
    calls = [
        ("get", "/api/v1/events/"),
        ("get", "/api/v1/webhook-endpoints/"),
        ("post", "/api/v1/webhook-endpoints/"),
        ("get", f"/api/v1/webhook-endpoints/{endpoint['id']}/"),
        ("patch", f"/api/v1/webhook-endpoints/{endpoint['id']}/"),
        ("delete", f"/api/v1/webhook-endpoints/{endpoint['id']}/"),
        ("post", f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret/"),
        ("get", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/"),
        ("post", f"/api/v1/webhook-endpoints/{endpoint['id']}/replay/"),
        ("post", "/api/v1/webhook-deliveries/1/redeliver/"),
    ]
    for method, url in calls:
        response = getattr(client, method)(url, {}, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied"), (method, url)
    assert WebhookEndpoint.objects.count() == 1


def test_r34_event_and_delivery_lists_run_a_fixed_number_of_queries(
    api, webhook_manager_wes, customer_alice, postpaid_plan
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    endpoint = create(api(webhook_manager_wes)).json()
    deliveries = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/?page_size=200"
    counts = {}
    for rows in (2, 12):
        while Event.objects.count() < rows:
            place(customer_alice, postpaid_plan)
        for client, url in (
            (api(webhook_manager_wes), "/api/v1/events/?page_size=200"),
            (api(webhook_manager_wes), deliveries),
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert len(client.get(url).json()["results"]) == rows
            counts.setdefault(url, []).append(len(ctx.captured_queries))
    for url, (few, many) in counts.items():
        assert few == many, (url, few, many)
