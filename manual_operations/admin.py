from django.contrib import admin

from .models import ManualOperation


@admin.register(ManualOperation)
class ManualOperationAdmin(admin.ModelAdmin):
    list_display = ("id", "description", "operation", "account", "status", "created_at")
    list_select_related = ("account",)
    readonly_fields = [f.name for f in ManualOperation._meta.fields]

    def has_add_permission(self, request):
        return False
