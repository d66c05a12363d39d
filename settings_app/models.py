from django.db import models


class PermissionMode(models.TextChoices):
    AUTOMATIC = "automatic", "Automatically"
    MANUAL = "manual", "Manually"


class PostpaySettings(models.Model):
    """R1, R2: the reseller's postpay settings; one installation, one row (pk=1)."""

    SINGLETON_PK = 1

    postpaid_permission_mode = models.CharField(
        "Allow an account to order a postpaid subscription",
        max_length=16,
        choices=PermissionMode.choices,
        default=PermissionMode.AUTOMATIC,
    )
    trial_requires_approval = models.BooleanField(
        "Approval also required for trial periods",
        default=False,
        help_text="When on, trial periods of postpaid plans are gated like commercial ones.",
    )
    payment_instructions = models.TextField(
        "Payment instructions",
        blank=True,
        default="",
        max_length=4000,
        help_text="How customers pay an order that waits for payment (bank account, reference to quote…). "
        "Shown to customers on the order page, the dashboard and in order e-mails.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Postpay settings"
        verbose_name_plural = "Postpay settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="postpay_settings_single_row")]

    def __str__(self):
        return "Postpay settings"

    @property
    def is_manual(self):
        return self.postpaid_permission_mode == PermissionMode.MANUAL
