"""The checks a service starts with: who acts (R33) and on which id (CONTRACT §4).

The API and the operator portal refuse early with the same Django permissions (a 403
before any work); the services ask again, so that a task, a command or a new face cannot
skip a rule.

``actor=None`` means the system itself — the worker, the sweep, a management command run
by someone with shell access to the installation — and passes every permission check; an
anonymous user never does.
"""

from .errors import InvalidInput, NotFound, PermissionDenied
from .ids import is_id

# SPEC §1, R44: the permission of managers, who decide manual operations and grant postpaid
# credit; the group "Postpay managers" holds it, superusers have it.
DECIDE_PERMISSION = "manual_operations.decide_manualoperation"


def as_id(value, field: str, *, unknown=None) -> int:
    """Ids are integers, never ``1.5``, ``"1"`` or ``true`` (CONTRACT §4). An integer outside
    the id range names no object: it is refused as a missing one (``unknown``, by default
    404 "No such <field>."), before any query could fail to bind it (R31)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.on(field, "A valid integer id is required.")
    if not is_id(value):
        raise unknown or NotFound(f"No such {field}.")
    return value


def is_staff(actor) -> bool:
    return bool(getattr(actor, "is_staff", False))


def require_user(actor) -> None:
    """Someone authenticated is acting (the system is not a user: it never places an order)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Authentication is required.")


def require_staff(actor, what: str) -> None:
    require_user(actor)
    if not is_staff(actor):
        raise PermissionDenied(f"Only operators may {what}.")


def require_perm(actor, perm: str, detail: str = "You do not have permission to perform this action.") -> None:
    """R33: the actor is staff holding ``perm`` (``app_label.codename``), or the system."""
    if actor is None:
        return
    if not (getattr(actor, "is_authenticated", False) and is_staff(actor) and actor.has_perm(perm)):
        raise PermissionDenied(detail)


def require_decide(actor, detail: str = "Only a manager may grant postpaid credit.") -> None:
    """R44: every action that grants postpaid credit needs the decide permission."""
    require_perm(actor, DECIDE_PERMISSION, detail)
