"""R32: a decline is invisible as a property, over the whole customer surface.

Hypothesis writes the histories: twin accounts buy in Automatically mode, then live through
the same steps — orders of every plan and period, renewals, switches, payments,
cancellations, the mode and the trial gating switched back and forth. As soon as both have an
operation open (a held `new`, `renewal` or `switch`, with or without trial gating), a manager
declines one twin; the other stays under review, and the steps go on. (Before the decision
the twins are indistinguishable by construction, so declining at once loses no history.)
Every step's answer must be the same for both twins, and
after the decline so must everything either customer can reach: every API operation of the
schema with each of their ids, every portal page reachable from ``/portal/``, every portal
form with each of its choices, and the e-mails sent to them (``tests/support/differential.py``).

This is not a list of paths someone remembered: a new endpoint, page or form is in the
transcript as soon as it is in the schema or linked from the portal.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_decline
from postpay_portal.errors import DomainError
from settings_app.services import postpay_settings_update
from subscriptions.services import order_pay
from tests.factories import ManagerFactory, PlanFactory
from tests.support.differential import Twin, differences, normalise, separate_id_ranges, transcript

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

PLANS = [  # (name, billing model, price, trial days)
    ("Cloud Flex", "postpay", "29.00", 30),
    ("Metered", "postpay", "199.00", 0),
    ("Starter", "prepay", "9.90", 14),
]
SMALL_INDEX = st.integers(min_value=0, max_value=3)


class TwinHistories(RuleBasedStateMachine):
    """One example: a fresh world in a savepoint, rolled back in ``teardown``."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        mail.outbox.clear()
        self.manager = ManagerFactory(username="twins-manager")
        postpay_settings_update(actor=None, postpaid_permission_mode="automatic", trial_requires_approval=False)
        self.plans = [PlanFactory(name=n, billing_model=m, price=p, trial_days=t) for n, m, p, t in PLANS]
        self.declined, self.under_review = Twin("declined"), Twin("review")
        self.twins = (self.declined, self.under_review)
        self.decided = False

    # --- doing the same to both ----------------------------------------------------------------

    def both(self, act):
        """``act(twin)`` for each twin, its on-commit work (provisioning, e-mail) run; the
        two answers, normalised, must be equal."""
        answers = []
        for twin in self.twins:
            with TestCase.captureOnCommitCallbacks(execute=True):
                try:
                    answer = act(twin)
                except DomainError as refusal:
                    answer = f"refused {refusal.code}"
            answers.append(normalise(str(answer), twin))
        assert answers[0] == answers[1], "the twins were answered differently:\n" + "\n---\n".join(answers)
        self._decline_once_open()

    @staticmethod
    def _api(response):
        return f"{response.status_code} {response.content.decode()}"

    @staticmethod
    def _nth(ids, index):
        return ids[index % len(ids)] if ids else None

    # --- the customers' steps -------------------------------------------------------------------

    @initialize(
        purchases=st.lists(
            st.tuples(st.integers(0, len(PLANS) - 1), st.sampled_from(["trial", "commercial"])), max_size=3
        ),
        manual=st.sampled_from([True, True, True, False]),  # mostly Manually: that is where holds are
        trial_gating=st.booleans(),
    )
    def start(self, purchases, manual, trial_gating):
        """What the twins bought before the reseller switched to Manually (or not)."""
        for plan, period in purchases:
            self.order(plan, period)
        postpay_settings_update(
            actor=self.manager,
            postpaid_permission_mode="manual" if manual else "automatic",
            trial_requires_approval=trial_gating,
        )

    @rule(plan=st.integers(0, len(PLANS) - 1), period=st.sampled_from(["trial", "commercial"]))
    def order(self, plan, period):
        self.both(
            lambda twin: self._api(
                twin.api.post("/api/v1/orders/", {"plan": self.plans[plan].pk, "period": period}, format="json")
            )
        )

    @rule(index=SMALL_INDEX)
    def renew(self, index):
        def act(twin):
            subscription = self._nth(twin.subscriptions(), index)
            if subscription is None:
                return "no subscription"
            return self._api(twin.api.post(f"/api/v1/subscriptions/{subscription}/renew/"))

        self.both(act)

    @rule(index=SMALL_INDEX, plan=st.integers(0, len(PLANS) - 1))
    def switch(self, index, plan):
        def act(twin):
            subscription = self._nth(twin.subscriptions(), index)
            if subscription is None:
                return "no subscription"
            return self._api(
                twin.api.post(
                    f"/api/v1/subscriptions/{subscription}/switch/", {"plan": self.plans[plan].pk}, format="json"
                )
            )

        self.both(act)

    @rule(index=SMALL_INDEX)
    def cancel(self, index):
        def act(twin):
            order = self._nth(twin.orders(), index)
            return "no order" if order is None else self._api(twin.api.post(f"/api/v1/orders/{order}/cancel/"))

        self.both(act)

    @rule(through_the_portal=st.booleans())
    def ask_for_postpaid_ordering_in_advance(self, through_the_portal):
        """R36a: a review asked before any order (portal confirmation or API)."""
        if through_the_portal:
            self.both(lambda twin: twin.portal.post("/portal/postpay-review/").get("Location"))
        else:
            self.both(lambda twin: self._api(twin.api.post("/api/v1/account/postpay-review/")))

    # --- the operators' steps -------------------------------------------------------------------

    @rule(index=SMALL_INDEX)
    def operator_records_a_payment(self, index):
        def act(twin):
            order = self._nth(twin.orders(), index)
            return "no order" if order is None else order_pay(actor=self.manager, order_id=order).status

        self.both(act)

    @rule(manual=st.booleans())
    def switch_the_mode(self, manual):
        postpay_settings_update(actor=self.manager, postpaid_permission_mode="manual" if manual else "automatic")

    @rule(on=st.booleans())
    def switch_trial_gating(self, on):
        postpay_settings_update(actor=self.manager, trial_requires_approval=on)

    def _decline_once_open(self):
        """R16 for one twin only, as soon as both have an operation open."""
        if self.decided:
            return
        open_operations = [
            ManualOperation.objects.filter(account=twin.account, status=OperationStatus.APPROVAL_REQUIRED).first()
            for twin in self.twins
        ]
        assert (open_operations[0] is None) == (open_operations[1] is None)
        if open_operations[0] is None:
            return
        with TestCase.captureOnCommitCallbacks(execute=True):
            manual_operation_decline(
                actor=self.manager,
                operation_id=open_operations[0].pk,
                reason="credit_risk",
                note="internal: unpaid invoices",
            )
        self.decided = True

    # --- the property --------------------------------------------------------------------------

    def compare_the_whole_surface(self):
        """Run once an example ends (``teardown``): the whole surface is slow to read, and the
        end of a history holds what every step after the decline did."""
        declined, under_review = (transcript(twin) for twin in self.twins)
        diff = differences(declined, under_review, *self.twins)
        assert not diff, "R32: the declined customer can tell (declined ≠ under review):\n" + diff[:20000]

    def teardown(self):
        try:
            if self.decided:
                self.compare_the_whole_surface()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)


