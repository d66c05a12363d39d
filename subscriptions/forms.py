"""Customer portal forms. They check the shape of the input only; every rule is the
service's, and its ``InvalidInput`` comes back here as errors next to the fields."""

from django import forms

from .models import Period
from .money import format_price
from .visibility import customer_order_filter_choices, customer_order_filter_status


class DomainErrorsMixin:
    def add_domain_errors(self, exc):
        """Place the fields of an ``InvalidInput`` next to the form's fields (R31)."""
        for field, errors in (exc.fields or {}).items():
            for error in errors:
                self.add_error(field if field in self.fields else None, error)
        if not exc.fields:
            self.add_error(None, exc.detail)


class OrderForm(DomainErrorsMixin, forms.Form):
    """A `new` order from the catalog: one form per plan and period."""

    plan = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    period = forms.ChoiceField(choices=Period.choices, widget=forms.HiddenInput)


class PlanSelect(forms.Select):
    """A select whose refused plans are listed but cannot be chosen (R27)."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = {str(value) for value in disabled_values}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class SwitchPlanForm(DomainErrorsMixin, forms.Form):
    """Switch a subscription to another plan.

    ``offers`` are ``(plan, refusal_detail)`` pairs; a refused plan stays listed, disabled,
    and the server refuses it anyway when it is sent.
    """

    plan = forms.TypedChoiceField(label="New plan", coerce=int, empty_value=None)

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a plan")]
        refused = []
        for plan, refusal in offers:
            label = f"{plan.name} — {plan.get_billing_model_display()}, {format_price(plan.price)} per period"
            if refusal:
                label += " (not available now)"
                refused.append(plan.pk)
            choices.append((plan.pk, label))
        field = self.fields["plan"]
        field.choices = choices
        field.widget = PlanSelect(choices=choices, disabled_values=refused)
        self.has_choice = len(refused) < len(choices) - 1


class OrderFilterForm(forms.Form):
    """The orders list's status filter, in the statuses the customer is shown (R24, R28)."""

    status = forms.ChoiceField(label="Status", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "All statuses"), *customer_order_filter_choices()]

    def shown_status(self):
        """The status the customer asked to see, or None for every order (or a bad value)."""
        return customer_order_filter_status(self.cleaned_data["status"]) if self.is_valid() else None
