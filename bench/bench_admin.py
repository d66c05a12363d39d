"""Operator portal benchmark: render time of the accounts list and the
manual operations queue with 100,000 accounts on PostgreSQL (goal ≤ 300 ms a page), a bulk
approve of 1,000 operations and a bulk approve in advance of 1,000 accounts (R36b), each
through its admin action, one transaction a chunk, each item in a savepoint (goal ≤ 3 s each).

Run: ``.venv/bin/python bench/bench_admin.py`` (``make bench`` runs it too). It starts its own
throwaway PostgreSQL (``tests.servers.PostgresServer``) and stops it at the end.
``BENCH_ACCOUNTS=10000`` for a quick run; ``BENCH_PROFILE=1`` prints cProfile's top functions
of each bulk action (``BENCH_PROFILE_SORT=tottime`` to sort by own time).
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _setup import machine_speed, production_shaped_env  # noqa: E402

from tests.servers import PostgresServer, filesystem_broker  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "100000"))
OPEN_OPERATIONS = 1_000
DECIDED_OPERATIONS = 4_000
IN_ADVANCE = 1_000  # accounts not reviewed yet, approved in advance in bulk (R36b)
RUNS = 15


def configure(pg):
    var = Path(tempfile.mkdtemp(prefix="postpay-bench-"))
    url, options = filesystem_broker(var)
    os.environ.update(
        production_shaped_env(pg.url, var),
        CELERY_BROKER_URL=url,  # a real broker folder; no worker drains it during the bench
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed():
    """Benchmark setup BYPASSES the services on purpose: 100,000 accounts through
    ``account_create`` would take minutes. Rows are bulk-inserted in states the services would
    have produced: accounts under review with one held order and one open operation each (R9),
    decided operations with their account approved/declined and order released/failed."""
    from django.utils import timezone

    from accounts.models import Account, AccountClass, PostpayPermission
    from manual_operations.models import ManualOperation, OperationStatus
    from settings_app.services import postpay_settings_update
    from subscriptions.models import Order, OrderStatus, Plan
    from tests.factories import ManagerFactory, UserFactory

    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    manager = ManagerFactory(username="bench-manager")
    managers = [manager] + [ManagerFactory(username=f"bench-manager-{i}") for i in range(4)]
    root = UserFactory(username="bench-root", is_staff=True, is_superuser=True)
    classes = [AccountClass.objects.create(name=name) for name in ("Standard", "Enterprise", "Partner")]
    plan = Plan.objects.create(name="Cloud Flex", billing_model="postpay", price="29.00")

    held = OPEN_OPERATIONS + DECIDED_OPERATIONS
    statuses = (
        [PostpayPermission.UNDER_REVIEW] * OPEN_OPERATIONS
        + [PostpayPermission.APPROVED, PostpayPermission.DECLINED] * (DECIDED_OPERATIONS // 2)
        + [PostpayPermission.NONE] * (ACCOUNTS - held)
    )
    Account.objects.bulk_create(
        [
            Account(
                name=f"Account {i:06d}",
                email=f"billing{i}@example.com",
                account_class=classes[i % 3],
                manager=managers[i % 5],
                postpay_permission=status,
            )
            for i, status in enumerate(statuses)
        ],
        batch_size=5000,
    )
    # R36b: accounts not reviewed yet that a manager approves in advance, in bulk; the
    # search "Prospect" selects exactly them in the accounts list.
    Account.objects.bulk_create(
        [
            Account(
                name=f"Prospect {i:04d}",
                email=f"prospect{i}@example.com",
                account_class=classes[i % 3],
                manager=managers[i % 5],
            )
            for i in range(IN_ADVANCE)
        ],
        batch_size=5000,
    )
    accounts = list(Account.objects.order_by("id").values_list("id", "postpay_permission")[:held])
    order_status = {
        PostpayPermission.UNDER_REVIEW: OrderStatus.WAITING_FOR_APPROVAL,
        PostpayPermission.APPROVED: OrderStatus.COMPLETED,
        PostpayPermission.DECLINED: OrderStatus.PROVISIONING_FAILED,
    }
    Order.objects.bulk_create(
        [
            Order(
                account_id=pk,
                plan=plan,
                period="commercial",
                price=plan.price,
                status=order_status[status],
                failure_reason="postpay_declined" if status == PostpayPermission.DECLINED else "",
            )
            for pk, status in accounts
        ],
        batch_size=5000,
    )
    orders = dict(Order.objects.values_list("account_id", "id"))
    now = timezone.now()
    op_status = {
        PostpayPermission.UNDER_REVIEW: OperationStatus.APPROVAL_REQUIRED,
        PostpayPermission.APPROVED: OperationStatus.APPROVED,
        PostpayPermission.DECLINED: OperationStatus.DECLINED,
    }
    ManualOperation.objects.bulk_create(
        [
            ManualOperation(
                account_id=pk,
                order_id=orders[pk],
                description=f"Account {pk}: postpaid order",
                status=op_status[status],
                decided_by=None if status == PostpayPermission.UNDER_REVIEW else manager,
                decided_at=None if status == PostpayPermission.UNDER_REVIEW else now,
            )
            for pk, status in accounts
        ],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return root, manager


def post(client, url, data):
    """The admin action's POST; with ``BENCH_PROFILE=1`` also cProfile's top functions."""
    if not os.environ.get("BENCH_PROFILE"):
        return client.post(url, data)
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    response = profiler.runcall(client.post, url, data)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(60)
    print(out.getvalue())
    return response


def signed_selection(client, url, data):
    """The confirmation page of a bulk action (its preview), and the signed selection it
    carries: the confirmation decides exactly what the page listed (R18)."""
    import re

    start = time.perf_counter()
    page = client.post(url, data)
    elapsed = time.perf_counter() - start
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="signed_selection" value="([^"]+)"', page.content.decode()).group(1)
    return token, elapsed


def timed_get(client, url, runs=RUNS):
    client.get(url)  # warm up: templates, connection
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), max(samples)


def main():
    pg = PostgresServer()
    if not PostgresServer.available():
        print("bench_admin: PostgreSQL is not installed; skipped")
        return 0
    pg.start()
    try:
        configure(pg)
        started = time.perf_counter()
        root, manager = seed()
        print(machine_speed())
        print(
            f"setup: {ACCOUNTS:,} accounts, {OPEN_OPERATIONS:,} open and {DECIDED_OPERATIONS:,} decided "
            f"operations in {time.perf_counter() - started:.1f} s (bulk insert, services bypassed)"
        )

        from django.test import Client

        from manual_operations.models import ManualOperation, OperationStatus

        client = Client()
        client.force_login(root)
        pages = [
            ("accounts list, page 1", "/admin/accounts/account/"),
            # the last page a capped count reaches (10,000 rows, docs/decisions.md)
            (
                f"accounts list, page {min(200, ACCOUNTS // 50 - 1)}",
                f"/admin/accounts/account/?p={min(200, ACCOUNTS // 50 - 1)}",
            ),
            ("accounts list, filter under_review", "/admin/accounts/account/?postpay_permission=under_review"),
            ("accounts list, search", "/admin/accounts/account/?q=Account+0999"),
            ("operations queue (open, oldest first)", "/admin/manual_operations/manualoperation/"),
            ("operations queue, all statuses", "/admin/manual_operations/manualoperation/?status=all"),
            ("queue report", "/admin/manual_operations/manualoperation/report/"),
        ]
        print(f"\nrender time on PostgreSQL, median / max of {RUNS} (goal ≤ 300 ms):")
        for label, url in pages:
            median, worst = timed_get(client, url)
            verdict = "ok" if median <= 300 else "OVER GOAL"
            print(f"  {label:<40} {median:7.1f} ms / {worst:7.1f} ms  {verdict}")

        manager_client = Client()
        manager_client.force_login(manager)
        queue = "/admin/manual_operations/manualoperation/"
        first = ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED).values_list("pk", flat=True)[0]
        action = {"action": "approve_selected", "select_across": "1", "index": "0", "_selected_action": [first]}
        token, preview = signed_selection(manager_client, queue, action)
        print(f"\nbulk approve's confirmation page (all open operations listed and signed): {preview:.2f} s")
        start = time.perf_counter()
        response = post(
            manager_client,
            queue,
            {**action, "confirm": "Approve", "note": "bench", "signed_selection": token},
        )
        elapsed = time.perf_counter() - start
        approved = ManualOperation.objects.filter(status=OperationStatus.APPROVED, note="bench").count()
        assert response.status_code == 302, response.status_code
        verdict = "ok" if elapsed <= 3 else "OVER GOAL"
        print(
            f"\nbulk approve through the admin action: {approved:,} operations in {elapsed:.2f} s "
            f"({elapsed / max(approved, 1) * 1000:.1f} ms each; goal ≤ 3 s)  {verdict}"
        )
        assert approved == OPEN_OPERATIONS

        # R36b: approve in advance 1,000 accounts not reviewed yet, through the
        # accounts list's action, "select all" over a search that matches exactly them.
        from accounts.models import Account, PostpayPermission

        accounts = "/admin/accounts/account/?q=Prospect"
        first = Account.objects.filter(name__startswith="Prospect").values_list("pk", flat=True)[0]
        action = {
            "action": "approve_in_advance_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": [first],
        }
        token, preview = signed_selection(manager_client, accounts, action)
        print(f"approve in advance's confirmation page: {preview:.2f} s")
        start = time.perf_counter()
        response = post(
            manager_client,
            accounts,
            {**action, "confirm": "Approve", "note": "bench", "signed_selection": token},
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 302, response.status_code
        done = Account.objects.filter(
            name__startswith="Prospect", postpay_permission=PostpayPermission.APPROVED
        ).count()
        verdict = "ok" if elapsed <= 3 else "OVER GOAL"
        print(
            f"bulk approve in advance through the admin action: {done:,} accounts in {elapsed:.2f} s "
            f"({elapsed / max(done, 1) * 1000:.1f} ms each; goal ≤ 3 s)  {verdict}"
        )
        assert done == IN_ADVANCE
    finally:
        from django.db import connections

        connections.close_all()
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
