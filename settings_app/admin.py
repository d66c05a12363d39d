from django.contrib import admin

from .models import PostpaySettings


@admin.register(PostpaySettings)
class PostpaySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "postpaid_permission_mode", "trial_requires_approval", "updated_at")
