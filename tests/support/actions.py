"""Setup through real actions (STYLE §7): orders placed through ``order_place``, as a
customer or an operator would place them, never rows written by hand."""

from django.test import TestCase

from subscriptions.services import order_place
from tests.factories import AccountFactory, CustomerFactory


def place(actor, plan, period="commercial", account=None):
    """``order_place`` for ``actor``'s own account (or ``account``). Its on_commit work (the
    provisioning task, mails, webhook deliveries) does not run inside a test's transaction."""
    account_id = account.pk if account is not None else actor.account_id
    return order_place(actor=actor, account_id=account_id, plan_id=plan.pk, period=period)


def place_committed(actor, plan, period="commercial", account=None):
    """``place``, then its on_commit work runs as after a real commit: provisioning (eager in
    the tests) completes a postpaid order or a trial, the managers are mailed about a held one."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return place(actor, plan, period, account=account)


def held_for_new_account(plan, name="Held Co", *, username=None, **account_kwargs):
    """R9: a new account's customer places a first gated order (manual mode must be on); the
    order is held with a manual operation open. Returns the order."""
    account = AccountFactory(name=name, **account_kwargs)
    customer = CustomerFactory(account=account, **({"username": username} if username is not None else {}))
    return place(customer, plan)
