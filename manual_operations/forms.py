"""The operator portal's decision forms (R15, R16, R41): what a manager types; the service decides."""

from django import forms

from accounts.forms import CreditTermsFields

from .models import DeclineReason


class ApproveForm(forms.Form):
    """A decision's note. Bulk decisions take nothing more (R41: no new terms)."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional, internal.")


class ApproveWithTermsForm(CreditTermsFields, ApproveForm):
    """R37, R41, R43: one approval — of a permission operation, in advance, or of a credit
    review — may set the account's credit terms in the same decision."""

    field_order = ["postpaid_limit", "credit_review_on", "note"]

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data["note"], **self.terms()}


class DeclineForm(forms.Form):
    """R16: a structured reason is required; the note is optional. Neither reaches the customer."""

    reason = forms.ChoiceField(choices=[("", "---------"), *DeclineReason.choices])
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, internal: never shown to the customer.",
    )
