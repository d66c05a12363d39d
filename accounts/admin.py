"""Accounts in the operator portal (R6–R8, R26).

Every write goes through ``accounts.services``; the permission status is read-only always,
and its column, filter and field exist only while the mode is Manually (R26).
"""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.formats.base_formats import CSV

from audit.admin import audit_trail_html
from audit.models import ObjectType
from manual_operations.forms import ApproveForm, ApproveWithTermsForm
from manual_operations.groups import can_decide
from manual_operations.models import OperationStatus
from manual_operations.presenters import explain_held
from manual_operations.selectors import latest_operation_for_account
from manual_operations.services import manual_operation_approve_in_advance, manual_operation_approve_in_advance_many
from postpay_portal.admin_export import ListCsvExportMixin
from postpay_portal.admin_import import SessionUploadImportMixin
from postpay_portal.admin_site import (
    AccountFilter,
    BulkTable,
    CappedCountMixin,
    FastActionCheckboxMixin,
    RowLinksChangeList,
    bulk_confirmation,
    bulk_outcome,
    link_if_viewable,
    report_domain_error,
    request_is_manual,
    service_form_page,
)
from postpay_portal.errors import DomainError
from subscriptions.models import Order, OrderStatus, Subscription, failed_by_decline_q
from subscriptions.money import format_price
from subscriptions.selectors import accounts_to_approve_before_manual, accounts_with_commitment
from subscriptions.visibility import account_credit_figures

