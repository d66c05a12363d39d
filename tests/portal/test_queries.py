"""Pages load without N+1 queries (STYLE §5): the count stays flat as rows grow."""

import pytest

from tests.factories import PlanFactory
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db

# Session, user, account, settings, the rows and a page count (6 measured), plus one.
MAX_QUERIES = 7


@pytest.fixture
def busy_account(customer_alice, manual_mode):
    """Alice with many plans, subscriptions and orders of several kinds."""
    for n in range(8):
        prepaid = PlanFactory(name=f"Prepaid {n}", billing_model="prepay", price="5.00", trial_days=7)
        PlanFactory(name=f"Postpaid {n}", billing_model="postpay", price="15.00", trial_days=0)
        place_committed(customer_alice, prepaid, "trial")
        place_committed(customer_alice, prepaid, "commercial")
    return customer_alice.account


@pytest.mark.parametrize("url", ["/portal/", "/portal/catalog/", "/portal/orders/", "/portal/subscriptions/"])
def test_lists_have_a_fixed_number_of_queries(alice_client, busy_account, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = alice_client.get(url)
    assert response.status_code == 200


def test_subscription_detail_has_a_fixed_number_of_queries(alice_client, busy_account, django_assert_max_num_queries):
    subscription = busy_account.subscriptions.first()
    with django_assert_max_num_queries(MAX_QUERIES + 1):
        response = alice_client.get(f"/portal/subscriptions/{subscription.pk}/")
    assert response.status_code == 200
