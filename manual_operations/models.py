from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class OperationType(models.TextChoices):
    POSTPAY_PERMISSION = "postpay_permission", "Allow an account has postpaid subscriptions"
    CREDIT_REVIEW = "credit_review", "Credit review"  # R39


class HoldReason(models.TextChoices):
    """R39: why an order of an approved account waits for a credit review, in this order."""

    OVER_LIMIT = "over_limit", "Over the postpaid limit"
    REVIEW_DUE = "review_due", "Review date reached"
    PAYMENT_HOLD = "payment_hold", "Payment hold"


class OperationStatus(models.TextChoices):
    """R14."""

    APPROVAL_REQUIRED = "approval_required", "Approval required"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class OperationOrigin(models.TextChoices):
    """What opened the operation: a held order (R9), or a review before any order (R36)."""

    HELD_ORDER = "held_order", "Held order"
    ASKED_IN_ADVANCE = "asked_in_advance", "Asked in advance"
    APPROVED_IN_ADVANCE = "approved_in_advance", "Approved in advance"


class DeclineReason(models.TextChoices):
    """R16: internal only, never shown to the customer."""

    CREDIT_RISK = "credit_risk", "Credit risk"
    INCOMPLETE_INFORMATION = "incomplete_information", "Incomplete information"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OTHER = "other", "Other"


class ManualOperation(ConcurrentTransitionMixin, models.Model):
    """A task a manager decides before the held order runs (R9, R14–R16), or before any order
    at all (R36: asked or approved in advance, ``order`` empty)."""

    operation = models.CharField(max_length=32, choices=OperationType.choices, default=OperationType.POSTPAY_PERMISSION)
    description = models.CharField(max_length=300)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="manual_operations")
    order = models.OneToOneField(
        "subscriptions.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="manual_operation",
        help_text="The held order; empty for a review asked or approved in advance (R36).",
    )
    origin = models.CharField(max_length=32, choices=OperationOrigin.choices, default=OperationOrigin.HELD_ORDER)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who opened it: the placer of the held order, the customer who asked, the manager who approved.",
    )
    status = FSMField(
        choices=OperationStatus.choices, default=OperationStatus.APPROVAL_REQUIRED, protected=True, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Approved by manager",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=32, choices=DeclineReason.choices, blank=True, default="")
    note = models.TextField(blank=True, default="")
    # R39: a credit review's hold reasons (HoldReason values, in R39's order) and what the
    # check read: {"postpaid_limit", "commitment" (before the order), "increase"}, amounts as
    # decimal strings. Empty and null for a permission operation.
    hold_reasons = models.JSONField(default=list, blank=True)
    credit_snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [("decide_manualoperation", "Can decide manual operations")]
        constraints = [
            # R12, R40: whatever the code does, one open operation per account, of any type.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="approval_required"),
                name="one_open_manual_operation_per_account",
            )
        ]
        indexes = [
            # R30: the report's median time to decision reads the most recent decisions only.
            models.Index(fields=["decided_at"], name="manual_operation_decided_at"),
            # R17: the queue — a status, oldest first — read in its order, however many
            # decided operations there are.
            models.Index(fields=["status", "created_at", "id"], name="manual_operation_queue"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_operation_display()} — {self.account}"

    @property
    def is_open(self):
        return self.status == OperationStatus.APPROVAL_REQUIRED

    @transition(field=status, source=OperationStatus.APPROVAL_REQUIRED, target=OperationStatus.APPROVED)
    def approve(self, *, by, note=""):
        """R15."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.note = note or ""

    @transition(field=status, source=OperationStatus.APPROVAL_REQUIRED, target=OperationStatus.DECLINED)
    def decline(self, *, by, reason_code, note=""):
        """R16."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.reason = reason_code
        self.note = note or ""
