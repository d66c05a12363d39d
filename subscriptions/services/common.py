from accounts.models import Account
from postpay_portal.bulk_sql import locked
from postpay_portal.errors import InvalidInput, NotFound, PermissionDenied
from postpay_portal.ids import is_id


def as_id(value, field, *, unknown=None):
    """Ids are integers, never ``1.5``, ``"1"`` or ``true`` (CONTRACT §4). An integer outside
    the id range names no object: it is refused as a missing one (``unknown``, by default
    404 "No such <field>."), before any query could fail to bind it (R31)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.on(field, "A valid integer id is required.")
    if not is_id(value):
        raise unknown or NotFound(f"No such {field}.")
    return value


def require_user(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Authentication is required.")


def is_staff(actor):
    return bool(getattr(actor, "is_staff", False))


def require_staff(actor, what):
    require_user(actor)
    if not is_staff(actor):
        raise PermissionDenied(f"Only operators may {what}.")


def locked_account_for(actor, account_id):
    """Lock the account the actor acts for. Another account is 404, as missing (R31)."""
    require_user(actor)
    account_id = as_id(account_id, "account")
    if not is_staff(actor) and getattr(actor, "account_id", None) != account_id:
        raise NotFound("No such account.")
    account = locked(Account, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account
