from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Account, AccountClass, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Customer", {"fields": ("account",)}),)
    list_display = ("username", "email", "account", "is_staff", "is_active")
    list_select_related = ("account",)


@admin.register(AccountClass)
class AccountClassAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "account_class", "manager", "postpay_permission", "created_at")
    list_select_related = ("account_class", "manager")
    readonly_fields = ("postpay_permission", "created_at")
    search_fields = ("name", "email")
