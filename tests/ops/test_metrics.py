"""R35, CONTRACT §3 ``/metrics``: Prometheus text with the contract's names, domain figures
every web process agrees on, and access only from loopback or with the bearer token."""

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import AccountFactory, CustomerFactory, api_token_for
from tests.support.web import METRICS_TOKEN

CONTRACT_SAMPLES = {
    "postpay_manual_operations_open",
    "postpay_manual_operation_oldest_open_age_seconds",
    "postpay_orders",
    "postpay_provisioning_attempts_total",
    "postpay_webhook_deliveries",
}


def parse(text):
    """``{(sample name, frozenset(labels)): value}`` and ``{family name: type}``."""
    samples, types = {}, {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples, types


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def scrape(process, **headers):
    status, _, text = process.request("GET", "/metrics", headers=headers)
    assert status == 200, text
    return parse(text)


def token_for(user):
    return api_token_for(user)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r35_metrics_has_every_contract_name_with_its_type(web_processes):
    (web,) = web_processes(1)
    web.request("GET", "/healthz/")  # one request observed by the duration histogram
    samples, types = scrape(web)

    names = {name for name, _ in samples}
    assert CONTRACT_SAMPLES <= names
    assert types["postpay_manual_operations_open"] == "gauge"
    assert types["postpay_manual_operation_oldest_open_age_seconds"] == "gauge"
    assert types["postpay_orders"] == "gauge"
    assert types["postpay_provisioning_attempts"] == "counter"
    assert types["postpay_webhook_deliveries"] == "gauge"
    # One series per stored order status, zeros included; each outcome and delivery status.
    from subscriptions.models import OrderStatus

    assert {dict(labels)["status"] for name, labels in samples if name == "postpay_orders"} == set(OrderStatus.values)
    assert {dict(labels)["outcome"] for name, labels in samples if name == "postpay_provisioning_attempts_total"} == {
        "succeeded",
        "failed",
        "abandoned",
    }
    assert {dict(labels)["status"] for name, labels in samples if name == "postpay_webhook_deliveries"} == {
        "pending",
        "succeeded",
        "failed",
    }
    assert value(samples, "postpay_manual_operation_oldest_open_age_seconds") == 0  # none open
    # An HTTP request-duration histogram.
    assert any(types[name] == "histogram" and "latency" in name and name.startswith("django_http") for name in types)
    assert any(name.endswith("_bucket") and name.startswith("django_http_requests_latency") for name, _ in samples)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r35_domain_figures_move_exactly_and_a_second_web_process_reports_the_same(
    web_processes, manual_mode, manager_max, postpaid_plan
):
    first, second = web_processes(2)
    customers = [CustomerFactory(username=f"metrics{i}", account=AccountFactory(name=f"Metrics {i}")) for i in range(3)]
    before, _ = scrape(second)

    # R9: three first gated orders placed through the first process are held.
    order_ids = []
    for customer in customers:
        status, _, text = first.request(
            "POST",
            "/api/v1/orders/",
            payload={"plan": postpaid_plan.pk, "period": "commercial"},
            headers={"Authorization": f"Token {token_for(customer)}"},
        )
        assert status == 201, text
        order_ids.append(json.loads(text)["id"])
    held, _ = scrape(second)
    assert value(held, "postpay_manual_operations_open") == value(before, "postpay_manual_operations_open") + 3
    assert (
        value(held, "postpay_orders", status="waiting_for_approval")
        == value(before, "postpay_orders", status="waiting_for_approval") + 3
    )
    assert value(held, "postpay_manual_operation_oldest_open_age_seconds") > 0

    # R15: two approvals through the first process; each provisions once (tasks run inline).
    from manual_operations.models import ManualOperation

    for order_id in order_ids[:2]:
        operation_id = ManualOperation.objects.get(order_id=order_id).pk
        status, _, text = first.request(
            "POST",
            f"/api/v1/manual-operations/{operation_id}/approve/",
            payload={},
            headers={"Authorization": f"Token {token_for(manager_max)}"},
        )
        assert status == 200, text
    after, _ = scrape(second)
    assert value(after, "postpay_manual_operations_open") == value(before, "postpay_manual_operations_open") + 1
    assert (
        value(after, "postpay_provisioning_attempts_total", outcome="succeeded")
        == value(before, "postpay_provisioning_attempts_total", outcome="succeeded") + 2
    )
    assert value(after, "postpay_orders", status="completed") == value(before, "postpay_orders", status="completed") + 2

    # Every web process reports the same domain values.
    from_first, _ = scrape(first)
    domain = {key: v for key, v in after.items() if key[0].startswith("postpay_") and "oldest" not in key[0]}
    assert {key: from_first[key] for key in domain} == domain


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r35_metrics_through_a_proxy_needs_the_bearer_token(web_processes):
    (web,) = web_processes(1)
    proxied = {"X-Forwarded-For": "198.51.100.7"}  # relayed by a proxy on this host: not loopback
    assert web.request("GET", "/metrics", headers=proxied)[0] == 403
    assert web.request("GET", "/metrics", headers={**proxied, "Authorization": "Bearer wrong-token"})[0] == 403
    status, _, text = web.request("GET", "/metrics", headers={**proxied, "Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200 and "postpay_manual_operations_open" in text
    assert web.request("GET", "/metrics")[0] == 200  # the direct loopback peer needs nothing


@pytest.mark.django_db
def test_r35_metrics_from_another_address_is_403_without_the_token_and_200_with_it(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer other", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-token", **outside).status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", **outside)
    assert response.status_code == 200
    assert "postpay_orders" in response.content.decode()
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


@pytest.mark.django_db
def test_r35_metrics_is_always_403_from_outside_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **outside).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer", **outside).status_code == 403
    # A loopback peer relayed by a proxy is not loopback.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


@pytest.mark.django_db
def test_r34_r35_the_webhook_deliveries_gauge_counts_each_status(client, settings):
    """Real deliveries to a real receiver: one answered 200, one refused with 500 on its last
    attempt, one not attempted yet."""
    from events.models import WebhookDelivery
    from events.services import webhook_delivery_attempt, webhook_endpoint_create
    from settings_app.services import postpay_settings_update
    from tests.events.receiver import Receiver

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver = Receiver().start()
    try:
        webhook_endpoint_create(actor=None, url=receiver.url, events=["postpay_settings.changed"])
        for mode in ("manual", "automatic", "manual"):
            postpay_settings_update(actor=None, postpaid_permission_mode=mode)
        first, second, _ = WebhookDelivery.objects.order_by("id").values_list("pk", flat=True)
        receiver.answers = [200, 500]
        webhook_delivery_attempt(delivery_id=first)
        webhook_delivery_attempt(delivery_id=second)
    finally:
        receiver.stop()
    samples, types = parse(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode())
    assert types["postpay_webhook_deliveries"] == "gauge"
    assert {
        status: value(samples, "postpay_webhook_deliveries", status=status)
        for status in ("pending", "succeeded", "failed")
    } == {"pending": 1, "succeeded": 1, "failed": 1}
