import pytest

from subscriptions.models import OrderStatus
from subscriptions.services import order_place


@pytest.mark.django_db
def test_r9_first_gated_order_is_held(manual_mode, customer_alice, postpaid_plan):
    order = order_place(actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial")
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
