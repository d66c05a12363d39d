"""Credit terms (SPEC §10): approved accounts with terms, placed through the real services."""

from decimal import Decimal

import pytest

from accounts.services import account_credit_terms_update, account_payment_hold_set
from tests.factories import AccountFactory, CustomerFactory, PlanFactory
from tests.support.credit import P


@pytest.fixture
def flex(db):
    """A postpaid plan of price P with a trial."""
    return PlanFactory(name="Flex", billing_model="postpay", price=P, trial_days=14)


@pytest.fixture
def big(db):
    return PlanFactory(name="Big", billing_model="postpay", price=Decimal("250.00"), trial_days=0)


@pytest.fixture
def box(db):
    return PlanFactory(name="Box", billing_model="prepay", price=Decimal("5.00"), trial_days=7)


@pytest.fixture
def approved_customer(manual_mode):
    """The customer of an approved account without terms (R11)."""
    return CustomerFactory(username="cathy", account=AccountFactory(name="Cathy Co", preapproved=True))


@pytest.fixture
def with_terms(manager_max):
    """``with_terms(customer, limit=..., review_on=..., hold=...)`` sets them through the services."""

    def set_terms(customer, *, limit=None, review_on=None, hold=None):
        if limit is not None or review_on is not None:
            terms = {}
            if limit is not None:
                terms["postpaid_limit"] = limit
            if review_on is not None:
                terms["credit_review_on"] = review_on
            account_credit_terms_update(actor=manager_max, account_id=customer.account_id, reason="test", **terms)
        if hold is not None:
            account_payment_hold_set(actor=manager_max, account_id=customer.account_id, payment_hold=hold)

    return set_terms
