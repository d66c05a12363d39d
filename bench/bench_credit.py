"""Benchmark: order placement with the credit check (SPEC R38, R39) for an account with
10,000 postpaid subscriptions against one with a single subscription, on PostgreSQL.

The commitment is derived at each check from the account's subscriptions and open orders
(decision 121): its cost must not grow with what the account holds. Both accounts are
approved, in mode Manually, with a limit high enough that every order goes ahead, so each
placement runs the whole check (the open credit review's lookup and the commitment's
aggregate). Placements of the two accounts alternate, through ``order_place`` in-process;
the figure is the median of each and their ratio (goal: within 15 %), with each placement's
statement count (goal: the same).

Run: ``.venv/bin/python bench/bench_credit.py`` (``make bench`` runs it too).
"""

import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _setup import django_on_postgres, machine_speed  # noqa: E402

BIG = 10_000
PLACEMENTS = 300


def main():
    print(machine_speed())
    pg = django_on_postgres()
    try:
        run()
    finally:
        pg.stop()


def run():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.services import account_create, account_credit_terms_update, account_user_create
    from settings_app.services import postpay_settings_update
    from subscriptions.models import Subscription
    from subscriptions.services import order_place, plan_create

    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    plan = plan_create(actor=None, name="Bench Flex", billing_model="postpay", price="1.00")

    def customer(name, subscriptions):
        account = account_create(actor=None, name=name, preapproved=True)
        account_credit_terms_update(actor=None, account_id=account.pk, postpaid_limit="99999999.00", reason="bench")
        now = timezone.now()
        Subscription.objects.bulk_create(
            [
                Subscription(
                    account=account,
                    plan=plan,
                    period="commercial",
                    started_at=now,
                    current_period_end=now + timedelta(days=30),
                )
                for _ in range(subscriptions)
            ],
            batch_size=5000,
        )
        return account_user_create(
            actor=None, account_id=account.pk, username=name.lower().replace(" ", "-"), password="bench-pass-123"
        )

    small, big = customer("One Sub", 1), customer("Ten Thousand Subs", BIG)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table after a bulk load: index-only scans

    def place(user):
        started = time.perf_counter()
        order = order_place(actor=user, account_id=user.account_id, plan_id=plan.pk, period="commercial")
        assert order.status == "provisioning", order.status  # the check ran and let it through
        return time.perf_counter() - started

    def statements(user):
        with CaptureQueriesContext(connection) as queries:
            place(user)
        return len(queries)

    for user in (small, big):  # warm: connections, plans, permissions
        for _ in range(20):
            place(user)
    times = {small: [], big: []}
    for _ in range(PLACEMENTS):
        for user in (small, big):
            times[user].append(place(user))
    small_ms = statistics.median(times[small]) * 1000
    big_ms = statistics.median(times[big]) * 1000
    ratio = big_ms / small_ms
    counts = statements(small), statements(big)
    from subscriptions.selectors import account_commitment

    print(f"order placement with the credit check on PostgreSQL, median of {PLACEMENTS} each, alternating:")
    print(f"  1 postpaid subscription         {small_ms:6.2f} ms  ({counts[0]} statements)")
    print(f"  {BIG:,} postpaid subscriptions  {big_ms:6.2f} ms  ({counts[1]} statements)")
    verdict = "ok" if ratio <= 1.15 and counts[0] == counts[1] else "OVER GOAL"
    print(f"  ratio {ratio:.3f} (goal ≤ 1.15, same statements)  {verdict}")
    print(f"  commitment of the big account: {account_commitment(big.account_id)}")
    assert account_commitment(big.account_id) >= Decimal(BIG)


if __name__ == "__main__":
    main()
