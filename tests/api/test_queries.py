"""Each list endpoint runs a constant number of queries, whatever the page holds (STYLE §5)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import account_create
from subscriptions.services import order_fail_provisioning, order_place, order_provision
from tests.factories import CustomerFactory, PlanFactory


def make_rows(n, staff, manager, plan, prepaid):
    """n accounts, each with a customer, a held order and its operation, a failed order and a
    completed one with its subscription, through the services (manual mode on)."""
    for i in range(n):
        account = account_create(actor=staff, name=f"Acct {i}", account_class="Standard", manager=manager.username)
        customer = CustomerFactory(account=account)
        order_place(actor=customer, account_id=account.pk, plan_id=plan.pk, period="commercial")
        failed = order_place(actor=customer, account_id=account.pk, plan_id=prepaid.pk, period="trial")
        order_fail_provisioning(order_id=failed.pk, error="boom")
        provisioned = order_place(actor=customer, account_id=account.pk, plan_id=prepaid.pk, period="trial")
        order_provision(order_id=provisioned.pk)
        PlanFactory()


def queries(client, url):
    client.get(url)  # a token's first request also records its last use (R46): not the list's cost
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


LISTS = [
    "/api/v1/orders/?page_size=200",
    "/api/v1/orders/?status=waiting_for_approval&page_size=200",
    "/api/v1/accounts/?page_size=200",
    "/api/v1/manual-operations/?page_size=200",
    "/api/v1/audit-log/?page_size=200",
    "/api/v1/plans/?page_size=200",
    "/api/v1/subscriptions/?page_size=200",
]


@pytest.mark.slow  # writes hundreds of rows per list
@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_does_not_grow_with_the_rows(
    api, url, staff_sam, manager_max, manual_mode, postpaid_plan, prepaid_plan
):
    client = api(manager_max)
    make_rows(10, staff_sam, manager_max, postpaid_plan, prepaid_plan)
    few, few_count = queries(client, url)
    make_rows(90, staff_sam, manager_max, postpaid_plan, prepaid_plan)
    many, many_count = queries(client, url)
    assert many_count > few_count
    assert many == few


@pytest.mark.django_db
def test_customer_order_list_query_count_is_constant(api, customer_alice, postpaid_plan):
    client = api(customer_alice)
    for _ in range(10):
        order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial"
        )
    few, _ = queries(client, "/api/v1/orders/?page_size=200")
    for _ in range(90):
        order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial"
        )
    many, count = queries(client, "/api/v1/orders/?page_size=200")
    assert count == 100 and many == few
