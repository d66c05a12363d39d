"""CONTRACT §2 ``IDEMPOTENCY_TTL_HOURS`` and ``DATABASE_CONN_MAX_AGE``; R30's median time to
decision computed in the database over a bounded window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from manual_operations import reports
from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve
from postpay_portal.models import IdempotencyRecord
from postpay_portal.settings import database_from_url
from postpay_portal.tasks import purge_idempotency_records_task
from subscriptions.models import Order
from tests.factories import AccountFactory, OperatorFactory, api_token_for
from tests.support.api import api_place, body


@pytest.fixture
def api(db):
    """``api(user)`` → a REST client sending that user's token."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
        return client

    return make


def age(key, hours):
    IdempotencyRecord.objects.filter(key=key).update(created_at=timezone.now() - timedelta(hours=hours))


# --- idempotency keys expire ---------------------------------------------------------------


@pytest.mark.django_db
def test_expired_idempotency_records_are_deleted_by_the_purge_task_and_fresh_ones_kept(
    api, customer_alice, postpaid_plan, settings
):
    settings.IDEMPOTENCY_TTL_HOURS = 24
    client = api(customer_alice)
    for key in ("old-1", "old-2", "fresh"):
        assert api_place(client, key, plan=postpaid_plan.pk, period="commercial").status_code == 201
    age("old-1", 25)
    age("old-2", 24 * 30)
    age("fresh", 23)

    deleted = purge_idempotency_records_task.apply().get()

    assert deleted == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert Order.objects.count() == 3  # only the keys are forgotten, never an order


@pytest.mark.django_db
def test_the_purge_task_is_scheduled_by_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "postpay_portal.purge_idempotency_records" in tasks


@pytest.mark.django_db
def test_a_repeat_after_the_key_expired_creates_a_new_order_even_before_the_purge(
    api, customer_alice, postpaid_plan, settings
):
    settings.IDEMPOTENCY_TTL_HOURS = 24
    client = api(customer_alice)
    first = api_place(client, "k-expiring", plan=postpaid_plan.pk, period="commercial")
    age("k-expiring", 23)
    replayed = api_place(client, "k-expiring", plan=postpaid_plan.pk, period="commercial")
    assert (replayed.status_code, body(replayed)) == (201, body(first))  # within the TTL: the first answer
    assert Order.objects.count() == 1

    age("k-expiring", 25)  # expired, still stored: the purge has not run
    after_expiry = api_place(client, "k-expiring", plan=postpaid_plan.pk, period="commercial")
    assert after_expiry.status_code == 201
    assert body(after_expiry)["id"] != body(first)["id"]
    assert Order.objects.count() == 2
    # The key now remembers the new request: a further repeat replays it.
    again = api_place(client, "k-expiring", plan=postpaid_plan.pk, period="commercial")
    assert body(again) == body(after_expiry) and Order.objects.count() == 2


@pytest.mark.django_db
def test_an_expired_key_may_be_reused_with_another_body(api, customer_alice, postpaid_plan, prepaid_plan):
    client = api(customer_alice)
    api_place(client, "k-other-body", plan=postpaid_plan.pk, period="commercial")
    assert api_place(client, "k-other-body", plan=prepaid_plan.pk, period="commercial").status_code == 422
    age("k-other-body", 25)
    response = api_place(client, "k-other-body", plan=prepaid_plan.pk, period="commercial")
    assert response.status_code == 201 and body(response)["plan"] == prepaid_plan.pk


# --- persistent database connections -------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite:////tmp/x.sqlite3", "postgres://u:p@127.0.0.1:5432/db"])
def test_connections_persist_60_seconds_by_default_with_health_checks(url, monkeypatch):
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    config = database_from_url(url)
    assert config["CONN_MAX_AGE"] == 60 and config["CONN_HEALTH_CHECKS"] is True
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")
    assert database_from_url(url)["CONN_MAX_AGE"] == 0  # reconnect every request