from .exports import AccountExportResource
from .forms import CreditTermsChangeForm, CreditTermsFields, PaymentHoldForm, class_default_terms
from .imports import AccountImportResource
from .models import Account, AccountClass, PostpayPermission, User
from .services import (
    CREDIT_FIELDS,
    account_create,
    account_credit_terms_update,
    account_payment_hold_set,
    account_update,
    account_user_create,
)

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
VIEW_USER = "accounts.view_user"
RECENT = 5  # logins, orders and subscriptions listed on an account's page; "all" links list the rest


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """R33: logins and their privileges.

    Only superusers grant staff, superuser, groups or permissions: for anyone else those
    fields are read-only, so they are not in the form and a crafted POST cannot set them. A
    non-superuser changes only their own login and logins that are not operators: changing a
    superuser's or a manager's password would hand over their rights. ``account`` is never
    editable here: customer logins are made by ``account_user_create`` (the account page's
    "Add a customer login", the API), which also validates them.
    """

    fieldsets = BaseUserAdmin.fieldsets + (("Customer", {"fields": ("account",)}),)
    readonly_fields = ("account", "last_login", "date_joined")
    list_display = ("username", "email", "account", "is_staff", "is_active")
    list_filter = (*BaseUserAdmin.list_filter, AccountFilter)
    list_select_related = ("account",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += PRIVILEGE_FIELDS
        return readonly

    @staticmethod
    def may_manage(actor, user):
        return actor.is_superuser or user.pk == actor.pk or not (user.is_superuser or user.is_staff)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.may_manage(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self.may_manage(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AccountClass)
class AccountClassAdmin(admin.ModelAdmin):
    list_display = ("name", "default_postpaid_limit")
    search_fields = ("name",)


class AccountClassSelect(forms.Select):
    """Each class's default postpaid limit on its option, for the script that pre-fills the
    limit of a new pre-approved account (R37)."""

    class Media:
        js = ["admin/postpay-class-default-limit.js"]

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        klass = getattr(value, "instance", None)
        if klass is not None and klass.default_postpaid_limit is not None:
            option["attrs"]["data-default-limit"] = str(klass.default_postpaid_limit)
        return option


GRANT_FIELDS = ("preapproved", "postpaid_limit", "credit_review_on")
GRANT_REFUSED = (
    "Only a manager may create an account pre-approved or set its credit terms (the decide permission): "
    "nothing was created."
)


class AccountCreateForm(CreditTermsFields):
    """The fields of ``account_create``; the service validates and decides (R7, R8, R37).
    Pre-approval and credit terms grant credit: offered only to a manager (R44,
    ``may_grant``)."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False, max_length=254)  # the column's length, not 320
    account_class = forms.ModelChoiceField(AccountClass.objects.all(), required=False, widget=AccountClassSelect)
    manager = forms.ModelChoiceField(
        get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username"),
        required=False,
        help_text="The operator responsible for this account.",
    )
    preapproved = forms.BooleanField(
        required=False,
        label="Create pre-approved",
        help_text="The account may order postpaid plans without a manager's review.",
    )

    field_order = ["name", "email", "account_class", "manager", "preapproved", "postpaid_limit", "credit_review_on"]

    def __init__(self, *args, may_grant=False, **kwargs):
        super().__init__(*args, **kwargs)
        if may_grant:
            self.fields["postpaid_limit"].help_text = (
                "Only with “Create pre-approved”. "
                + self.fields["postpaid_limit"].help_text
                + " Pre-filled with the account class's default limit, when it has one."
            )
            self.fields["credit_review_on"].help_text = (
                "Only with “Create pre-approved”. " + self.fields["credit_review_on"].help_text
            )
        else:
            for name in GRANT_FIELDS:
                del self.fields[name]

    def service_kwargs(self):
        data = self.cleaned_data
        return {
            "name": data["name"],
            "email": data["email"],
            "account_class": data["account_class"].name if data["account_class"] else None,
            "manager": data["manager"].get_username() if data["manager"] else None,
            "preapproved": data.get("preapproved", False),
            **(self.terms() if "postpaid_limit" in self.fields else {}),
        }


class CustomerLoginForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(max_length=4096, widget=forms.PasswordInput(render_value=False))
    email = forms.EmailField(required=False, max_length=254)


class AccountSelection(BulkTable):
    """R36b: what the approve-in-advance confirmation lists. No permission status: the page
    is reachable in mode Automatically too (R26)."""

    columns = ("Account", "Account class", "Linked manager", "Amount")

    def rows(self, ids):
        accounts = Account.objects.select_related("account_class", "manager").in_bulk(ids)
        return [
            (
                account.name,
                account.account_class.name if account.account_class_id else "—",
                account.manager.get_username() if account.manager_id else "—",
                "no order",
            )
            for account in (accounts[pk] for pk in ids if pk in accounts)
        ]


class PostpayPermissionFilter(admin.SimpleListFilter):
    """R26: offered only while the mode is Manually (see ``get_list_filter``)."""

    title = Account._meta.get_field("postpay_permission").verbose_name
    parameter_name = "postpay_permission"

    def lookups(self, request, model_admin):
        return PostpayPermission.choices

    def queryset(self, request, queryset):
        if self.value() in PostpayPermission.values:
            return queryset.filter(postpay_permission=self.value())
        return queryset


class PostpaidSubscriptionsFilter(admin.SimpleListFilter):
    """R36b: the accounts the mode-switch preview counts — not reviewed, with postpaid
    subscriptions whose next renewal R9 would hold. Offered in both modes, in words that
    are not the permission's label (R26)."""

    title = "postpaid subscriptions"
    parameter_name = "postpaid_subscriptions"
    NOT_APPROVED = "not_approved"

    def lookups(self, request, model_admin):
        return [(self.NOT_APPROVED, "Has some, not approved in advance")]

    def queryset(self, request, queryset):
        if self.value() == self.NOT_APPROVED:
            return accounts_to_approve_before_manual(queryset)
        return queryset


class OverLimitFilter(admin.SimpleListFilter):
    """R43: accounts with a limit whose commitment exceeds it (the one commitment selector,
    ``accounts_with_commitment``); offered only while the mode is Manually."""

    title = "over limit"
    parameter_name = "over_limit"
    YES = "yes"

    def lookups(self, request, model_admin):
        return [(self.YES, "Commitment above the postpaid limit")]

    def queryset(self, request, queryset):
        if self.value() == self.YES:
            return with_commitment(queryset).filter(
                postpaid_limit__isnull=False, postpaid_commitment__gt=F("postpaid_limit")
            )
        return queryset


def with_commitment(queryset):
    """The accounts with ``postpaid_commitment`` (R38), annotated once however many ask."""
    if "postpaid_commitment" in queryset.query.annotations:
        return queryset
    return accounts_with_commitment(queryset)


class AccountChangeList(RowLinksChangeList):
    """R43: in mode Manually the list's rows carry their commitment, read in the page's one
    query (a subquery per row of the page)."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return with_commitment(queryset) if request_is_manual(request) else queryset


@admin.register(Account)
class AccountAdmin(
    CappedCountMixin, FastActionCheckboxMixin, ListCsvExportMixin, SessionUploadImportMixin, admin.ModelAdmin
):
    export_resource_class = AccountExportResource  # its columns follow the list's, mode included (R26)
    list_display_links = ("id", "name")
    list_select_related = ("account_class", "manager")
    search_fields = ("name", "email")
    show_facets = admin.ShowFacets.NEVER  # facet counts scan big tables
    show_full_result_count = False  # 100,000 accounts: no count(*) of the whole table per page
    list_per_page = 50
    actions = ["approve_in_advance_selected"]
    change_form_template = "admin/accounts/account/change_form.html"
    # R36c: CSV import, every row through account_create (accounts/imports.py); it needs the
    # add permission (IMPORT_EXPORT_IMPORT_PERMISSION_CODE), as "Add account" does.
    resource_classes = [AccountImportResource]
    import_formats = [CSV]

    BASE_COLUMNS = ("id", "name", "email", "account_class", "manager", "created_at")
    BASE_FILTERS = ("account_class", PostpaidSubscriptionsFilter, ("created_at", admin.DateFieldListFilter))

    # --- R26: the mode decides whether the permission exists in the portal ------------------

    def get_list_display(self, request):
        """R26, R43: the permission, the limit and the commitment only in mode Manually."""
        if request_is_manual(request):
            return (*self.BASE_COLUMNS[:5], "postpay_permission", "postpaid_limit_amount", "commitment", "created_at")
        return self.BASE_COLUMNS

    def get_list_filter(self, request):
        if request_is_manual(request):
            return (PostpayPermissionFilter, OverLimitFilter, *self.BASE_FILTERS)
        return self.BASE_FILTERS

    def get_changelist(self, request, **kwargs):
        return AccountChangeList

    @admin.display(description="Postpaid limit", ordering="postpaid_limit")
    def postpaid_limit_amount(self, obj):
        return format_price(obj.postpaid_limit) if obj.postpaid_limit is not None else "—"

    @admin.display(description="Commitment")
    def commitment(self, obj):
        """R38, R43: over the limit, flagged."""
        value = getattr(obj, "postpaid_commitment", None)
        if value is None:
            return "—"
        if obj.postpaid_limit is not None and value > obj.postpaid_limit:
            return format_html(
                '<span class="postpay-overdue" title="Above the postpaid limit">{} ⚠</span>', format_price(value)
            )
        return format_price(value)

    def get_fields(self, request, obj=None):
        """The account's own fields; its logins, orders, subscriptions and audit log follow
        in cards (``change_view``)."""
        manager = "manager" if request.user.has_perm(VIEW_USER) else "manager_username"
        fields = ["name", "email", "account_class", manager, "created_at"]
        if request_is_manual(request):
            fields += ["postpay_permission", "linked_manual_operation", "why_held"]
        if obj is not None and obj.postpay_permission == PostpayPermission.NONE and can_decide(request.user):
            fields.append("approve_in_advance_button")
        return fields

    def get_readonly_fields(self, request, obj=None):
        """The permission is read-only always (R6, R7); class and manager are set at creation
        (``account_update`` changes name and e-mail only)."""
        readonly = ["account_class", "manager", "manager_username", "created_at", "approve_in_advance_button"]
        if request_is_manual(request):
            readonly += ["postpay_permission", "linked_manual_operation", "why_held"]
        return readonly

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The account's page, given the account the change view has already read."""
        if obj is not None:
            context.update(self._related(request, obj))
            context.update(self._credit(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _credit(self, request, account):
        """R37, R43: in mode Manually the account's terms, commitment, what remains and the
        history of its terms, with "Change credit terms" for managers; the payment hold in both
        modes (a billing fact, set by staff who may change accounts: decision in the pending doc)."""
        context = {
            "credit_manual": request_is_manual(request),
            "payment_hold_url": reverse("admin:accounts_account_payment_hold", args=[account.pk])
            if self.has_change_permission(request, account)
            else "",
        }
        if context["credit_manual"]:
            approved = account.postpay_permission == PostpayPermission.APPROVED
            context.update(
                credit=account_credit_figures(account),
                credit_terms_allowed=approved,
                credit_terms_url=reverse("admin:accounts_account_credit_terms", args=[account.pk])
                if approved and can_decide(request.user)
                else "",
                credit_history=audit_trail_html(
                    object_type=ObjectType.ACCOUNT, object_id=account.pk, fields=CREDIT_FIELDS
                ),
            )
        return context

    def _related(self, request, account):
        """The account's customer logins, orders and subscriptions, the most recent few of
        each, linked where the reader may open them, with an "all" link to each filtered list;
        and its audit log (R29; field names, never labels: R26)."""
        may = request.user.has_perm

        def listing(perm, changelist):
            return reverse(changelist) + f"?{AccountFilter.parameter_name}={account.pk}" if may(perm) else ""

        logins = User.objects.filter(account=account).order_by("-date_joined", "-id")
        orders = Order.objects.filter(account=account).select_related("plan").order_by("-created_at", "-id")
        subscriptions = (
            Subscription.objects.filter(account=account).select_related("plan").order_by("-started_at", "-id")
        )
        return {
            "logins": [
                (
                    link_if_viewable(request, VIEW_USER, "admin:accounts_user_change", user.pk, user.get_username()),
                    user,
                )
                for user in logins[:RECENT]
            ],
            "logins_count": logins.count(),
            "logins_url": listing(VIEW_USER, "admin:accounts_user_changelist"),
            "can_add_login": self.has_change_permission(request, account),
            "orders": [
                (
                    link_if_viewable(
                        request,
                        "subscriptions.view_order",
                        "admin:subscriptions_order_change",
                        order.pk,
                        f"#{order.pk}",
                    ),
                    order,
                )
                for order in orders[:RECENT]
            ],
            "orders_count": orders.count(),
            "orders_url": listing("subscriptions.view_order", "admin:subscriptions_order_changelist"),
            "subscriptions": [
                (
                    link_if_viewable(
                        request,
                        "subscriptions.view_subscription",
                        "admin:subscriptions_subscription_change",
                        subscription.pk,
                        f"#{subscription.pk}",
                    ),
                    subscription,
                )
                for subscription in subscriptions[:RECENT]
            ],
            "subscriptions_count": subscriptions.count(),
            "subscriptions_url": listing(
                "subscriptions.view_subscription", "admin:subscriptions_subscription_changelist"
            ),
            "audit_trail": audit_trail_html(object_type=ObjectType.ACCOUNT, object_id=account.pk),
        }

    def has_delete_permission(self, request, obj=None):
        return False  # accounts own orders and an audit trail

    # --- detail page extras ------------------------------------------------------------------

    @admin.display(description="Manual operation")
    def linked_manual_operation(self, obj):
        """R26: the account's latest manual operation."""
        operation = latest_operation_for_account(obj.pk)
        if operation is None:
            return "—"
        url = reverse("admin:manual_operations_manualoperation_change", args=[operation.pk])
        decided = ""
        if operation.decided_at:
            decided = (
                f" by {operation.decided_by.get_username() if operation.decided_by_id else 'system'}"
                f" at {timezone.localtime(operation.decided_at):%Y-%m-%d %H:%M}"
            )
        return format_html(
            '<a href="{}">#{} {}</a> — {}{}',
            url,
            operation.pk,
            operation.get_operation_display(),
            operation.get_status_display(),
            decided,
        )

    @admin.display(description="Why orders are held or refused")
    def why_held(self, obj):
        """R26: for each held order, and each order failed by a decline, why (mode, status,
        who decided, when)."""
        held_or_refused = Q(status=OrderStatus.WAITING_FOR_APPROVAL) | failed_by_decline_q()
        orders = list(
            Order.objects.filter(held_or_refused, account=obj).select_related("plan").order_by("-created_at")[:20]
        )
        status_label = obj.get_postpay_permission_display()
        if not orders:
            if obj.postpay_permission in (PostpayPermission.UNDER_REVIEW, PostpayPermission.DECLINED):
                return f'Mode Manually, account status "{status_label}": new postpaid orders are refused.'
            return "No held or refused orders."
        operations = {op.order_id: op for op in obj.manual_operations.select_related("decided_by")}
        rows = []
        for order in orders:
            operation = operations.get(order.pk)
            if order.status == OrderStatus.WAITING_FOR_APPROVAL:
                why = f"{explain_held(order, operation)} Waiting for a manager's decision."
            elif operation and operation.status == OperationStatus.DECLINED:
                who = operation.decided_by.get_username() if operation.decided_by_id else "system"
                why = (
                    f"refused: declined by {who} at {timezone.localtime(operation.decided_at):%Y-%m-%d %H:%M}"
                    f" ({operation.get_reason_display()})"
                )
            else:
                why = "refused: the account's postpay request was declined"
            url = reverse("admin:subscriptions_order_change", args=[order.pk])
            rows.append((url, order.pk, why))
        return format_html(
            "Account status: {}.<ul>{}</ul>",
            status_label,
            format_html_join("", '<li><a href="{}">Order #{}</a> — {}</li>', rows),
        )

    @admin.display(description="Postpaid ordering")
    def approve_in_advance_button(self, obj):
        """R36b: shown to managers while the account has not been reviewed."""
        url = reverse("admin:accounts_account_approve_in_advance", args=[obj.pk])
        return format_html(
            '<a class="button" id="approve-in-advance" href="{}">Approve in advance</a> '
            '<span class="help">Lets the account order postpaid plans without a held order.</span>',
            url,
        )

    @admin.display(description="Manager")
    def manager_username(self, obj):
        """The linked manager, as plain text for a reader who may not open logins."""
        return obj.manager.get_username() if obj.manager_id else "—"

    # --- writes through the services ---------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<id:account_id>/add-login/",
                self.admin_site.admin_view(self.add_login_view),
                name="accounts_account_add_login",
            ),
            path(
                "<id:account_id>/approve-in-advance/",
                self.admin_site.admin_view(self.approve_in_advance_view),
                name="accounts_account_approve_in_advance",
            ),
            path(
                "<id:account_id>/credit-terms/",
                self.admin_site.admin_view(self.credit_terms_view),
                name="accounts_account_credit_terms",
            ),
            path(
                "<id:account_id>/payment-hold/",
                self.admin_site.admin_view(self.payment_hold_view),
                name="accounts_account_payment_hold",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """R7, R8: creation goes through ``account_create`` (optionally pre-approved, with
        credit terms: R37). R44: only a manager is offered pre-approval and terms; anyone else
        who sends them is refused, nothing created (the service would refuse too)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        may_grant = can_decide(request.user)
        if request.method == "POST" and not may_grant and any(request.POST.get(name) for name in GRANT_FIELDS):
            messages.error(request, GRANT_REFUSED)
            return redirect(reverse("admin:accounts_account_add"))
        form = AccountCreateForm(request.POST or None, may_grant=may_grant)

        def created(account):
            self.log_addition(request, account, [{"added": {}}])
            return f'Account "{account}" was created.', reverse("admin:accounts_account_change", args=[account.pk])

        return service_form_page(
            request,
            self,
            form,
            lambda data: account_create(actor=request.user, **form.service_kwargs()),
            created,
            title="Add account",
            submit_label="Create account",
            submit_name="_save",
            cancel_url=reverse("admin:accounts_account_changelist"),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of ``account_update`` (raised from ``save_model``) rolls back the admin's
        whole save — Django runs it in one transaction — so the operator sees only the error:
        no "changed successfully", no LogEntry "changed", nothing written."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            report_domain_error(request, error)
            return redirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """Name and e-mail through ``account_update``; nothing else is writable here."""
        if not change:  # add_view above never reaches this; keep the service the only path
            raise PermissionDenied
        changes = {field: form.cleaned_data[field] for field in ("name", "email") if field in form.changed_data}
        if changes:
            account_update(actor=request.user, account_id=obj.pk, **changes)

    def add_login_view(self, request, account_id):
        """A customer login of this account, through ``account_user_create``."""
        account = get_object_or_404(Account, pk=account_id)
        if not self.has_change_permission(request, account):
            raise PermissionDenied
        change_url = reverse("admin:accounts_account_change", args=[account.pk])
        return service_form_page(
            request,
            self,
            CustomerLoginForm(request.POST or None),
            lambda data: account_user_create(actor=request.user, account_id=account.pk, **data),
            lambda user: (f'Customer login "{user.get_username()}" was added.', change_url),
            title=f"Add a customer login to {account}",
            submit_label="Add login",
            cancel_url=change_url,
            obj=account,
            object_url=change_url,
        )

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "actor": request.user}

    # --- R36b: approve in advance --------------------------------------------------------------

    def has_decide_permission(self, request):
        return can_decide(request.user)

    def approve_in_advance_view(self, request, account_id):
        """One account, after a confirmation with an optional note."""
        account = get_object_or_404(Account.objects.select_related("account_class"), pk=account_id)
        change_url = reverse("admin:accounts_account_change", args=[account.pk])
        if not self.has_decide_permission(request):
            raise PermissionDenied
        form = ApproveWithTermsForm(request.POST or None, initial=class_default_terms(account.account_class))
        if account.account_class_id and account.account_class.default_postpaid_limit is not None:
            form.fields[
                "postpaid_limit"
            ].help_text += f" Pre-filled with the default of the account class {account.account_class.name}."
        return service_form_page(
            request,
            self,
            form,
            lambda data: manual_operation_approve_in_advance(
                actor=request.user, account_id=account.pk, **form.service_kwargs()
            ),
            lambda _: (f'"{account}" may order postpaid plans: approved in advance.', change_url),
            title=f"Approve {account} in advance?",
            submit_label="Approve in advance",
            cancel_url=change_url,
            obj=account,
            object_url=change_url,
            intro="The account may then order postpaid plans without a manager's review of its first order. "
            "A manual operation is recorded as approved by you, with your note, and the credit terms you set "
            "(optional) apply from its first order.",
        )

    # --- R37, R43: credit terms and the payment hold ---------------------------------------------

    def credit_terms_view(self, request, account_id):
        """R37 "Change credit terms" (managers, R44): limit and review date, pre-filled with
        the account's, and a reason, through ``account_credit_terms_update``."""
        account = get_object_or_404(Account, pk=account_id)
        change_url = reverse("admin:accounts_account_change", args=[account.pk])
        if not can_decide(request.user):
            messages.error(request, "Only a manager may change credit terms (the decide permission).")
            return redirect(change_url)
        form = CreditTermsChangeForm(
            request.POST or None,
            initial={"postpaid_limit": account.postpaid_limit, "credit_review_on": account.credit_review_on},
        )
        figures = account_credit_figures(account)
        return service_form_page(
            request,
            self,
            form,
            lambda data: account_credit_terms_update(
                actor=request.user, account_id=account.pk, reason=data["reason"], **form.terms()
            ),
            lambda _: (f'The credit terms of "{account}" were changed.', change_url),
            title=f"Change the credit terms of {account}",
            submit_label="Change credit terms",
            cancel_url=change_url,
            obj=account,
            object_url=change_url,
            intro=f"Commitment today: {format_price(figures.commitment)} per billing period. Orders that would take "
            "it above the limit, and every order that raises it from the review date on, wait for a credit review; "
            "what already runs is never stopped. Empty a field to remove that term.",
        )

    def payment_hold_view(self, request, account_id):
        """R37: staff who may change accounts set or clear the payment hold that billing
        reports, through ``account_payment_hold_set``; any account, any mode."""
        account = get_object_or_404(Account, pk=account_id)
        change_url = reverse("admin:accounts_account_change", args=[account.pk])
        if not self.has_change_permission(request, account):
            messages.error(request, "Only operators who may change accounts may set or clear a payment hold.")
            return redirect(change_url)
        setting = not account.payment_hold
        form = PaymentHoldForm(request.POST or None, initial={"payment_hold": "on" if setting else "off"})
        if setting:
            intro = (
                "Set when the reseller's billing reports unpaid bills. While it is on and the mode is Manually, "
                "every order of the account that raises its commitment waits for a credit review; what already "
                "runs keeps running."
            )
        else:
            intro = "Clear when billing reports the account paid up: its orders are no longer held for it."
        return service_form_page(
            request,
            self,
            form,
            lambda data: account_payment_hold_set(
                actor=request.user, account_id=account.pk, payment_hold=data["payment_hold"], reason=data["reason"]
            ),
            lambda updated: (
                f'Payment hold {"set" if updated.payment_hold else "cleared"} on "{account}".',
                change_url,
            ),
            title=f"{'Set' if setting else 'Clear'} the payment hold of {account}",
            submit_label="Set payment hold" if setting else "Clear payment hold",
            cancel_url=change_url,
            obj=account,
            object_url=change_url,
            intro=intro,
        )

    @admin.action(description="Approve postpaid ordering in advance", permissions=["decide"])
    def approve_in_advance_selected(self, request, queryset):
        """R36b: each account decided on its own (a refused one changes nothing), written in
        bulk by the service; only accounts not reviewed change; the summary counts the
        approved and the skipped by reason."""
        form, ids, page = bulk_confirmation(
            request,
            self,
            queryset,
            order_by=("pk",),
            form_class=ApproveForm,
            title="Approve {n} account(s) in advance?",
            submit_label="Approve in advance",
            intro="Each account not reviewed yet is approved on its own; accounts under review, declined or "
            "approved already are skipped and counted. No order is held: each gets a manual operation approved "
            "by you.",
            table=AccountSelection(),
        )
        if page is not None:
            return page
        approved, skipped = bulk_outcome(
            *manual_operation_approve_in_advance_many(
                actor=request.user, account_ids=ids, note=form.cleaned_data["note"]
            )
        )
        if approved:
            messages.success(request, f"Approved {len(approved)} account(s) in advance.")
        if skipped:
            by_reason = Counter(why for _, why in skipped)
            messages.warning(
                request,
                f"Skipped {len(skipped)} account(s): "
                + "; ".join(f"{count} × {why}" for why, count in by_reason.most_common()),
            )
        return None


from . import admin_security  # noqa: E402,F401  (groups, API tokens, second factor devices: R33, R45, R46)
