from django.contrib import admin

from .models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """R29: read-only for everyone."""

    list_display = ("at", "object_type", "object_id", "field", "from_value", "to_value", "actor_label", "reason")
    list_filter = ("object_type", "field")
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
