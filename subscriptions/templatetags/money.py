"""``{{ order.price|price }}`` → "29.00 USD" in both portals (CONTRACT §2)."""

from django import template

from subscriptions.money import format_price

register = template.Library()
register.filter("price", format_price)
