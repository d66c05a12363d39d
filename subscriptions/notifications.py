"""R19: the customer is told when an order completes, and (R39) when an order of an approved
account waits for a credit review. Nothing else is ever sent to them: in particular no e-mail
mentions a decline (R16), and no account that is not approved ever gets a credit e-mail.

There is no e-mail for an order that waits for payment (R19 names none): the operators'
payment instructions travel in the completion e-mail, for a commercial period, beside its
price (decision 124)."""

from django.conf import settings
from django.core.mail import send_mail

from postpay_portal.mail import subject_line
from settings_app.selectors import postpay_settings_get

from .models import BILLING_PERIOD_DAYS, Order, Period
from .money import format_price


def customer_recipients(account):
    emails = {account.email} if account.email else set()
    emails.update(u.email for u in account.users.filter(is_active=True) if u.email)
    return sorted(emails)


def _price_line(order):
    plan = order.plan
    if order.period == Period.TRIAL:
        return f"Price: free for {plan.trial_days} days (a trial period)."
    return f"Price: {format_price(plan.price)} per billing period of {BILLING_PERIOD_DAYS} days."


def notify_customer_order_completed(order_id):
    order = Order.objects.select_related("account", "plan").get(pk=order_id)
    recipients = customer_recipients(order.account)
    if not recipients:
        return 0
    subject = f"Your order #{order.pk} is complete"
    body = (
        f"Hello {order.account.name},\n\n"
        f"your {order.get_type_display().lower()} order #{order.pk} for {order.plan.name} is complete "
        f"and the subscription is active.\n\n{_price_line(order)}\n"
    )
    instructions = postpay_settings_get().payment_instructions if order.period == Period.COMMERCIAL else ""
    if instructions:
        body += f"\nHow to pay:\n{instructions}\n"
    body += "\nPostpay Portal"
    return send_mail(subject_line(subject), body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)


def notify_customer_order_held(order_id):
    """R39: "your order waits for your provider's review", with the limit when the order goes
    over it (the customer sees the limit on the dashboard anyway, R42)."""
    from manual_operations.models import HoldReason

    order = Order.objects.select_related("account", "plan", "manual_operation").get(pk=order_id)
    recipients = customer_recipients(order.account)
    if not recipients:
        return 0
    operation = order.manual_operation
    lines = [
        f"Hello {order.account.name},",
        "",
        f"your {order.get_type_display().lower()} order #{order.pk} for {order.plan.name} "
        f"({format_price(order.price)} per billing period of {BILLING_PERIOD_DAYS} days) waits for your provider's "
        "review before it is set up. You will get an e-mail once it is ready.",
    ]
    if HoldReason.OVER_LIMIT in operation.hold_reasons and operation.credit_snapshot:
        limit = operation.credit_snapshot["postpaid_limit"]
        lines += ["", f"It would take your postpaid subscriptions above your limit of {format_price(limit)}."]
    lines += ["", "Postpay Portal"]
    subject = f"Your order #{order.pk} is under review"
    return send_mail(
        subject_line(subject), "\n".join(lines), settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False
    )
