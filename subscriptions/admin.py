"""Orders, subscriptions and plans in the operator portal (R20–R23).

Statuses are read-only; "retry provisioning" and "record payment" call the services, which
decide whether the order may (R21, R22: never an order failed by a decline).
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from audit.admin import audit_trail_html
from audit.models import ObjectType
from postpay_portal.admin_export import ListCsvExportMixin
from postpay_portal.admin_site import (
    AccountFilter,
    CappedCountMixin,
    FastActionCheckboxMixin,
    ReadOnlyAdminMixin,
    apply_each,
    service_form_page,
)

from .exports import OrderExportResource
from .models import (
    ORDER_FAILED_BY_DECLINE,
    BillingModel,
    Order,
    OrderStatus,
    Plan,
    ProvisioningAttempt,
    Subscription,
    failed_by_decline_q,
)
from .money import currency, format_price
from .services import order_pay, order_retry_provisioning, plan_create

# Failure reasons that are codes, as the portal names them (R16; R41's credit review).
FAILURE_LABELS = {
    ORDER_FAILED_BY_DECLINE: "Permission declined",
    "credit_review_declined": "Credit review declined",
}


class PlanCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    billing_model = forms.ChoiceField(choices=BillingModel.choices)
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    trial_days = forms.IntegerField(min_value=0, max_value=3650, initial=0, help_text="0 means the plan has no trial.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"].help_text = f"Per billing period, in {currency()}."


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans are created through ``plan_create`` and not edited afterwards (orders keep their
    price, but a plan's billing model decides the gate, R5)."""

    list_display = ("id", "name", "billing_model", "price_with_currency", "trial_days")
    list_filter = ("billing_model",)
    search_fields = ("name",)
    fields = ("name", "billing_model", "price_with_currency", "trial_days")
    readonly_fields = fields

    @admin.display(description="Price", ordering="price")
    def price_with_currency(self, obj):
        return format_price(obj.price)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied

        def created(plan):
            self.log_addition(request, plan, [{"added": {}}])
            return f'Plan "{plan}" was created.', reverse("admin:subscriptions_plan_changelist")

        return service_form_page(
            request,
            self,
            PlanCreateForm(request.POST or None),
            lambda data: plan_create(actor=request.user, **data),
            created,
            title="Add plan",
            submit_label="Create plan",
            submit_name="_save",
            cancel_url=reverse("admin:subscriptions_plan_changelist"),
        )


class AttemptInline(admin.TabularInline):
    """R22: each provisioning attempt is visible on the order."""

    model = ProvisioningAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "finished_at", "outcome", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProvisioningFailureFilter(admin.SimpleListFilter):
    """R22: the failed provisionings an operator may retry, apart from those failed by a
    decline (the home page's "Failed provisionings" opens the first)."""

    title = "provisioning failure"
    parameter_name = "failure"

    def lookups(self, request, model_admin):
        return [("retryable", "Failed, can be retried"), ("declined", "Failed by a decline")]

    def queryset(self, request, queryset):
        if self.value() == "retryable":
            return queryset.filter(status=OrderStatus.PROVISIONING_FAILED).exclude(failed_by_decline_q())
        if self.value() == "declined":
            return queryset.filter(failed_by_decline_q())
        return queryset


