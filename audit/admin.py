"""R29: the audit log in the operator portal — read-only for everyone, as its own list and
as a trail on each object's page.

Values are shown by their operator labels ("Approval required"), the stored value beside it
on hover; a field by its stored name, never its label: the account page must not print "Work
permit for postpaid" in Automatically mode (R26). Each entry names its object as a label
("Account Globex", "Order #12"), linked when the reader may open that object's page.
"""

from django.contrib import admin
from django.db.models import Case, CharField, OuterRef, Q, Subquery, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from postpay_portal.admin_export import ListCsvExportMixin
from postpay_portal.admin_site import CappedCountMixin, ReadOnlyAdminMixin

from .exports import AuditLogExportResource, value_label
from .models import AuditLogEntry, ObjectType
from .selectors import audit_log_list

# object type → (the page of such an object, the permission that opens it, its label's noun)
OBJECT_PAGES = {
    ObjectType.ACCOUNT: ("admin:accounts_account_change", "accounts.view_account", "Account"),
    ObjectType.ORDER: ("admin:subscriptions_order_change", "subscriptions.view_order", "Order"),
    ObjectType.MANUAL_OPERATION: (
        "admin:manual_operations_manualoperation_change",
        "manual_operations.view_manualoperation",
        "Operation",
    ),
    ObjectType.POSTPAY_SETTINGS: (
        "admin:settings_app_postpaysettings_change",
        "settings_app.view_postpaysettings",
        "Postpay settings",
    ),
    ObjectType.WEBHOOK_ENDPOINT: (
        "admin:events_webhookendpoint_change",
        "events.view_webhookendpoint",
        "Webhook endpoint",
    ),
}
# R16: a decline's audit entry keeps the structured reason's code as its reason.
REASON_LABELS = {
    "credit_risk": "Credit risk",
    "incomplete_information": "Incomplete information",
    "fraud_suspected": "Fraud suspected",
    "other": "Other",
}
FLAG_LABELS = {"true": "Yes", "false": "No"}


def with_account_names(queryset):
    """Each entry of an account with the account's name (``account_name``), read in the same
    query: the list and its export name accounts without a query per row."""
    from accounts.models import Account

    name = Subquery(Account.objects.filter(pk=OuterRef("object_id")).values("name")[:1])
    return queryset.annotate(
        account_name=Case(When(object_type=ObjectType.ACCOUNT, then=name), default=None, output_field=CharField())
    )


def object_label(entry) -> str:
    """ "Account Globex", "Order #12", "Operation #3", "Postpay settings"."""
    if entry.object_type == ObjectType.POSTPAY_SETTINGS:
        return "Postpay settings"
    if entry.object_type == ObjectType.ACCOUNT and getattr(entry, "account_name", None):
        return f"Account {entry.account_name}"
    noun = OBJECT_PAGES.get(entry.object_type, (None, None, entry.get_object_type_display()))[2]
    return f"{noun} #{entry.object_id}"


def viewable_object_types(user) -> set:
    """The object types whose pages ``user`` may open (a link elsewhere would be a bare 403)."""
    return {object_type for object_type, (_, perm, _) in OBJECT_PAGES.items() if user.has_perm(perm)}


def object_link(entry, viewable) -> str:
    label = object_label(entry)
    if entry.object_type not in viewable:
        return label
    url_name = OBJECT_PAGES[entry.object_type][0]
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[entry.object_id]), label)


def value_html(entry, value):
    """A stored value as its label, the stored value on hover (R29 keeps stored values)."""
    if value is None or value == "":
        return "—"
    label = FLAG_LABELS.get(value) if value in FLAG_LABELS else value_label(entry, value)
    if label == value:
        return value
    return format_html('<span title="{}">{}</span>', value, label)


def reason_text(entry) -> str:
    return REASON_LABELS.get(entry.reason, entry.reason) if entry.reason else ""


def audit_trail_html(*, object_type=None, object_id=None, entries=None, limit=50, viewable=None, fields=None):
    """The audit entries of one object (of its ``fields`` only, when given), newest first, as an
    HTML table for a detail page; or the given ``entries`` (several objects: a column names
    each, linked for ``viewable`` types).

    Shows the stored field name and values' labels, never a field's label: the account page
    must not print "Work permit for postpaid" in Automatically mode (R26).
    """
    several = entries is not None
    if entries is None:
        entries = audit_log_list(object_type=object_type, object_id=object_id)
        if fields is not None:
            entries = entries.filter(field__in=fields)
        entries = list(entries[:limit])
    rows = [
        {
            "at": entry.at,
            "object": object_link(entry, viewable or set()) if several else "",
            "field": entry.field,
            "from": value_html(entry, entry.from_value),
            "to": value_html(entry, entry.to_value),
            "actor": entry.actor_label,
            "reason": reason_text(entry),
        }
        for entry in entries
    ]
    return render_to_string("admin/postpay/audit_trail.html", {"rows": rows, "several": several})