def test_postgres_connects_within_a_bounded_time(monkeypatch):
    monkeypatch.delenv("DATABASE_CONNECT_TIMEOUT", raising=False)
    assert database_from_url("postgres://u:p@127.0.0.1:5432/db")["OPTIONS"]["connect_timeout"] == 5


# --- R30: median time to decision ------------------------------------------------------------


def decided_operations(manager, plan, waits_by_age):
    """Operations decided by ``manager``; ``waits_by_age``: (hours ago decided, wait in hours)."""
    placer = OperatorFactory(username="placer")
    from subscriptions.services import order_place

    now = timezone.now()
    for i, (decided_hours_ago, wait_hours) in enumerate(waits_by_age):
        account = AccountFactory(name=f"Median {i}")
        order = order_place(actor=placer, account_id=account.pk, plan_id=plan.pk, period="commercial")
        operation = manual_operation_approve(actor=manager, operation_id=order.manual_operation.pk)
        decided_at = now - timedelta(hours=decided_hours_ago)
        # Not a status: only the times the report reads, set to known values.
        ManualOperation.objects.filter(pk=operation.pk).update(
            decided_at=decided_at, created_at=decided_at - timedelta(hours=wait_hours)
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_r30_median_time_to_decision_is_computed_in_the_database(manual_mode, manager_max, postpaid_plan_no_trial):
    decided_operations(manager_max, postpaid_plan_no_trial, [(1, 1), (2, 2), (3, 3), (4, 10)])
    median = reports.queue_report()["median_time_to_decision"]
    assert median == timedelta(hours=2.5)  # percentile_cont interpolates between 2 h and 3 h
    wait = reports.ExpressionWrapper(
        reports.F("decided_at") - reports.F("created_at"), output_field=reports.DurationField()
    )
    # The fallback for other databases (SQLite) agrees: the mean of the two middle rows.
    assert reports._median_of_middle_rows(ManualOperation.objects.all(), wait) == timedelta(hours=2.5)


@pytest.mark.django_db
def test_r30_median_time_to_decision_reads_only_the_most_recent_decisions(
    manual_mode, manager_max, postpaid_plan_no_trial, monkeypatch
):
    monkeypatch.setattr(reports, "MEDIAN_WINDOW", 3)
    # The three most recent decisions took 1 h, 2 h and 4 h; two older ones took days.
    decided_operations(manager_max, postpaid_plan_no_trial, [(1, 1), (2, 2), (3, 4), (50, 100), (60, 200)])
    report = reports.queue_report()
    assert report["median_time_to_decision"] == timedelta(hours=2)
    assert report["median_window"] == 3 and report["decided_total"] == 5


@pytest.mark.django_db
def test_r30_median_time_to_decision_is_none_before_any_decision():
    assert reports.queue_report()["median_time_to_decision"] is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_folds_the_order_tally_through_a_real_worker(embedded_broker, start_worker, prepaid_plan):
    """The orders' tally (``OrderTally``) grows by a row per change; beat schedules the fold
    and a real worker (embedded broker, as ``make run``) runs it: one row per status, the
    counts unchanged."""
    from subscriptions.models import OrderStatus, OrderTally
    from subscriptions.selectors import order_counts_by_status
    from tests.factories import CustomerFactory
    from tests.support.actions import place
    from tests.support.waiting import wait_for

    customers = [CustomerFactory(account=AccountFactory()) for _ in range(4)]
    for customer in customers:
        place(customer, prepaid_plan)
        place(customer, prepaid_plan)
    assert OrderTally.objects.count() == 8
    before = order_counts_by_status()
    assert before[OrderStatus.WAITING_FOR_PAYMENT] == 8

    url, options = embedded_broker
    worker = start_worker(
        broker_url=url, transport_options=options, beat=True, env={"ORDER_TALLY_COMPACT_INTERVAL_SECONDS": "0.5"}
    )
    wait_for(lambda: OrderTally.objects.count() == 1, what="the tally to be folded", log=worker.output)
    assert order_counts_by_status() == before
