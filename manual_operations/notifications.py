"""R19: managers are told when an operation is created."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from postpay_portal.mail import subject_line
from subscriptions.money import format_price

from .groups import MANAGERS_GROUP
from .models import ManualOperation


def manager_recipients(operation):
    User = get_user_model()
    managers = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(Q(groups__name=MANAGERS_GROUP) | Q(is_superuser=True) | Q(pk=operation.account.manager_id))
        .exclude(email="")
    )
    return sorted(set(managers.values_list("email", flat=True)))


def absolute_url(path):
    """E-mails carry absolute links: POSTPAY_BASE_URL and a path from ``reverse()``."""
    return settings.POSTPAY_BASE_URL.rstrip("/") + path


def notify_managers_operation_created(operation_id):
    operation = ManualOperation.objects.select_related("account", "order__plan", "requested_by").get(pk=operation_id)
    recipients = manager_recipients(operation)
    if not recipients:
        return 0
    link = absolute_url(reverse("admin:manual_operations_manualoperation_change", args=[operation.pk]))
    if operation.order_id is not None:
        subject = f"Approval required: {operation.account.name} ordered a postpaid plan"
        what = f"Order: #{operation.order_id} — {operation.order.plan.name}, {format_price(operation.order.price)}"
    else:  # R36a: asked in advance, no order yet
        subject = f"Approval required: {operation.account.name} asked for postpaid ordering"
        who = operation.requested_by.get_username() if operation.requested_by_id else "a customer"
        what = f"Asked in advance by {who}: no order is held."
    body = (
        f'Manual operation #{operation.pk} "{operation.get_operation_display()}" is waiting for a decision.\n\n'
        f"Account: {operation.account.name}\n{what}\n\nOpen it in the queue: {link}\n"
    )
    return send_mail(subject_line(subject), body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
