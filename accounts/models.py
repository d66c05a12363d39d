from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class PostpayPermission(models.TextChoices):
    """R6: stored values and operator labels of "Work permit for postpaid"."""

    NONE = "none", "Verification not performed"
    UNDER_REVIEW = "under_review", "Approval required"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


def _amount_field(verbose_name, help_text):
    """An amount in the installation's currency, ≥ 0, two places; none means no limit."""
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=help_text,
    )


class AccountClass(models.Model):
    name = models.CharField(max_length=100, unique=True)
    default_postpaid_limit = _amount_field(
        "Default postpaid limit",
        "R37: pre-fills the limit when a manager approves an account of this class; the account keeps its own.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "account classes"

    def __str__(self):
        return self.name


# R37: an account with credit terms, as ``Account.has_credit_terms`` says it, in a query.
CREDIT_TERMS_Q = (
    models.Q(postpaid_limit__isnull=False) | models.Q(credit_review_on__isnull=False) | models.Q(payment_hold=True)
)

# One account identity: a billing e-mail belongs to one account, whatever its case.
EMAIL_UNIQUE_CONSTRAINT = "account_email_unique_ci"


class Account(ConcurrentTransitionMixin, models.Model):
    """A customer organisation. Its postpay permission only moves by transitions (R6, R7)."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, default="")
    account_class = models.ForeignKey(
        AccountClass, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
        limit_choices_to={"is_staff": True},
        help_text="The operator responsible for this account.",
    )
    postpay_permission = FSMField(
        "Work permit for postpaid",
        choices=PostpayPermission.choices,
        default=PostpayPermission.NONE,
        protected=True,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # R37: credit terms. Set by services only (accounts.services.account_credit_terms_update,
    # account_payment_hold_set, and the approvals that take terms), each change audited.
    postpaid_limit = _amount_field(
        "Postpaid limit", "The most its postpaid subscriptions may cost per billing period; empty: no limit."
    )
    credit_review_on = models.DateField(
        "Review date", null=True, blank=True, help_text="From this day, an order that raises the commitment waits."
    )
    payment_hold = models.BooleanField(
        "Payment hold", default=False, help_text="Reported by billing: orders that raise the commitment wait."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # R43: the "Over limit" filter reads only the accounts that have a limit.
            models.Index(
                fields=["postpaid_limit"], name="account_with_limit", condition=models.Q(postpaid_limit__isnull=False)
            ),
        ]
        constraints = [
            # The backstop of accounts.services._ensure_email_free under concurrency; an empty
            # e-mail (optional) never conflicts.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name=EMAIL_UNIQUE_CONSTRAINT,
                violation_error_message="Another account already uses this billing e-mail address.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def has_credit_terms(self):
        """R37, R39: an approved account without terms is never checked (R11)."""
        return self.postpaid_limit is not None or self.credit_review_on is not None or self.payment_hold

    # R7 transitions; each is called by a service that also writes the audit log (R29).
    @transition(field=postpay_permission, source=PostpayPermission.NONE, target=PostpayPermission.UNDER_REVIEW)
    def request_postpay_review(self):
        """R9, R36a: the first gated order, or a review asked in advance, puts the account
        under review."""

    @transition(field=postpay_permission, source=PostpayPermission.UNDER_REVIEW, target=PostpayPermission.APPROVED)
    def grant_postpay(self):
        """R15."""

    @transition(field=postpay_permission, source=PostpayPermission.UNDER_REVIEW, target=PostpayPermission.DECLINED)
    def refuse_postpay(self):
        """R16."""

    @transition(field=postpay_permission, source=PostpayPermission.NONE, target=PostpayPermission.APPROVED)
    def preapprove_postpay(self):
        """R7, R8, R36b: an operator creates the account pre-approved, or a manager approves
        it in advance."""

    @transition(field=postpay_permission, source="*", target=RETURN_VALUE(*PostpayPermission.values))
    def override_postpay(self, to):
        """R7: support's override of a final status (management command only)."""
        return to


class User(AbstractUser):
    """A login. Customer users belong to exactly one account; operators belong to none."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="users")

    @property
    def is_customer(self):
        return self.account_id is not None and not self.is_staff


class ApiToken(AbstractAuthToken):
    """R46: an API token, stored only as its digest (knox's SHA-512 of the random token; the
    first characters, ``token_key``, narrow the lookup and cannot sign in). A login has any
    number of them, each labelled with its client's ``name`` and revoked on its own; every one
    expires. ``KNOX_TOKEN_MODEL`` points knox here instead of its own table, so there is one
    row per token and no join on each request.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    expiry = models.DateTimeField(db_index=True)
    name = models.CharField(max_length=64, default="api", help_text="The client the token was issued for.")
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.user})"
