"""Who may grant what in the operator portal (SPEC R33, R44–R46): groups, API tokens and the
second factor's devices. Imported by ``accounts/admin.py``.

- Groups: only superusers add, change or delete them (as privileges in the user admin): a
  group is a set of permissions, so changing one grants them.
- API tokens: every operator has a page of their own tokens — create one (shown once), see
  name, created, last used and expiry, revoke one; a superuser sees and revokes everyone's.
  Nobody mints a token for another login here, and no page shows a token again.
- Second factor devices: a superuser resets a login's second factor by deleting its devices
  (the login enrols again at its next sign-in); nobody reads or sets a key here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from postpay_portal.admin_site import ReadOnlyAdminMixin, form_page, report_domain_error, service_form_page
from postpay_portal.errors import DomainError

from .forms import ApiTokenCreateForm
from .models import ApiToken
from .selectors import api_token_list
from .tokens import api_token_create, api_token_revoke

TOKEN_TEMPLATE = "admin/accounts/apitoken/token.html"

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """R33: only superusers add, change or delete groups; others at most view them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """R46: an operator's own API tokens (a superuser's list holds everyone's). Issuing and
    revoking go through ``accounts.tokens``; Django's add, change and delete are off, so no
    permission an operator may hold lets them mint or edit another login's token (R33)."""

    list_display = ("name", "user", "created", "last_used", "expiry", "revoke_link")
    list_display_links = None
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    actions = ["revoke_selected"]
    show_full_result_count = False

    def get_queryset(self, request):
        return api_token_list(user=None if request.user.is_superuser else request.user)

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return tuple(column for column in self.list_display if column != "user")

    def get_search_fields(self, request):
        return self.search_fields if request.user.is_superuser else ("name",)

    # Every operator has this page, whatever their permissions: it holds only their own tokens.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return obj is None or user.is_superuser or obj.user_id == user.pk

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:accounts_apitoken_changelist")  # a token has nothing more to show

    @admin.display(description="")
    def revoke_link(self, obj):
        return format_html(
            '<a class="button" href="{}">Revoke</a>', reverse("admin:accounts_apitoken_revoke", args=[obj.pk])
        )

    @admin.action(description="Revoke the selected API tokens")
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token_id in queryset.values_list("pk", flat=True):
            try:
                api_token_revoke(actor=request.user, token_id=token_id)
            except DomainError as error:
                report_domain_error(request, error)
            else:
                revoked += 1
        if revoked:
            messages.success(request, f"Revoked {revoked} API token(s).")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="accounts_apitoken_create"),
            path("<int:token_id>/revoke/", view(self.revoke_view), name="accounts_apitoken_revoke"),
            *super().get_urls(),
        ]

    def create_view(self, request):
        """R46: the token is shown in this answer only (never in a message or the session)."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        form = ApiTokenCreateForm(request.POST or None)
        changelist = reverse("admin:accounts_apitoken_changelist")

        def show_once(issued):
            token_row, raw = issued
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"API token “{token_row.name}”",
                "token": raw,
                "token_row": token_row,
                "changelist_url": changelist,
            }
            response = TemplateResponse(request, TOKEN_TEMPLATE, context)
            response["Cache-Control"] = "no-store"
            return response

        if request.method == "POST" and form.is_valid():
            try:
                issued = api_token_create(actor=request.user, user=request.user, name=form.cleaned_data["name"])
            except DomainError as error:
                form.add_error("name", error.detail)
            else:
                return show_once(issued)
        return form_page(
            request,
            self,
            form=form,
            title="Create an API token",
            cancel_url=changelist,
            submit_label="Create token",
            intro="The token is shown once, on the next page: copy it into the client then. It expires after "
            "the configured lifetime and can be revoked here at any time.",
        )

    def revoke_view(self, request, token_id):
        changelist = reverse("admin:accounts_apitoken_changelist")
        token_row = self.get_queryset(request).filter(pk=token_id).first()
        if token_row is None:
            messages.error(request, "No such API token.")
            return redirect(changelist)
        return service_form_page(
            request,
            self,
            forms.Form(request.POST or None),
            lambda data: api_token_revoke(actor=request.user, token_id=token_id),
            lambda revoked: (f"Revoked the API token “{revoked.name}” of {revoked.user}.", changelist),
            title=f"Revoke the API token “{token_row.name}”?",
            cancel_url=changelist,
            submit_label="Revoke",
            intro="A client that uses this token is refused from now on.",
        )


class SecondFactorDeviceAdmin(admin.ModelAdmin):
    """R45: superusers only; delete is the reset. No key, no QR code, no add or change."""

    list_display = ("user", "name", "confirmed")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
    admin.site.register(device_model, SecondFactorDeviceAdmin)
