"""R31 (security review finding): renewing or switching another account's subscription answers
exactly what a missing subscription answers, through the service and the API, so that ids
cannot be enumerated."""

import pytest
from rest_framework.test import APIClient

from postpay_portal.errors import NotFound
from subscriptions.models import Subscription
from subscriptions.services import order_place, order_provision, subscription_renew, subscription_switch
from tests.factories import AccountFactory, CustomerFactory, api_token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def others_subscription(postpaid_plan):
    owner = CustomerFactory(username="owner", account=AccountFactory(name="Owner Co"))
    order = order_place(actor=owner, account_id=owner.account_id, plan_id=postpaid_plan.pk, period="commercial")
    order_provision(order_id=order.pk)
    return Subscription.objects.get(origin_order=order)


def _refusal(call):
    with pytest.raises(NotFound) as refusal:
        call()
    return refusal.value.code, refusal.value.detail


def test_r31_another_accounts_subscription_reads_as_a_missing_one_in_the_service(
    customer_alice, others_subscription, prepaid_plan
):
    missing = others_subscription.pk + 1000
    for action in (
        lambda pk: subscription_renew(actor=customer_alice, subscription_id=pk),
        lambda pk: subscription_switch(actor=customer_alice, subscription_id=pk, plan_id=prepaid_plan.pk),
    ):
        assert _refusal(lambda action=action: action(others_subscription.pk)) == _refusal(
            lambda action=action: action(missing)
        )


def test_r31_another_accounts_subscription_reads_as_a_missing_one_in_the_api(
    customer_alice, others_subscription, prepaid_plan
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(customer_alice)}")
    missing = others_subscription.pk + 1000
    for path, body in (("renew", {}), ("switch", {"plan": prepaid_plan.pk})):
        others = client.post(f"/api/v1/subscriptions/{others_subscription.pk}/{path}/", body, format="json")
        absent = client.post(f"/api/v1/subscriptions/{missing}/{path}/", body, format="json")
        assert (
            (others.status_code, others.json())
            == (absent.status_code, absent.json())
            == (
                404,
                {"code": "not_found", "detail": "No such subscription."},
            )
        )
