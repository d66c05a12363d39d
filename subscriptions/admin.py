from django.contrib import admin

from .models import Order, Plan, ProvisioningAttempt, Subscription


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "billing_model", "price", "trial_days")


class AttemptInline(admin.TabularInline):
    model = ProvisioningAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "started_at", "finished_at", "outcome", "error")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "account", "plan", "period", "price", "status", "created_by", "approved_by", "created_at")
    list_select_related = ("account", "plan", "created_by", "approved_by")
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "plan", "period", "status", "started_at", "current_period_end")
    list_select_related = ("account", "plan")
