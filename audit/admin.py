"""R29: the audit log in the operator portal — read-only for everyone, as its own list and
as a trail on each object's page."""

from django.contrib import admin
from django.template.loader import render_to_string

from postpay_portal.admin_export import ListCsvExportMixin
from postpay_portal.admin_site import CappedCountMixin

from .exports import AuditLogExportResource
from .models import AuditLogEntry
from .selectors import audit_log_list


def audit_trail_html(*, object_type, object_id, limit=50):
    """The audit entries of one object, newest first, as an HTML table for a detail page.

    Shows the stored field name and values (``postpay_permission: none → under_review``),
    never a field's label: the account page must not print "Work permit for postpaid" in
    Automatically mode (R26).
    """
    entries = list(audit_log_list(object_type=object_type, object_id=object_id)[:limit])
    return render_to_string("admin/postpay/audit_trail.html", {"entries": entries})


class FieldFilter(admin.SimpleListFilter):
    """R29: the audited fields. A fixed list: Django's default filter on ``field`` runs a
    ``SELECT DISTINCT`` over the whole log on every page (2.5 s at ten million entries,
    issue 11 item 7). Stored field names, never labels (R26)."""

    title = "field"
    parameter_name = "field"
    FIELDS = ("status", "postpay_permission", "postpaid_permission_mode", "trial_requires_approval")

    def lookups(self, request, model_admin):
        return [(name, name) for name in self.FIELDS]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(field=self.value())
        return queryset


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(CappedCountMixin, ListCsvExportMixin, admin.ModelAdmin):
    """R29: nobody adds, changes or deletes an entry in the portal."""

    export_resource_class = AuditLogExportResource

    list_display = ("at", "object_type", "object_id", "field", "from_value", "to_value", "actor_label", "reason")
    list_filter = ("object_type", FieldFilter, ("at", admin.DateFieldListFilter))
    list_select_related = ("actor",)
    search_fields = ("=object_id", "reason", "actor__username")
    show_facets = admin.ShowFacets.NEVER  # facet counts scan big tables
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="Actor")
    def actor_label(self, obj):
        return obj.actor_label

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditLogEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
