"""Roles of CONTRACT §4. Authentication is checked first by DRF (401), then the role (403).

A role refusal is 403 ``permission_denied``; an object of another account is 404 and is the
selectors' and services' business, not a permission class's (R31).
"""

from rest_framework.permissions import BasePermission

from manual_operations.groups import can_decide


class IsStaff(BasePermission):
    """An operator (``is_staff``)."""

    message = "Only operators may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsManager(BasePermission):
    """An operator with the decide permission (SPEC §1, R14)."""

    message = "Only a manager may decide manual operations."

    def has_permission(self, request, view):
        return can_decide(request.user)


class IsCustomer(BasePermission):
    """A customer user: a login of an account, not an operator."""

    message = "Only customer users have an account."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and not user.is_staff and user.account_id is not None)
