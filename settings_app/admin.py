"""The postpay settings page (R1–R4): one row, edited through ``postpay_settings_update``.

A change of mode is saved only after a preview of its impact — accounts per permission
status, held orders — and the warning of R3; the change history comes from the audit log.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import PostpayPermission
from audit.models import ObjectType
from audit.selectors import audit_log_list
from manual_operations.groups import can_decide
from postpay_portal.admin_site import form_errors_from
from postpay_portal.errors import DomainError

from .models import PermissionMode, PostpaySettings
from .selectors import postpay_mode_impact, postpay_settings_get
from .services import postpay_settings_update

MODE_SWITCH_WARNING = (
    "Switching the mode back and forth can restrict existing subscriptions: accounts keep their "
    "permission status, so an account that was declined or is under review is refused again "
    "as soon as the mode is Manually, including for renewals and plan switches of the "
    "subscriptions it already has. Held orders stay held until a manager decides."
)


CREDIT_TO_AUTOMATIC = (
    "Credit terms are kept but not checked in mode Automatically: no order is held for a credit review. Open "
    "credit reviews stay open until a manager decides them."
)
CREDIT_TO_MANUAL = (
    "Credit terms are checked again from the next order: an order that breaks them waits for a credit review. "
    "Open credit reviews stay open until a manager decides them."
)


class PostpaySettingsForm(forms.Form):
    postpaid_permission_mode = forms.ChoiceField(
        label=PostpaySettings._meta.get_field("postpaid_permission_mode").verbose_name,
        choices=PermissionMode.choices,
        widget=forms.RadioSelect,
    )
    trial_requires_approval = forms.BooleanField(
        label=PostpaySettings._meta.get_field("trial_requires_approval").verbose_name,
        required=False,
        help_text=PostpaySettings._meta.get_field("trial_requires_approval").help_text,
    )
    payment_instructions = forms.CharField(
        label=PostpaySettings._meta.get_field("payment_instructions").verbose_name,
        required=False,
        max_length=PostpaySettings._meta.get_field("payment_instructions").max_length,
        strip=False,  # the service normalises the text
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=PostpaySettings._meta.get_field("payment_instructions").help_text,
    )


@admin.register(PostpaySettings)
class PostpaySettingsAdmin(admin.ModelAdmin):
    """The list and the change page are one custom page for the single row (R1)."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:settings_app_postpaysettings_change", PostpaySettings.SINGLETON_PK)

    def change_view(self, request, object_id=None, form_url="", extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = postpay_settings_get()
        can_change = self.has_change_permission(request, row)
        current = {
            "postpaid_permission_mode": row.postpaid_permission_mode,
            "trial_requires_approval": row.trial_requires_approval,
            "payment_instructions": row.payment_instructions,
        }
        form = PostpaySettingsForm(request.POST or None, initial=current)
        preview = None
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            if form.is_valid():
                new = form.cleaned_data
                mode_changes = new["postpaid_permission_mode"] != row.postpaid_permission_mode
                if mode_changes and not can_decide(request.user):  # R44, before the service asks again
                    form.add_error("postpaid_permission_mode", "Only a manager may change the postpay mode.")
                elif mode_changes and "confirm" not in request.POST:
                    preview = self._impact(row, new)  # R3: show before saving
                else:
                    try:
                        postpay_settings_update(actor=request.user, **new)
                    except DomainError as error:
                        form_errors_from(form, error)
                    else:
                        messages.success(request, "The postpay settings were saved.")
                        return redirect("admin:settings_app_postpaysettings_change", row.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Postpay settings",
            "form": form,
            "row": row,
            "can_change": can_change,
            "preview": preview,
            "history": audit_log_list(object_type=ObjectType.POSTPAY_SETTINGS)[:100],
            "form_url": reverse("admin:settings_app_postpaysettings_change", args=[row.pk]),
        }
        return TemplateResponse(request, "admin/settings_app/postpaysettings/settings_page.html", context)

    @staticmethod
    def _impact(row, new):
        from accounts.admin import PostpaidSubscriptionsFilter

        impact = postpay_mode_impact()
        to_manual = new["postpaid_permission_mode"] == PermissionMode.MANUAL
        return {
            "from_label": row.get_postpaid_permission_mode_display(),
            "to_label": PermissionMode(new["postpaid_permission_mode"]).label,
            "accounts": [
                (PostpayPermission(value).label, count) for value, count in impact["accounts_by_status"].items()
            ],
            "held_orders": impact["held_orders"],
            # R43: terms are kept in both modes and checked only in Manually; open credit reviews
            # stay open until a manager decides them (R4).
            "accounts_with_terms": impact["accounts_with_terms"],
            "open_credit_reviews": impact["open_credit_reviews"],
            "credit_note": CREDIT_TO_MANUAL if to_manual else CREDIT_TO_AUTOMATIC,
            "warning": MODE_SWITCH_WARNING,
            # R36b: who would be held at the next renewal, and where to approve them first.
            "to_approve": impact["to_approve_before_manual"] if to_manual else 0,
            "to_approve_url": reverse("admin:accounts_account_changelist")
            + f"?{PostpaidSubscriptionsFilter.parameter_name}={PostpaidSubscriptionsFilter.NOT_APPROVED}",
        }
