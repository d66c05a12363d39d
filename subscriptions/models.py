from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

BILLING_PERIOD_DAYS = 30  # one billing period (decision, docs/decisions.md)


class BillingModel(models.TextChoices):
    PREPAY = "prepay", "Prepay"
    POSTPAY = "postpay", "Postpay"


class Period(models.TextChoices):
    TRIAL = "trial", "Trial"
    COMMERCIAL = "commercial", "Commercial"


class OrderType(models.TextChoices):
    NEW = "new", "New"
    RENEWAL = "renewal", "Renewal"
    SWITCH = "switch", "Switch plan"


class OrderStatus(models.TextChoices):
    """R20."""

    WAITING_FOR_PAYMENT = "waiting_for_payment", "Waiting for payment"
    WAITING_FOR_APPROVAL = "waiting_for_approval", "Waiting for approval"
    PROVISIONING = "provisioning", "Provisioning"
    PROVISIONING_FAILED = "provisioning_failed", "Provisioning failed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ORDER_STATUSES = [
    OrderStatus.WAITING_FOR_PAYMENT,
    OrderStatus.WAITING_FOR_APPROVAL,
    OrderStatus.PROVISIONING,
]

# R16: the failure reason of an order whose account's permission was declined.
ORDER_FAILED_BY_DECLINE = "postpay_declined"
# R41: the failure reason of an order whose credit review was declined; customers see it too.
ORDER_FAILED_BY_CREDIT_REVIEW = "credit_review_declined"
DECLINE_FAILURE_REASONS = (ORDER_FAILED_BY_DECLINE, ORDER_FAILED_BY_CREDIT_REVIEW)


def failed_by_decline_q():
    """R16: the orders failed by a permission decline."""
    return Q(status=OrderStatus.PROVISIONING_FAILED, failure_reason=ORDER_FAILED_BY_DECLINE)


def open_order_q():
    """R23, R32: the orders that hold their subscription ("only one open order per
    subscription": ``order_in_progress``).

    Open are the statuses of R23, and an order failed by a permission decline: its customer
    reads it as held (R24), so it must hold its subscription exactly as a held order does, or
    a renewal or switch would succeed after a decline and fail while under review — the
    decline would show. It holds for operators too, so that no operator action on the
    customer's behalf reveals the difference either (decision 51).
    """
    return Q(status__in=OPEN_ORDER_STATUSES) | failed_by_decline_q()


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"


class Plan(models.Model):
    name = models.CharField(max_length=200)
    billing_model = models.CharField(max_length=16, choices=BillingModel.choices)
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    trial_days = models.PositiveIntegerField(default=0, help_text="0 means the plan has no trial.")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.get_billing_model_display()})"

    @property
    def is_postpaid(self):
        return self.billing_model == BillingModel.POSTPAY

    @property
    def has_trial(self):
        return self.trial_days > 0


