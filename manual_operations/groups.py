"""Who may decide manual operations (SPEC §1): the decide permission, which the group
"Postpay managers" holds (``postpay_portal.groups``); superusers have it."""

from postpay_portal.groups import MANAGERS_GROUP  # noqa: F401  (the group's name, for notifications)
from postpay_portal.guards import DECIDE_PERMISSION


def can_decide(user):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(DECIDE_PERMISSION))