def _apply(request, queryset, service, verb):
    """Call the service per order; report done and skipped with the refusal's words."""
    ids = queryset.order_by("id").values_list("pk", flat=True)
    done, skipped = apply_each(lambda order_id: service(actor=request.user, order_id=order_id), ids)
    if done:
        messages.success(request, f"{verb} {len(done)} order(s): {', '.join(f'#{pk}' for pk in done)}.")
    if skipped:
        messages.warning(
            request, f"Skipped {len(skipped)} order(s): " + "; ".join(f"#{pk}: {why}" for pk, why in skipped)
        )


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, CappedCountMixin, FastActionCheckboxMixin, ListCsvExportMixin, admin.ModelAdmin):
    export_resource_class = OrderExportResource
    # R20 at 1280 px: the placer and the approver in one cell, the failure reason under the
    # status, the period under the plan; the CSV export keeps each in its own column
    # (``get_export_columns``), and the attempts are on the order's page.
    list_display = (
        "id",
        "type",
        "account",
        "plan_and_period",
        "price_with_currency",
        "status_and_reason",
        "placed_by",
        "created_at",
    )
    EXPORT_COLUMNS = (
        "id",
        "type",
        "account",
        "plan",
        "period",
        "price_with_currency",
        "status",
        "failure_reason_short",
        "created_by",
        "approved_by",
        "attempt_count",
        "created_at",
    )
    list_filter = (
        "status",
        ProvisioningFailureFilter,
        "type",
        "period",
        ("created_at", admin.DateFieldListFilter),
        AccountFilter,
    )
    list_select_related = ("account", "plan", "created_by", "approved_by")
    search_fields = ("=id", "account__name")
    show_facets = admin.ShowFacets.NEVER  # facet counts scan big tables
    show_full_result_count = False
    list_per_page = 50
    fields = (
        "type",
        "account",
        "plan",
        "period",
        "price_with_currency",
        "status",
        "failure_reason",
        "subscription",
        "created_by",
        "approved_by",
        "manual_operation_link",
        "created_at",
        "completed_at",
        "enqueued_at",
        "audit_trail",
    )
    readonly_fields = (*fields, "created_by_username", "approved_by_username")
    inlines = [AttemptInline]
    actions = ["retry_provisioning", "record_payment"]

    def get_fields(self, request, obj=None):
        """The placer and the approver (R20) link to their logins only for a reader who may
        open them."""
        if request.user.has_perm("accounts.view_user"):
            return self.fields
        return tuple(f"{name}_username" if name in ("created_by", "approved_by") else name for name in self.fields)

    @admin.display(description="Created by")
    def created_by_username(self, obj):
        return obj.created_by.get_username() if obj.created_by_id else "—"

    @admin.display(description="Approved by")
    def approved_by_username(self, obj):
        return obj.approved_by.get_username() if obj.approved_by_id else "—"

    def get_queryset(self, request):
        """The attempts of each listed order are counted by a subquery per row: a join and
        ``GROUP BY`` would aggregate every order in the table before the page is cut
        (decision 99)."""
        attempts = (
            ProvisioningAttempt.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(attempts_total=Coalesce(Subquery(attempts, output_field=IntegerField()), 0))
        )

    @admin.display(description="Price", ordering="price")
    def price_with_currency(self, obj):
        return format_price(obj.price)

    def get_export_columns(self, request, resource):
        """Each value in its own column, as the file's readers expect (CONTRACT's order)."""
        return [
            (capfirst(str(label_for_field(name, self.model, model_admin=self))), name, resource.fields[name])
            for name in self.EXPORT_COLUMNS
        ]

    @admin.display(description="Plan", ordering="plan__name")
    def plan_and_period(self, obj):
        return format_html('{}<span class="postpay-second-line">{}</span>', obj.plan.name, obj.get_period_display())

    @admin.display(description="Status", ordering="status")
    def status_and_reason(self, obj):
        """The status, and under a failed one why (a decline by its label, R16)."""
        if not obj.failure_reason:
            return obj.get_status_display()
        return format_html(
            '{}<span class="postpay-second-line">{}</span>', obj.get_status_display(), self.failure_reason_short(obj)
        )

    @admin.display(description="Placed by", ordering="created_by__username")
    def placed_by(self, obj):
        """R20: who placed the order and, once released, who approved it."""
        placer = obj.created_by.get_username() if obj.created_by_id else "system"
        if not obj.approved_by_id:
            return placer
        return format_html(
            '{}<span class="postpay-second-line">approved by {}</span>', placer, obj.approved_by.get_username()
        )

    @admin.display(description="Failure reason")
    def failure_reason_short(self, obj):
        """A decline's reason by its label (R16, R41); a provisioning error cut to 80 characters."""
        reason = obj.failure_reason
        if reason in FAILURE_LABELS:
            return FAILURE_LABELS[reason]
        return (reason[:80] + "…") if len(reason) > 80 else (reason or "—")

    @admin.display(description="Attempts", ordering="attempts_total")
    def attempt_count(self, obj):
        return obj.attempts_total

    @admin.display(description="Manual operation")
    def manual_operation_link(self, obj):
        operation = getattr(obj, "manual_operation", None) if obj.pk else None
        if operation is None:
            return "—"
        return format_html(
            '<a href="{}">#{} — {}</a>',
            reverse("admin:manual_operations_manualoperation_change", args=[operation.pk]),
            operation.pk,
            operation.get_status_display(),
        )

    @admin.display(description="Audit log")
    def audit_trail(self, obj):
        return audit_trail_html(object_type=ObjectType.ORDER, object_id=obj.pk) if obj.pk else "—"

    def has_operate_permission(self, request):
        """Who may retry provisioning and record payments: the "change order" permission."""
        return request.user.has_perm(f"{self.opts.app_label}.change_order")

    @admin.action(description="Retry provisioning of the selected orders", permissions=["operate"])
    def retry_provisioning(self, request, queryset):
        """R22: the service refuses an order failed by a decline (R16) or not failed at all."""
        _apply(request, queryset, order_retry_provisioning, "Retried provisioning of")

    @admin.action(description="Record payment of the selected orders", permissions=["operate"])
    def record_payment(self, request, queryset):
        """R21."""
        _apply(request, queryset, order_pay, "Recorded payment of")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, CappedCountMixin, admin.ModelAdmin):
    list_display = ("id", "account", "plan", "period", "status", "started_at", "current_period_end")
    list_filter = ("status", "period", "plan", AccountFilter)
    list_select_related = ("account", "plan")
    search_fields = ("=id", "account__name")
    show_full_result_count = False
    fields = ("account", "plan", "period", "status", "started_at", "current_period_end", "origin_order_link")
    readonly_fields = fields

    @admin.display(description="Origin order")
    def origin_order_link(self, obj):
        """The `new` order that created it."""
        if obj.origin_order_id is None:
            return "—"
        return format_html(
            '<a href="{}">Order #{}</a>',
            reverse("admin:subscriptions_order_change", args=[obj.origin_order_id]),
            obj.origin_order_id,
        )
