"""Roles of CONTRACT §4 and SPEC R33. Authentication is checked first by DRF (401), then the
role (403).

A role refusal is 403 ``permission_denied``; an object of another account is 404 and is the
selectors' and services' business, not a permission class's (R31).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

MUTATING_VERBS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def is_customer(user):
    """A login of an account, not an operator."""
    return bool(user and user.is_authenticated and not user.is_staff and user.account_id is not None)


class ModelPermission(BasePermission):
    """R33: an API call needs the Django permission the operator portal asks for the same
    action; staff status alone is not enough — for reads too, since a staff login refused by
    every admin page must not read the same rows here (``view_<model>``, as the admin).

    Built on Django's own permissions, like DRF's ``DjangoModelPermissions``: the view names
    its model by ``queryset``, and the permission is ``<app_label>.<verb>_<model_name>`` as
    Django builds it — ``add`` for POST, ``change`` for PUT/PATCH, ``delete`` for DELETE. An
    action that is not a plain creation names its verb in ``permission_verbs`` (``{"POST":
    "change"}`` for "record payment", ``{"POST": "decide"}`` for a manager's decision), the
    same permission its admin action checks.

    A view whose path is not its model's (a subscription's renew places an order) names the
    model in ``permission_model``. Reads (GET, HEAD, OPTIONS) need ``view``, unless the view
    sets another ``read_verb``.
    Customers hold no model permissions: they may use only the methods a view lists in
    ``customer_methods``, on their own account, which the services enforce (R24, R31).
    """

    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # a method the view does not have: DRF answers 405, not a role refusal
        if not user.is_staff:
            return is_customer(user) and request.method in getattr(view, "customer_methods", ())
        permission = self.required_permission(request.method, view)
        return permission is None or user.has_perm(permission)

    @staticmethod
    def required_permission(method, view):
        if method in SAFE_METHODS:
            verb = getattr(view, "read_verb", "view")
        else:
            verb = getattr(view, "permission_verbs", {}).get(method, MUTATING_VERBS.get(method))
        if verb is None:
            return None
        model = getattr(view, "permission_model", None) or view.queryset.model
        opts = model._meta
        return f"{opts.app_label}.{verb}_{opts.model_name}"


class IsCustomer(BasePermission):
    """A customer user: a login of an account, not an operator."""

    message = "Only customer users have an account."

    def has_permission(self, request, view):
        return is_customer(request.user)