class FieldFilter(admin.SimpleListFilter):
    """R29: the audited fields. A fixed list: Django's default filter on ``field`` runs a
    ``SELECT DISTINCT`` over the whole log on every page (decision 99). Stored field names,
    never labels (R26)."""

    title = "field"
    parameter_name = "field"
    FIELDS = (
        "status",
        "postpay_permission",
        "customer_login",
        "postpaid_limit",
        "credit_review_on",
        "payment_hold",
        "postpaid_permission_mode",
        "trial_requires_approval",
    )

    def lookups(self, request, model_admin):
        return [(name, name) for name in self.FIELDS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(field=self.value())
        return queryset


SEARCH_ACCOUNTS = 100  # accounts a name search reaches; a broader term is narrowed by the filters


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdminMixin, CappedCountMixin, ListCsvExportMixin, admin.ModelAdmin):
    """R29: nobody adds, changes or deletes an entry in the portal."""

    export_resource_class = AuditLogExportResource

    list_display = ("at", "object_label", "field", "from_label", "to_label", "actor_label", "reason_label")
    list_filter = ("object_type", FieldFilter, ("at", admin.DateFieldListFilter))
    list_select_related = ("actor",)
    search_fields = ("=object_id", "reason", "actor__username")  # get_search_results widens it
    search_help_text = (
        "An account's name (its orders' and operations' entries too), an object's id, a reason or a username."
    )
    show_facets = admin.ShowFacets.NEVER  # facet counts scan big tables
    show_full_result_count = False
    list_per_page = 100

    def get_queryset(self, request):
        return with_account_names(super().get_queryset(request))

    def get_list_display(self, request):
        """The object column links only to the pages this reader may open."""
        viewable = viewable_object_types(request.user)

        def object_column(entry):
            return object_link(entry, viewable)

        object_column.__name__ = "object_label"
        object_column.short_description = "Object"
        return tuple(object_column if name == "object_label" else name for name in self.list_display)

    def get_export_columns(self, request, resource):
        """The list's columns, by name (the page's object column is bound to its reader)."""
        from django.contrib.admin.utils import label_for_field
        from django.utils.text import capfirst

        return [
            (capfirst(str(label_for_field(name, self.model, model_admin=self))), name, resource.fields[name])
            for name in self.list_display
            if name in resource.fields
        ]

    def get_search_results(self, request, queryset, search_term):
        """A reason or a username, an object's id, or an account's name: its own entries and
        those of its orders and manual operations."""
        term = search_term.strip()
        if not term:
            return queryset, False
        from accounts.models import Account
        from manual_operations.models import ManualOperation
        from subscriptions.models import Order

        found = Q(reason__icontains=term) | Q(actor__username__icontains=term)
        if term.isdigit():
            found |= Q(object_id=int(term))
        accounts = list(Account.objects.filter(name__icontains=term).values_list("pk", flat=True)[:SEARCH_ACCOUNTS])
        if accounts:
            found |= (
                Q(object_type=ObjectType.ACCOUNT, object_id__in=accounts)
                | Q(
                    object_type=ObjectType.ORDER,
                    object_id__in=Order.objects.filter(account_id__in=accounts).values("pk"),
                )
                | Q(
                    object_type=ObjectType.MANUAL_OPERATION,
                    object_id__in=ManualOperation.objects.filter(account_id__in=accounts).values("pk"),
                )
            )
        return queryset.filter(found), False

    @admin.display(description="Object")
    def object_label(self, obj):
        return object_label(obj)

    @admin.display(description="From")
    def from_label(self, obj):
        return value_html(obj, obj.from_value)

    @admin.display(description="To")
    def to_label(self, obj):
        return value_html(obj, obj.to_value)

    @admin.display(description="Actor")
    def actor_label(self, obj):
        return obj.actor_label

    @admin.display(description="Reason")
    def reason_label(self, obj):
        return reason_text(obj)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditLogEntry._meta.fields]
