"""Numbers in the operator portal as people read them (R17, R30)."""

from django import template

from manual_operations.presenters import format_age
from subscriptions.money import format_price

register = template.Library()


@register.filter
def duration(delta):
    """A ``timedelta`` as "under a minute", "47 min", "3 h 12 min" or "2 d 4 h"; "—" for none."""
    if delta is None or delta == "":
        return "—"
    return format_age(delta)


@register.filter
def money(amount):
    """A price with the installation's currency: "12,345.50 USD"."""
    return format_price(amount)
