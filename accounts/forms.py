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
