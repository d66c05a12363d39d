"""What the customer portal shows of a status: always through ``accounts.visibility`` and
``subscriptions.visibility`` (SPEC R6, R24, R27), never decided by a template."""

from django import template

from accounts.models import PostpayPermission
from accounts.visibility import (
    CUSTOMER_UNDER_REVIEW_TEXT,
    customer_may_ask_for_review,
    customer_sees_under_review,
    customer_visible_status,
)
from subscriptions.models import ORDER_FAILED_BY_CREDIT_REVIEW
from subscriptions.visibility import (
    CREDIT_REVIEW_DECLINED_LABEL,
    CUSTOMER_UNDER_REVIEW_LABEL,
    customer_failure_text,
    customer_order_status_label,
    customer_visible_failure_reason,
    customer_visible_order_status,
)

register = template.Library()

POSTPAID_ENABLED_TEXT = "Postpaid ordering enabled"


def _postpay_state(request):
    """The account and settings ``customer_required`` put on the request, or None."""
    account = getattr(request, "account", None)
    settings_row = getattr(request, "postpay_settings", None)
    if account is None or settings_row is None:
        return None, None
    return account, settings_row


@register.inclusion_tag("portal/_postpay_banner.html", takes_context=True)
def postpay_banner(context):
    """R27: the banner on every page while the mode is Manually and the account is under
    review or declined — the same words in both cases (R6); nothing in Automatically mode."""
    account, settings_row = _postpay_state(context.get("request"))
    show = account is not None and settings_row.is_manual and customer_sees_under_review(account)
    return {"banner_text": CUSTOMER_UNDER_REVIEW_TEXT if show else ""}


@register.simple_tag(takes_context=True)
def postpay_account_note(context):
    """R6: what the account card says of postpaid ordering; only in Manually mode. Under
    review, the banner of every page already says the sentence: the card says it in a word
    (the sentence once a screen)."""
    account, settings_row = _postpay_state(context.get("request"))
    if account is None or not settings_row.is_manual:
        return ""
    if customer_sees_under_review(account):
        return CUSTOMER_UNDER_REVIEW_LABEL
    if customer_visible_status(account) == PostpayPermission.APPROVED:
        return POSTPAID_ENABLED_TEXT
    return ""


@register.simple_tag(takes_context=True)
def postpay_review_offered(context):
    """R36a: whether the page offers "Ask for postpaid ordering"."""
    account, settings_row = _postpay_state(context.get("request"))
    return account is not None and customer_may_ask_for_review(account, settings_row)


@register.filter
def customer_status(order):
    """The label of the status the customer is shown for an order ("Not approved" for a
    declined credit review, R42)."""
    if customer_visible_failure_reason(order) == ORDER_FAILED_BY_CREDIT_REVIEW:
        return CREDIT_REVIEW_DECLINED_LABEL
    return customer_order_status_label(customer_visible_order_status(order))


@register.filter
def customer_status_key(order):
    """The stored value of the shown status, for a CSS class."""
    return customer_visible_order_status(order)


@register.filter
def customer_failure_reason(order):
    return customer_failure_text(order)
