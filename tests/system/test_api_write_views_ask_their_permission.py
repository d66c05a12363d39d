"""R33: each API write view asks for the operator portal's permission itself, before and apart
from the service's own check (a refused write never reaches the service)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from postpay_portal.api.permissions import ModelPermission

WRITES = ("post", "put", "patch", "delete")
# Not the operator portal's actions: the token (anyone with a password), a customer's own
# review request (customers only, R36a).
NOT_STAFF_ACTIONS = {"token", "my-account-postpay-review", "logout"}


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and issubclass(view, APIView):
                yield pattern.name, prefix + str(pattern.pattern), view


def _write_views():
    return [
        (name, route, view, method.upper())
        for name, route, view in _api_views(get_resolver().url_patterns)
        if route.startswith("api/v1/") and name not in NOT_STAFF_ACTIONS
        for method in WRITES
        if hasattr(view, method)
    ]


def test_the_api_has_write_views_to_check():
    assert len(_write_views()) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize("name, route, view, method", _write_views(), ids=lambda value: str(value))
def test_r33_each_api_write_view_asks_for_a_django_permission_itself(name, route, view, method):
    assert ModelPermission in view.permission_classes, f"{name} {method} does not check a permission"
    required = ModelPermission.required_permission(method, view)
    assert required is not None, f"{name} {method} asks for no permission"
    app_label, codename = required.split(".")
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists(), required
