"""Prices as people read them: the amount and the installation's currency (CONTRACT §2,
``POSTPAY_CURRENCY``). Every face — both portals, e-mails — formats a price here; the
template filter ``price`` (``subscriptions/templatetags/money.py``) is this function."""

from decimal import Decimal, InvalidOperation

from django.conf import settings


def currency():
    """The ISO 4217 code of every price; read per call, so a changed setting shows at once."""
    return settings.POSTPAY_CURRENCY


def format_price(amount):
    """``Decimal("12345.5")`` → ``"12,345.50 USD"``; "—" for no amount."""
    if amount is None or amount == "":
        return "—"
    try:
        amount = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    return f"{amount:,.2f} {currency()}"
