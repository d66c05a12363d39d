"""R37: credit terms on the account — set through services only, audited and evented, the
limit and the date by managers on approved accounts, the payment hold by staff who change
accounts."""

import datetime
from decimal import Decimal

import pytest

from accounts.errors import CreditTermsRequireApproval
from accounts.models import Account, AccountClass
from accounts.services import account_create, account_credit_terms_update, account_payment_hold_set
from audit.models import AuditLogEntry
from events.models import Event
from manual_operations.services import manual_operation_approve, manual_operation_approve_in_advance
from postpay_portal.errors import InvalidInput, PermissionDenied
from tests.factories import AccountFactory, CustomerFactory
from tests.support.actions import place
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

LATER = datetime.date(2027, 6, 30)


def trail(account, field):
    return [
        (entry.from_value, entry.to_value, entry.actor_label)
        for entry in AuditLogEntry.objects.filter(object_type="account", object_id=account.pk, field=field).order_by(
            "id"
        )
    ]


def terms_events(account):
    return [event.data for event in Event.objects.filter(type="account.credit_terms_changed", object_id=account.pk)]


def test_r37_a_manager_changes_the_terms_of_an_approved_account_audited_with_one_event(manager_max):
    account = AccountFactory(name="Terms Co", preapproved=True)
    account_credit_terms_update(
        actor=manager_max, account_id=account.pk, postpaid_limit="500", credit_review_on=LATER, reason="annual review"
    )
    account.refresh_from_db()
    assert (account.postpaid_limit, account.credit_review_on) == (Decimal("500.00"), LATER)
    assert trail(account, "postpaid_limit") == [(None, "500.00", "max")]
    assert trail(account, "credit_review_on") == [(None, "2027-06-30", "max")]
    [data] = terms_events(account)
    assert data["from"] == {"postpaid_limit": None, "credit_review_on": None, "payment_hold": False}
    assert (data["account"]["postpaid_limit"], data["account"]["credit_review_on"]) == ("500.00", "2027-06-30")

    account_credit_terms_update(actor=manager_max, account_id=account.pk, postpaid_limit=None, reason="lifted")
    account.refresh_from_db()
    assert (account.postpaid_limit, account.credit_review_on) == (None, LATER)  # a term left out is unchanged
    assert terms_events(account)[-1]["from"] == {
        "postpaid_limit": "500.00",
        "credit_review_on": "2027-06-30",
        "payment_hold": False,
    }


def test_r37_no_change_records_nothing(manager_max):
    account = AccountFactory(name="Same Co", preapproved=True)
    account_credit_terms_update(actor=manager_max, account_id=account.pk, postpaid_limit="10.00", reason="x")
    before = snapshot(), AuditLogEntry.objects.count(), Event.objects.count()
    account_credit_terms_update(actor=manager_max, account_id=account.pk, postpaid_limit="10", reason="again")
    assert (snapshot(), AuditLogEntry.objects.count(), Event.objects.count()) == before


@pytest.mark.parametrize("setup", ["none", "under_review", "declined"])
def test_r37_terms_on_an_account_that_is_not_approved_are_refused(manual_mode, postpaid_plan, manager_max, setup):
    from manual_operations.services import manual_operation_decline

    customer = CustomerFactory(username="terry", account=AccountFactory(name="Terry Co"))
    if setup != "none":
        held = place(customer, postpaid_plan)
        if setup == "declined":
            manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="other")
    before = snapshot(), AuditLogEntry.objects.count()
    with pytest.raises(CreditTermsRequireApproval) as refusal:
        account_credit_terms_update(actor=manager_max, account_id=customer.account_id, postpaid_limit=1, reason="x")
    assert refusal.value.code == "credit_terms_require_approval"
    assert (snapshot(), AuditLogEntry.objects.count()) == before


@pytest.mark.parametrize(
    "terms, field",
    [
        ({"postpaid_limit": "-1"}, "postpaid_limit"),
        ({"postpaid_limit": "1.005"}, "postpaid_limit"),
        ({"postpaid_limit": "lots"}, "postpaid_limit"),
        ({"postpaid_limit": True}, "postpaid_limit"),
        ({"credit_review_on": "30/06/2027"}, "credit_review_on"),
        ({"credit_review_on": "2027-02-30"}, "credit_review_on"),
    ],
)
def test_r31_malformed_terms_are_invalid_and_change_nothing(manager_max, terms, field):
    account = AccountFactory(name="Bad Co", preapproved=True)
    before = snapshot()
    with pytest.raises(InvalidInput) as refusal:
        account_credit_terms_update(actor=manager_max, account_id=account.pk, reason="x", **terms)
    assert list(refusal.value.fields) == [field]
    assert snapshot() == before


