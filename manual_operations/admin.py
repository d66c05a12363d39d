"""The managers' queue (R14–R18, R30).

Default view: open operations, oldest first. Approve and Decline — on the detail page after a
confirmation, and as bulk actions — call the services; staff without the decide permission
see everything read-only.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.forms import class_default_terms
from audit.admin import audit_trail_html, viewable_object_types
from audit.models import ObjectType
from postpay_portal.admin_export import ListCsvExportMixin
from postpay_portal.admin_site import (
    BulkTable,
    CappedCountMixin,
    FastActionCheckboxMixin,
    ReadOnlyAdminMixin,
    bulk_confirmation,
    bulk_summary,
    form_errors_from,
    form_page,
    link_if_viewable,
    request_is_manual,
    user_html,
)
from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get
from subscriptions.money import format_price
from subscriptions.visibility import account_credit_figures

from . import presenters
from .errors import OperationAlreadyDecided
from .exports import ManualOperationExportResource
from .forms import ApproveForm, ApproveWithTermsForm, DeclineForm
from .groups import can_decide
from .models import HoldReason, ManualOperation, OperationStatus
from .reports import queue_report
from .selectors import exposure_for, operation_history
from .services import (
    manual_operation_approve,
    manual_operation_approve_many,
    manual_operation_decline,
    manual_operation_decline_many,
)

ALL = "all"


class StatusFilter(admin.SimpleListFilter):
    """R17: status, defaulting to the open operations (the queue)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*OperationStatus.choices, (ALL, "All")]

    def value(self):
        return super().value() or OperationStatus.APPROVAL_REQUIRED.value

    def queryset(self, request, queryset):
        if self.value() == ALL:
            return queryset
        if self.value() in OperationStatus.values:
            return queryset.filter(status=self.value())
        return queryset.none()

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ManagerFilter(admin.RelatedFieldListFilter):
    """R17: the account's linked manager."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "manager"


class AccountClassFilter(admin.RelatedFieldListFilter):
    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "account class"


@admin.register(ManualOperation)
class ManualOperationAdmin(
    ReadOnlyAdminMixin, CappedCountMixin, FastActionCheckboxMixin, ListCsvExportMixin, admin.ModelAdmin
):
    export_resource_class = ManualOperationExportResource  # the open operations by default, as the list
    list_display = (
        "id",
        "description",
        "operation",
        "account",
        "manager",
        "account_class",
        "status",
        "created_at",
        "age",
    )
    list_display_links = ("id", "description")
    list_filter = (
        StatusFilter,
        ("operation", admin.ChoicesFieldListFilter),
        ("account__manager", ManagerFilter),
        ("account__account_class", AccountClassFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("account", "account__manager", "account__account_class")
    search_fields = ("=id", "description", "account__name")
    show_facets = admin.ShowFacets.NEVER  # facet counts scan big tables
    show_full_result_count = False
    list_per_page = 50
    actions = ["approve_selected", "decline_selected"]
    change_form_template = "admin/manual_operations/manualoperation/change_form.html"
    change_list_template = "admin/manual_operations/manualoperation/change_list.html"
    fields = (
        "operation",
        "description",
        "account_link",
        "order_link",
        "status",
        "created_at",
        "age",
        "decided_by",
        "decided_at",
        "reason",
        "note",
    )
    readonly_fields = fields

    # --- columns (R17 labels) ----------------------------------------------------------------

    @admin.display(description="Manager", ordering="account__manager__username")
    def manager(self, obj):
        return obj.account.manager or "—"

    @admin.display(description="Account class", ordering="account__account_class__name")
    def account_class(self, obj):
        return obj.account.account_class or "—"

    @admin.display(description="Age")
    def age(self, obj):
        """R17: highlighted past MANUAL_OPERATION_TARGET_HOURS; never decides by itself."""
        text = presenters.format_age(presenters.age_of(obj))
        if presenters.is_past_target(obj):
            return format_html(
                '<span class="postpay-overdue" title="Waiting longer than the target of {} h">{} ⚠</span>',
                f"{settings.MANUAL_OPERATION_TARGET_HOURS:g}",
                text,
            )
        return text

    @admin.display(description="Account")
    def account_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:accounts_account_change", args=[obj.account_id]), obj.account
        )

    @admin.display(description="Order")
    def order_link(self, obj):
        order = obj.order
        if order is None:  # R36: no order is held
            return f"— none: {obj.get_origin_display().lower()} by {obj.requested_by or 'system'}"
        return format_html(
            '<a href="{}">Order #{}</a> — {}, {}, {}',
            reverse("admin:subscriptions_order_change", args=[order.pk]),
            order.pk,
            order.plan.name,
            format_price(order.price),
            order.get_status_display(),
        )

    # --- permissions ---------------------------------------------------------------------------

    def has_decide_permission(self, request, obj=None):
        return can_decide(request.user)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "account",
                "account__manager",
                "account__account_class",
                "order",
                "order__plan",
                "decided_by",
                "requested_by",
            )
        )

    # --- pages -------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="manual_operations_manualoperation_report"),
            path(
                "<id:operation_id>/approve/", view(self.approve_view), name="manual_operations_manualoperation_approve"
            ),
            path(
                "<id:operation_id>/decline/", view(self.decline_view), name="manual_operations_manualoperation_decline"
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """R17: what a manager needs first — the operation, its account and order, why it is
        held, the exposure card, its history — and the decision last."""
        operation = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if operation is not None:
            extra.update(
                title=f"Operation #{operation.pk}",
                subtitle=f"{operation.get_operation_display()} — {operation.account}",
                facts=self._facts(request, operation),
                why_held=presenters.why_held(operation, postpay_settings_get()),
                why_title=presenters.why_title(operation),
                exposure=exposure_for(operation),
                history=self._history_html(request, operation),
                can_decide=can_decide(request.user) and operation.is_open,
                mode_is_manual=request_is_manual(request),
                past_target=presenters.is_past_target(operation),
                is_credit_review=presenters.is_credit_review(operation),
                hold_reasons=presenters.hold_reason_labels(operation),
                snapshot=operation.credit_snapshot or {},
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def history_view(self, request, object_id, extra_context=None):
        """The operation's history is its audit trail, with its order's and the account
        entries it caused (R29); the admin's own change log holds nothing here (nothing is
        edited)."""
        operation = self.get_object(request, object_id)
        if operation is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, operation):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"History of operation #{operation.pk}",
            "object": operation,
            "object_url": reverse("admin:manual_operations_manualoperation_change", args=[operation.pk]),
            "history": self._history_html(request, operation),
        }
        return TemplateResponse(request, "admin/manual_operations/manualoperation/history.html", context)

    @staticmethod
    def _history_html(request, operation):
        entries = operation_history(operation)
        for entry in entries:
            if entry.object_type == ObjectType.ACCOUNT:
                entry.account_name = operation.account.name
        return audit_trail_html(entries=entries, viewable=viewable_object_types(request.user))

    @staticmethod
    def _facts(request, operation):
        """R17's detail: account, order, "Approved by manager" (or "Decided by" for a
        decline), decision time, reason — labels, not stored codes; one date format."""
        account = link_if_viewable(
            request, "accounts.view_account", "admin:accounts_account_change", operation.account_id, operation.account
        )
        order = operation.order
        if order is None:  # R36: no order is held
            order_html = f"none: {operation.get_origin_display().lower()} by {operation.requested_by or 'system'}"
        else:
            order_html = format_html(
                "{} — {}, {}, {}",
                link_if_viewable(
                    request,
                    "subscriptions.view_order",
                    "admin:subscriptions_order_change",
                    order.pk,
                    f"Order #{order.pk}",
                ),
                order.plan.name,
                format_price(order.price),
                order.get_status_display(),
            )
        decided_label = "Decided by" if operation.status == OperationStatus.DECLINED else "Approved by manager"
        facts = [
            ("Operation", operation.get_operation_display()),
            ("Description", operation.description),
            ("Account", account),
            ("Manager", user_html(request, operation.account.manager)),  # the account's linked manager
            ("Account class", operation.account.account_class.name if operation.account.account_class_id else "—"),
            ("Order", order_html),
            ("Status", operation.get_status_display()),
            ("Created at", presenters.format_time(operation.created_at)),
            ("Waiting" if operation.is_open else "Waited", presenters.format_age(presenters.age_of(operation))),
            (decided_label, user_html(request, operation.decided_by)),
            ("Decided at", presenters.format_time(operation.decided_at)),
        ]
        if operation.status == OperationStatus.DECLINED:
            facts.append(("Reason", operation.get_reason_display() or "—"))
        facts.append(("Note", operation.note or "—"))
        return facts

    def changelist_view(self, request, extra_context=None):
        extra = {"target_hours": settings.MANUAL_OPERATION_TARGET_HOURS, **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def _decide_page(self, request, operation_id, *, make_form, title, submit_label, decide, danger=False):
        """The confirmation page of one decision (R18): GET shows it, POST (CSRF) decides.
        ``make_form(operation, data)`` builds the form; ``decide(operation, form)`` calls the
        service. A refusal of what was typed (a limit below the commitment, R41) comes back on
        its field with nothing changed; any other refusal is a message on the operation's page."""
        operation = get_object_or_404(self.get_queryset(request), pk=operation_id)
        change_url = reverse("admin:manual_operations_manualoperation_change", args=[operation.pk])
        if not self.has_decide_permission(request):
            messages.error(request, "Only a manager may decide manual operations.")
            return redirect(change_url)
        if not operation.is_open:
            messages.error(request, refusal_text(OperationAlreadyDecided(operation)))  # R14: who and when
            return redirect(change_url)
        form = make_form(operation, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decided = decide(operation, form)
            except DomainError as error:
                if not set(error.fields or {}) & set(form.fields):
                    messages.error(request, refusal_text(error))
                    return redirect(change_url)
                form_errors_from(form, error)
            else:
                messages.success(request, f"Operation #{operation.pk} {decided.get_status_display().lower()}.")
                return redirect(change_url)
        return form_page(
            request,
            self,
            title=title,
            form=form,
            submit_label=submit_label,
            submit_class="postpay-danger" if danger else "default",
            obj=operation,
            object_url=change_url,
            cancel_url=change_url,
            intro=f"{operation.get_operation_display()} — {operation.account} — " + self._held(operation),
            extra_html=self._decision_consequence(operation, approve=not danger),
        )

    @staticmethod
    def _decision_consequence(operation, *, approve):
        """What the decision does, in the words of the operation's type (R15, R16, R41)."""
        if presenters.is_credit_review(operation):
            if approve:
                figures = account_credit_figures(operation.account)
                return format_html(
                    '<p id="decision-consequence">Approving releases the held order to provisioning; the account '
                    "stays approved. Held for: {}. Today the account's commitment is {} (this order included) and "
                    "its limit {}. A new limit cannot be below that commitment; leave the terms as they are to "
                    "keep them.</p>",
                    ", ".join(presenters.hold_reason_labels(operation)).lower() or "—",
                    format_price(figures.commitment),
                    format_price(figures.limit) if figures.limit is not None else "none",
                )
            return mark_safe(
                '<p id="decision-consequence">Declining fails the held order: the customer reads that their provider '
                "did not approve it. The account stays approved with its credit terms.</p>"
            )
        return ""

    def _approve_form(self, operation, data):
        """R41, R43: a credit review's approval may set new terms, pre-filled with today's — the
        review date left empty when the review was due, as approving clears it; a permission
        operation's, pre-filled from the account class's default limit (R37)."""
        account = operation.account
        if presenters.is_credit_review(operation):
            review_due = HoldReason.REVIEW_DUE in operation.hold_reasons
            initial = {"postpaid_limit": account.postpaid_limit}
            if not review_due:
                initial["credit_review_on"] = account.credit_review_on
            form = ApproveWithTermsForm(data, initial=initial, replacing=True)
            if review_due:
                form.fields["credit_review_on"].help_text = (
                    "The review date was reached: approving clears it (the review took place), unless you set a "
                    "new one here."
                )
            return form
        form = ApproveWithTermsForm(data, initial=class_default_terms(account.account_class))
        form.fields["postpaid_limit"].help_text = _limit_help(account)
        return form

    @staticmethod
    def _held(operation):
        if operation.order_id is None:  # R36: no order is held
            return f"no order: {operation.get_origin_display().lower()} by {operation.requested_by or 'system'}."
        order = operation.order
        return f"order #{order.pk} ({order.plan.name}, {format_price(order.price)})."

    def approve_view(self, request, operation_id):
        """R15, R41: approve after a confirmation, with optional credit terms; the held order
        provisions after commit."""
        return self._decide_page(
            request,
            operation_id,
            make_form=self._approve_form,
            title=f"Approve operation #{operation_id}?",
            submit_label="Approve",
            decide=lambda operation, form: manual_operation_approve(
                actor=request.user, operation_id=operation.pk, **form.service_kwargs()
            ),
        )

    def decline_view(self, request, operation_id):
        """R16, R41: decline with a structured reason and an optional note."""
        return self._decide_page(
            request,
            operation_id,
            make_form=lambda operation, data: DeclineForm(data),
            title=f"Decline operation #{operation_id}?",
            submit_label="Decline",
            decide=lambda operation, form: manual_operation_decline(
                actor=request.user, operation_id=operation.pk, **form.cleaned_data
            ),
            danger=True,
        )

    def report_view(self, request):
        """R30."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Queue report",
            "report": queue_report(),
        }
        return TemplateResponse(request, "admin/manual_operations/manualoperation/report.html", context)

    # --- bulk actions (R18) ------------------------------------------------------------------

    def _bulk(self, request, queryset, *, form_class, verb, decide, danger=False):
        """Confirmation page first, deciding exactly the operations it listed; then R14 per
        operation, and a summary of the decided and of the skipped, each with why (who
        decided it, when)."""
        form, ids, page = bulk_confirmation(
            request,
            self,
            queryset,
            order_by=("created_at", "id"),
            form_class=form_class,
            title=f"{verb.capitalize()} {{n}} operation(s)?",
            submit_label=verb.capitalize(),
            intro="Each operation is decided on its own; those already decided are skipped and listed.",
            table=OperationSelection(),
            danger=danger,
        )
        if page is not None:
            return page
        done, refused = decide(actor=request.user, operation_ids=ids, **form.cleaned_data)
        decided, skipped = [op.pk for op in done], [(pk, refusal_text(error)) for pk, error in refused]
        bulk_summary(request, decided, skipped, done_text=verb.capitalize() + "d {n} operation(s)", noun="operation(s)")
        return None

    @admin.action(description="Approve selected operations", permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            form_class=ApproveForm,
            verb="approve",
            decide=manual_operation_approve_many,
        )

    @admin.action(description="Decline selected operations", permissions=["decide"])
    def decline_selected(self, request, queryset):
        return self._bulk(
            request,
            queryset,
            form_class=DeclineForm,
            verb="decline",
            decide=manual_operation_decline_many,
            danger=True,
        )


def _limit_help(account):
    """The limit's help on a permission operation's approval: where the pre-filled value comes from."""
    help_text = ApproveWithTermsForm.base_fields["postpaid_limit"].help_text
    klass = account.account_class
    if klass is not None and klass.default_postpaid_limit is not None:
        return f"{help_text} Pre-filled with the default of the account class {klass.name}."
    return help_text


def refusal_text(error):
    """A refusal as the portal words it: "already declined by mia at 2026-05-04 10:12" in the
    portal's one date format (R14: who and when)."""
    if isinstance(error, OperationAlreadyDecided) and error.decided_at is not None:
        return f"{error.detail.split(' at ')[0]} at {presenters.format_time(error.decided_at)}."
    return error.detail


class OperationSelection(BulkTable):
    """R18: what a bulk decision's confirmation lists — the account and the amount at stake."""

    columns = ("Operation", "Account", "Held order", "Amount", "Status")

    def rows(self, ids):
        operations = ManualOperation.objects.select_related("account", "order", "order__plan", "decided_by").in_bulk(
            ids
        )
        return [presenters.selection_row(operations[pk]) for pk in ids if pk in operations]
