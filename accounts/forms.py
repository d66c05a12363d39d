from django import forms

from .tokens import DEFAULT_NAME, NAME_MAX_LENGTH


class ApiTokenCreateForm(forms.Form):
    """R46: a token's one input, its client's name; the service validates it again."""

    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        initial=DEFAULT_NAME,
        help_text="The client that will use the token, e.g. the name of a script or an integration.",
    )


# --- R37: credit terms in the operator portal -----------------------------------------------

TERM_FIELDS = ("postpaid_limit", "credit_review_on")


class CreditTermsFields(forms.Form):
    """A postpaid limit and a review date, both optional; ``accounts.services.clean_terms``
    validates them again and the service decides (R37, R41).

    ``replacing`` says what the fields stand for. False (an approval that grants credit, a
    pre-approved creation): the account has no terms yet, so a filled field sets its term and
    an empty one leaves it out. True (an account that has terms: "Change credit terms", a
    credit review's approval): the fields are pre-filled with the terms as they will be, so
    only a field the manager changed is sent, and emptying one clears its term."""

    postpaid_limit = forms.DecimalField(
        label="Postpaid limit",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        help_text="The most its postpaid subscriptions may cost per billing period; an order above it waits for "
        "a credit review. Empty: no limit.",
    )
    credit_review_on = forms.DateField(
        label="Review date",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="From this day, an order that raises its commitment waits for a credit review. Empty: none.",
    )

    def __init__(self, *args, replacing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.replacing = replacing

    def terms(self) -> dict:
        """The terms as the services take them: a term left out is unchanged, ``None`` clears it."""
        data = self.cleaned_data
        if self.replacing:
            return {name: data[name] for name in TERM_FIELDS if name in self.changed_data}
        return {name: data[name] for name in TERM_FIELDS if data.get(name) is not None}


def class_default_terms(account_class) -> dict:
    """R37: an account class's default postpaid limit pre-fills the limit; the account keeps
    its own value."""
    if account_class is not None and account_class.default_postpaid_limit is not None:
        return {"postpaid_limit": account_class.default_postpaid_limit}
    return {}


class CreditTermsChangeForm(CreditTermsFields):
    """R37 "Change credit terms": the account's terms, pre-filled; a reason is required."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the terms change: kept in the account's audit log.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, replacing=True, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.terms():
            raise forms.ValidationError("Nothing was changed: change the limit or the review date.")
        return cleaned


class PaymentHoldForm(forms.Form):
    """R37: the payment hold as the reseller's billing reports it. The page says which way it
    goes (``payment_hold``, hidden), so that a second submit repeats it instead of undoing it."""

    payment_hold = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on", widget=forms.HiddenInput
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: e.g. the invoice or the billing system's reference. Kept in the audit log.",
    )
