"""R31: bad input to each service raises the contract code and writes nothing."""

import pytest

from accounts.errors import PostpayPermissionReadOnly
from accounts.services import account_create, account_update
from audit.models import AuditLogEntry
from postpay_portal.errors import InvalidInput, NotFound, PermissionDenied
from subscriptions.services import order_place, subscription_renew, subscription_switch
from tests.support.actions import place
from tests.support.state import counts

pytestmark = pytest.mark.django_db


# The domain error each refusal here must raise, by its contract code.
ERRORS = {error.code: error for error in (InvalidInput, NotFound, PermissionDenied, PostpayPermissionReadOnly)}


def _refused(call, code, field=None):
    before = (counts(), AuditLogEntry.objects.count())
    with pytest.raises(ERRORS[code]) as exc:
        call()
    assert exc.value.code == code, exc.value
    if field:
        assert field in exc.value.fields
    assert (counts(), AuditLogEntry.objects.count()) == before
    return exc.value


def test_r31_unknown_plan(customer_alice):
    _refused(
        lambda: order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=987654, period="commercial"
        ),
        "invalid",
        "plan",
    )


def test_r31_trial_on_a_plan_without_trial(customer_alice, postpaid_plan_no_trial):
    _refused(lambda: place(customer_alice, postpaid_plan_no_trial, period="trial"), "invalid", "period")


@pytest.mark.parametrize("period", ["monthly", "", None, 1])
def test_r31_unknown_period(customer_alice, postpaid_plan, period):
    _refused(lambda: place(customer_alice, postpaid_plan, period=period), "invalid", "period")


@pytest.mark.parametrize("bad_id", [1.5, "1", True, None])
def test_r31_ids_must_be_integers(customer_alice, postpaid_plan, bad_id):
    _refused(
        lambda: order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=bad_id, period="commercial"
        ),
        "invalid",
        "plan",
    )


def test_r31_ordering_for_another_account_is_not_found(customer_alice, outsider_oscar, postpaid_plan):
    _refused(lambda: place(customer_alice, postpaid_plan, account=outsider_oscar.account), "not_found")


def test_r31_unknown_account_is_not_found_for_staff(staff_sam, postpaid_plan):
    _refused(
        lambda: order_place(actor=staff_sam, account_id=424242, plan_id=postpaid_plan.pk, period="commercial"),
        "not_found",
    )


def test_r31_another_accounts_subscription_is_not_found(customer_alice, outsider_oscar, postpaid_plan):
    from subscriptions.models import Subscription
    from subscriptions.services import order_provision

    order_provision(order_id=place(outsider_oscar, postpaid_plan).pk)
    theirs = Subscription.objects.get()
    _refused(lambda: subscription_renew(actor=customer_alice, subscription_id=theirs.pk), "not_found")
    _refused(
        lambda: subscription_switch(actor=customer_alice, subscription_id=theirs.pk, plan_id=postpaid_plan.pk),
        "not_found",
    )


def test_r31_anonymous_cannot_order(postpaid_plan, alice_account):
    from django.contrib.auth.models import AnonymousUser

    _refused(
        lambda: order_place(
            actor=AnonymousUser(), account_id=alice_account.pk, plan_id=postpaid_plan.pk, period="commercial"
        ),
        "permission_denied",
    )


def test_r31_account_input_is_validated(staff_sam, customer_alice):
    _refused(lambda: account_create(actor=staff_sam, name=""), "invalid", "name")
    _refused(lambda: account_create(actor=staff_sam, name="X", email="not-an-email"), "invalid", "email")
    _refused(lambda: account_create(actor=staff_sam, name="X", manager="nobody"), "invalid", "manager")
    _refused(lambda: account_create(actor=customer_alice, name="X"), "permission_denied")


def test_r7_permission_is_read_only_after_creation(staff_sam, alice_account):
    _refused(
        lambda: account_update(actor=staff_sam, account_id=alice_account.pk, name="New", postpay_permission="approved"),
        "postpay_permission_read_only",
    )
    alice_account.refresh_from_db()
    assert (alice_account.name, alice_account.postpay_permission) == ("Alice Ltd", "none")
