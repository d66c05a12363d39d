"""R19: the customer is told when an order completes. Nothing else is ever sent to them:
in particular no e-mail mentions a decline (R16)."""

from django.conf import settings
from django.core.mail import send_mail

from postpay_portal.mail import subject_line

from .models import Order


def customer_recipients(account):
    emails = {account.email} if account.email else set()
    emails.update(u.email for u in account.users.filter(is_active=True) if u.email)
    return sorted(emails)


def notify_customer_order_completed(order_id):
    order = Order.objects.select_related("account", "plan").get(pk=order_id)
    recipients = customer_recipients(order.account)
    if not recipients:
        return 0
    subject = f"Your order #{order.pk} is complete"
    body = (
        f"Hello {order.account.name},\n\n"
        f"your {order.get_type_display().lower()} order #{order.pk} for {order.plan.name} is complete "
        f"and the subscription is active.\n\nPostpay Portal"
    )
    return send_mail(subject_line(subject), body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
