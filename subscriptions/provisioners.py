"""Provisioners: what "provisioning an order" does (R22, R23).

The class is named by the setting ``PROVISIONER`` (env ``POSTPAY_PROVISIONER``), so an
installation can plug in a remote platform. It runs inside the transaction that holds the
order's lock and completes the order; it raises ``TransientProvisioningError`` for an error
worth retrying.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import BILLING_PERIOD_DAYS, OrderType, Period, Subscription


class Provisioner:
    def provision(self, order):
        """Return the subscription the order created or changed."""
        raise NotImplementedError


class LocalProvisioner(Provisioner):
    """R23: `new` creates the subscription, `renewal` extends it by one billing period,
    `switch` changes its plan."""

    def provision(self, order):
        now = timezone.now()
        if order.type == OrderType.NEW:
            days = order.plan.trial_days if order.period == Period.TRIAL else BILLING_PERIOD_DAYS
            return Subscription.objects.create(
                account_id=order.account_id,
                plan_id=order.plan_id,
                period=order.period,
                started_at=now,
                current_period_end=now + timedelta(days=days),
                origin_order=order,
            )
        subscription = Subscription.objects.select_for_update().get(pk=order.subscription_id)
        if order.type == OrderType.RENEWAL:
            start = max(subscription.current_period_end, now)
            subscription.current_period_end = start + timedelta(days=BILLING_PERIOD_DAYS)
            subscription.period = Period.COMMERCIAL
        elif order.type == OrderType.SWITCH:
            if subscription.period == Period.TRIAL:
                subscription.current_period_end = now + timedelta(days=BILLING_PERIOD_DAYS)
            subscription.plan_id = order.plan_id
            subscription.period = Period.COMMERCIAL
        subscription.save()
        return subscription


def get_provisioner():
    return import_string(settings.PROVISIONER)()