class Subscription(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    period = models.CharField(max_length=16, choices=Period.choices)
    status = models.CharField(max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    current_period_end = models.DateTimeField()
    origin_order = models.OneToOneField(
        "Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_subscription",
        help_text="The `new` order that created it; unique, so no order creates two (R22).",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        # The lists' order, read from an index rather than sorting every subscription.
        indexes = [
            models.Index(fields=["started_at", "id"], name="subscription_started"),
            # R38: an account's subscriptions by period and plan, summed by the commitment from
            # the index alone.
            models.Index(fields=["account", "period", "plan"], name="subscription_commitment"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.plan.name} — {self.account}"


class Order(ConcurrentTransitionMixin, models.Model):
    type = models.CharField(max_length=16, choices=OrderType.choices, default=OrderType.NEW)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="orders")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="orders")
    period = models.CharField(max_length=16, choices=Period.choices)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    status = FSMField(choices=OrderStatus.choices, protected=True)
    failure_reason = models.TextField(blank=True, default="")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Provisioning bookkeeping (R22): when it was last handed to the broker, and the lease
    # of the delivery working on it. The sweep re-enqueues an order whose lease is free
    # and whose last enqueue is old: a lost message or a killed worker.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # R23: one open order per subscription, whatever the code does.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(status__in=OPEN_ORDER_STATUSES, subscription__isnull=False),
                name="one_open_order_per_subscription",
            )
        ]
        indexes = [
            models.Index(fields=["status", "enqueued_at"]),
            # The lists filtered by status, newest first, read in their order; it serves any
            # lookup by status too. Counts by status come from ``OrderTally``, so the status
            # column has no index of its own for every placement to maintain.
            models.Index(fields=["status", "created_at", "id"], name="order_status_created"),
            # R38: an account's open orders, read by the commitment without its history.
            models.Index(fields=["account"], condition=open_order_q(), name="order_open_by_account"),
        ]

    def __str__(self):
        return f"Order #{self.pk} ({self.get_type_display()}, {self.plan.name})"

    @property
    def is_open(self):
        return self.status in OPEN_ORDER_STATUSES

    @property
    def failed_by_decline(self):
        """R16: failed because the account's permission was declined (it reads as held, R24)."""
        return self.status == OrderStatus.PROVISIONING_FAILED and self.failure_reason == ORDER_FAILED_BY_DECLINE

    def _start_provisioning(self):
        self.enqueued_at = timezone.now()
        self.claimed_until = None
        self.claim_token = None

    @transition(field=status, source=OrderStatus.WAITING_FOR_APPROVAL, target=OrderStatus.PROVISIONING)
    def release(self, *, approved_by):
        """R15: the manager's approval releases the held order."""
        self.approved_by = approved_by
        self._start_provisioning()

    @transition(field=status, source=OrderStatus.WAITING_FOR_APPROVAL, target=OrderStatus.PROVISIONING_FAILED)
    def fail_by_decline(self):
        """R16: the reference's rule for orders linked to a declined operation."""
        self.failure_reason = ORDER_FAILED_BY_DECLINE

    @transition(field=status, source=OrderStatus.WAITING_FOR_APPROVAL, target=OrderStatus.PROVISIONING_FAILED)
    def fail_by_credit_review(self):
        """R41: the held order of a declined credit review fails; the account stays approved."""
        self.failure_reason = ORDER_FAILED_BY_CREDIT_REVIEW

    @transition(field=status, source=OrderStatus.WAITING_FOR_PAYMENT, target=OrderStatus.PROVISIONING)
    def pay(self):
        """R21."""
        self._start_provisioning()

    @transition(field=status, source=OrderStatus.WAITING_FOR_PAYMENT, target=OrderStatus.CANCELLED)
    def cancel(self):
        """R25."""

    @transition(
        field=status,
        source=OrderStatus.PROVISIONING_FAILED,
        target=OrderStatus.PROVISIONING,
        conditions=[lambda order: order.failure_reason not in DECLINE_FAILURE_REASONS],
    )
    def retry_provisioning(self):
        """R22: not an order failed by a decline of either kind (R16, R41)."""
        self.failure_reason = ""
        self._start_provisioning()

    @transition(field=status, source=OrderStatus.PROVISIONING, target=OrderStatus.COMPLETED)
    def complete(self, *, subscription):
        self.subscription = subscription
        self.completed_at = timezone.now()
        self.claimed_until = None
        self.claim_token = None

    @transition(field=status, source=OrderStatus.PROVISIONING, target=OrderStatus.PROVISIONING_FAILED)
    def fail_provisioning(self, *, error):
        self.failure_reason = str(error)[:2000] or "provisioning failed"
        self.claimed_until = None
        self.claim_token = None


class AttemptOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (worker lost)"


class ProvisioningAttempt(models.Model):
    """R22: each attempt is visible on the order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.RUNNING)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["order_id", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="one_attempt_number_per_order")]
        # R35: /metrics counts attempts by outcome at every scrape (an index-only count).
        indexes = [models.Index(fields=["outcome"], name="provisioning_attempt_outcome")]

    def __str__(self):
        return f"Attempt {self.number} of order #{self.order_id}: {self.outcome}"

    def finish(self, outcome, error=""):
        self.outcome = outcome
        self.error = str(error)[:2000]
        self.finished_at = timezone.now()
        self.save(update_fields=["outcome", "error", "finished_at"])


class OrderTally(models.Model):
    """Orders counted by status, kept by the database itself (decision 109).

    The REST API's ``count`` is exact (CONTRACT §4) and must not read millions of orders a
    page. Triggers on the orders table (``migrations/0005``) append a row ``(status, ±1)``
    for every insert, status change and delete, in the writer's own transaction: every write
    path is counted, even a hand-written ``UPDATE``, and a rolled-back one is not. Appending
    never waits for another writer (one shared counter row would serialize every placement
    on its lock). ``order_tally_compact`` folds the rows into one per status on beat's
    schedule, so a count sums a handful of rows whatever the number of orders.
    """

    status = models.CharField(max_length=50)
    delta = models.BigIntegerField()

    def __str__(self):
        return f"{self.status} {self.delta:+d}"
