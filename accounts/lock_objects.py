"""Row locks on accounts (STYLE §2: the account is locked first, then what it owns)."""

from postpay_portal.errors import NotFound

from .models import Account


def account_qs_select_for_update():
    """Accounts locked for this transaction; ``of=("self",)`` locks only the account's row
    when a query also reads its class or manager."""
    return Account.objects.select_for_update(of=("self",))


def locked_account(account_id) -> Account:
    """The account, locked, with the class and manager its event shows (R34); else 404."""
    try:
        return account_qs_select_for_update().select_related("account_class", "manager").get(pk=account_id)
    except (Account.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such account.")
