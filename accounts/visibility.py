"""The customer's view of an account's permission (SPEC R6, R27, R28, R32): the one place a
decline is masked for an account. Orders are masked beside their statuses
(``subscriptions.visibility``).

Every face — portal templates, API serializers, e-mails, error codes — asks these
functions; none decides masking on its own.
"""

from .models import PostpayPermission

CUSTOMER_UNDER_REVIEW_TEXT = "Your account is under review for postpaid ordering"


def customer_visible_status(account) -> str:
    """A declined account reads ``under_review``."""
    if account.postpay_permission == PostpayPermission.DECLINED:
        return PostpayPermission.UNDER_REVIEW.value
    return account.postpay_permission


def customer_sees_under_review(account) -> bool:
    """R27: the banner shows while the mode is Manually and the account is held or declined."""
    return customer_visible_status(account) == PostpayPermission.UNDER_REVIEW


def customer_may_ask_for_review(account, settings_row) -> bool:
    """R36a: the portal offers "Ask for postpaid ordering" while the mode is Manually and the
    account has not been reviewed; a declined account reads as under review, so it is never
    offered the action again (R32)."""
    return settings_row.is_manual and customer_visible_status(account) == PostpayPermission.NONE


def refusal_for(actor, account_status):
    """R10: the error a gated order of a held or declined account raises for this actor."""
    from .errors import PostpayDeclined, PostpayUnderReview

    if account_status == PostpayPermission.DECLINED and getattr(actor, "is_staff", False):
        return PostpayDeclined()
    return PostpayUnderReview()