@pytest.fixture
def id_ranges(db):
    restore = separate_id_ranges()
    yield
    restore()


def test_r32_generated_histories_declined_and_under_review_read_the_same_everywhere(id_ranges):
    run_state_machine_as_test(
        TwinHistories,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# Histories that must always be among the examples: each way an operation opens (a held new,
# renewal or switch; a trial held by R2; a review asked in advance, R36a), then steps after
# the decline.
SEEDED = {
    "held new": [
        ("order", {"plan": 0, "period": "trial"}),
        ("switch_the_mode", {"manual": True}),
        ("order", {"plan": 1, "period": "commercial"}),
    ],
    "held renewal": [
        ("order", {"plan": 0, "period": "commercial"}),
        ("switch_the_mode", {"manual": True}),
        ("renew", {"index": 0}),
    ],
    "held switch": [
        ("order", {"plan": 2, "period": "trial"}),
        ("switch_the_mode", {"manual": True}),
        ("switch", {"index": 0, "plan": 1}),
    ],
    "asked in advance (R36a)": [
        ("order", {"plan": 0, "period": "commercial"}),
        ("switch_the_mode", {"manual": True}),
        ("ask_for_postpaid_ordering_in_advance", {"through_the_portal": True}),
    ],
    "held trial (R2)": [
        ("order", {"plan": 2, "period": "commercial"}),
        ("switch_the_mode", {"manual": True}),
        ("switch_trial_gating", {"on": True}),
        ("order", {"plan": 0, "period": "trial"}),
    ],
}
AFTER_THE_DECLINE = [
    ("renew", {"index": 0}),
    ("switch", {"index": 0, "plan": 2}),
    ("switch_the_mode", {"manual": False}),
    ("renew", {"index": 0}),
    ("order", {"plan": 1, "period": "commercial"}),
    ("cancel", {"index": 1}),
]


@pytest.mark.parametrize("history", SEEDED)
def test_r32_each_held_order_type_declined_and_under_review_read_the_same_everywhere(id_ranges, history):
    machine = TwinHistories()
    try:
        for step, arguments in SEEDED[history]:
            getattr(machine, step)(**arguments)
        assert machine.decided, "the history did not open an operation"
        machine.compare_the_whole_surface()
        for step, arguments in AFTER_THE_DECLINE:
            getattr(machine, step)(**arguments)
    finally:
        machine.teardown()
