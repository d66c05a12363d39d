"""The operator and customer portals in a real browser: the data the screenshots show."""

from tests.support.actions import held_for_new_account


def named_held_operation(name, plan, **account_kwargs):
    """R9 through the services: the first gated order of a new account whose billing e-mail
    and customer's login are named after it, as the screenshots show them."""
    first = name.split()[0].lower()
    order = held_for_new_account(plan, name, username=first, email=f"billing@{first}.example", **account_kwargs)
    return order.manual_operation
