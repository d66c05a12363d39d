"""Query filters of the list endpoints, parsed by django-filter.

The filtersets only validate and type the query string (a bad value is 400 ``invalid``);
the selectors apply them, because some filters are not plain lookups — a customer's
``?status=`` matches the masked status (R24, R28).
"""

import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from postpay_portal.ids import MAX_ID


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def validated_filters(filterset_class, view):
    """The filters present in the view's query string, typed; 400 ``invalid`` when one is
    bad. Only the filterset's form is used; the view's selector does the filtering."""
    filterset = filterset_class(view.request.query_params, queryset=view.queryset)
    if not filterset.form.is_valid():
        raise ValidationError(
            {
                name: [error["message"] for error in errors]
                for name, errors in filterset.form.errors.get_json_data().items()
            }
        )
    return {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "")}


def filter_parameters(filterset_class):
    """The filterset as OpenAPI query parameters, for ``extend_schema``."""
    parameters = []
    for name, flt in filterset_class.base_filters.items():
        if isinstance(flt, IdFilter):
            parameters.append(OpenApiParameter(name, int, description=flt.label or ""))
        elif isinstance(flt, django_filters.ChoiceFilter):
            choices = [value for value, _ in flt.extra["choices"]]
            parameters.append(OpenApiParameter(name, str, enum=choices, description=flt.label or ""))
        else:
            parameters.append(OpenApiParameter(name, str))
    return parameters
