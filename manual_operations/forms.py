"""The operator portal's decision forms (R15, R16): what a manager types; the service decides."""

from django import forms

from .models import DeclineReason


class ApproveForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional, internal.")


class DeclineForm(forms.Form):
    """R16: a structured reason is required; the note is optional. Neither reaches the customer."""

    reason = forms.ChoiceField(choices=[("", "---------"), *DeclineReason.choices])
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, internal: never shown to the customer.",
    )