def test_r37_a_reason_is_required_and_a_past_date_is_accepted(manager_max):
    account = AccountFactory(name="Past Co", preapproved=True)
    with pytest.raises(InvalidInput):
        account_credit_terms_update(actor=manager_max, account_id=account.pk, postpaid_limit=1, reason=" ")
    account_credit_terms_update(actor=manager_max, account_id=account.pk, credit_review_on="2020-01-01", reason="x")
    assert Account.objects.get(pk=account.pk).credit_review_on == datetime.date(2020, 1, 1)


def test_r37_r44_the_limit_and_date_need_the_decide_permission(staff_sam):
    account = AccountFactory(name="Sam Co", preapproved=True)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        account_credit_terms_update(actor=staff_sam, account_id=account.pk, postpaid_limit=1, reason="x")
    assert snapshot() == before


def test_r37_the_payment_hold_is_set_by_staff_who_change_accounts_on_any_account(staff_sam, bare_staff_bea):
    account = AccountFactory(name="Hold Co")  # not approved: the hold is a billing fact, not a grant
    account_payment_hold_set(actor=staff_sam, account_id=account.pk, payment_hold=True, reason="invoice 42 unpaid")
    assert Account.objects.get(pk=account.pk).payment_hold is True
    assert trail(account, "payment_hold") == [("false", "true", "sam")]
    assert terms_events(account)[-1]["from"]["payment_hold"] is False
    with pytest.raises(PermissionDenied):
        account_payment_hold_set(actor=bare_staff_bea, account_id=account.pk, payment_hold=False)
    account_payment_hold_set(actor=staff_sam, account_id=account.pk, payment_hold=False)
    assert trail(account, "payment_hold")[-1] == ("true", "false", "sam")


def test_r37_terms_when_creating_an_account_pre_approved_one_event_from_all_null(manager_max):
    account = account_create(
        actor=manager_max, name="Fresh Co", preapproved=True, postpaid_limit="750.00", credit_review_on=LATER
    )
    assert (account.postpaid_limit, account.credit_review_on) == (Decimal("750.00"), LATER)
    [data] = terms_events(account)
    assert data["from"] == {"postpaid_limit": None, "credit_review_on": None, "payment_hold": None}
    assert trail(account, "postpaid_limit") == [(None, "750.00", "max")]


def test_r37_terms_without_pre_approval_are_refused(manager_max):
    before = snapshot()
    with pytest.raises(CreditTermsRequireApproval):
        account_create(actor=manager_max, name="Plain Co", postpaid_limit="1.00")
    assert snapshot() == before


def test_r37_terms_when_approving_in_advance(manager_max):
    account = AccountFactory(name="Early Co")
    manual_operation_approve_in_advance(actor=manager_max, account_id=account.pk, postpaid_limit="300")
    assert Account.objects.get(pk=account.pk).postpaid_limit == Decimal("300.00")


def test_r37_terms_when_approving_a_permission_operation(manual_mode, postpaid_plan, manager_max):
    customer = CustomerFactory(username="pat", account=AccountFactory(name="Pat Co"))
    held = place(customer, postpaid_plan)
    manual_operation_approve(
        actor=manager_max, operation_id=held.manual_operation.pk, postpaid_limit="100", credit_review_on=LATER
    )
    account = Account.objects.get(pk=customer.account_id)
    assert (account.postpay_permission, account.postpaid_limit, account.credit_review_on) == (
        "approved",
        Decimal("100.00"),
        LATER,
    )


def test_r37_an_account_class_default_limit_is_the_class_own_value(db):
    klass = AccountClass.objects.create(name="Gold", default_postpaid_limit=Decimal("1000.00"))
    account = AccountFactory(name="Gold Co", account_class="Gold")
    assert klass.default_postpaid_limit == Decimal("1000.00")
    assert Account.objects.get(pk=account.pk).postpaid_limit is None  # the account keeps its own
