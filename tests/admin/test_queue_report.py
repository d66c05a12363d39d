"""R30's queue report reads as people read (security review finding 11): durations such as
"3 h 12 min" or "under a minute", never a raw timedelta; money with two decimals and
thousands separators."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from manual_operations.services import manual_operation_approve
from subscriptions.services import order_place
from tests.factories import AccountFactory, CustomerFactory, PlanFactory

REPORT = reverse("admin:manual_operations_manualoperation_report")


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(microseconds=8236), "under a minute"),
        (timedelta(seconds=59), "under a minute"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=47, seconds=30), "47 min"),
        (timedelta(hours=3, minutes=12, seconds=5), "3 h 12 min"),
        (timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
        (None, "—"),
    ],
)
def test_r30_duration_filter_reads_as_people_read(delta, text):
    rendered = Template("{% load postpay_format %}{{ value|duration }}").render(Context({"value": delta}))
    assert rendered == text


@pytest.mark.django_db
def test_r30_report_shows_a_readable_median_and_money_with_separators(
    admin_client_for, superuser, manual_mode, manager_max
):
    big = PlanFactory(name="Metered XL", billing_model="postpay", price=Decimal("1234.50"))
    held_ids = []
    for name in ("Decided Co", "Held Co"):
        account = AccountFactory(name=name)
        order = order_place(
            actor=CustomerFactory(account=account), account_id=account.pk, plan_id=big.pk, period="commercial"
        )
        held_ids.append(order.manual_operation.pk)
    manual_operation_approve(actor=manager_max, operation_id=held_ids[0])  # decided within milliseconds

    html = admin_client_for(superuser).get(REPORT).content.decode()

    assert '<td id="median-time">under a minute</td>' in html
    assert '<td id="held-value">1,234.50 USD</td>' in html
    assert "0:00:00" not in html


@pytest.mark.django_db
def test_r30_report_shows_long_medians_in_days_and_hours(admin_client_for, superuser, monkeypatch):
    from manual_operations import admin as operations_admin

    real = operations_admin.queue_report

    def report():
        return {
            **real(),
            "median_time_to_decision": timedelta(days=2, hours=4, minutes=3),
            "held_orders_value": Decimal("1234567.5"),
        }

    monkeypatch.setattr(operations_admin, "queue_report", report)
    html = admin_client_for(superuser).get(REPORT).content.decode()

    assert '<td id="median-time">2 d 4 h</td>' in html
    assert '<td id="held-value">1,234,567.50 USD</td>' in html
