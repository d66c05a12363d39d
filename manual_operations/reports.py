"""R30: the queue report — open operations by age, median time to decision, approval rate
per manager and per account class, value of held orders. Read-only."""

from datetime import timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from subscriptions.models import Order, OrderStatus

from .models import ManualOperation, OperationStatus


def _age_buckets():
    target = timedelta(hours=settings.MANUAL_OPERATION_TARGET_HOURS)
    return [
        ("under 1 hour", timedelta(0), timedelta(hours=1)),
        (f"1 hour to the target ({settings.MANUAL_OPERATION_TARGET_HOURS:g} h)", timedelta(hours=1), target),
        ("past the target, under 3 days", target, max(target, timedelta(days=3))),
        ("3 days or more", max(target, timedelta(days=3)), None),
    ]


def _rates(decided, group_field, label_of):
    rows = (
        decided.values(group_field)
        .annotate(
            decided=Count("id"),
            approved=Count("id", filter=Q(status=OperationStatus.APPROVED)),
        )
        .order_by(group_field)
    )
    return [
        {
            "label": label_of(row[group_field]),
            "decided": row["decided"],
            "approved": row["approved"],
            "declined": row["decided"] - row["approved"],
            "rate": round(100 * row["approved"] / row["decided"], 1) if row["decided"] else None,
        }
        for row in rows
    ]


def queue_report(now=None):
    now = now or timezone.now()
    open_ops = ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED)
    by_age = []
    for label, low, high in _age_buckets():
        window = Q(created_at__lte=now - low)
        if high is not None:
            window &= Q(created_at__gt=now - high)
        by_age.append({"label": label, "count": open_ops.filter(window).count()})

    decided = ManualOperation.objects.exclude(status=OperationStatus.APPROVAL_REQUIRED)
    waits = [
        (decided_at - created_at).total_seconds()
        for created_at, decided_at in decided.filter(decided_at__isnull=False).values_list("created_at", "decided_at")
    ]
    median_wait = timedelta(seconds=median(waits)) if waits else None

    usernames = dict(
        decided.filter(decided_by__isnull=False).values_list("decided_by", "decided_by__username").distinct()
    )
    classes = dict(
        decided.filter(account__account_class__isnull=False)
        .values_list("account__account_class", "account__account_class__name").distinct()
    )
    held = Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).aggregate(
        value=Sum(F("price")), count=Count("id")
    )
    return {
        "now": now,
        "open_total": open_ops.count(),
        "open_by_age": by_age,
        "median_time_to_decision": median_wait,
        "decided_total": len(waits),
        "per_manager": _rates(decided, "decided_by", lambda pk: usernames.get(pk, "system")),
        "per_account_class": _rates(decided, "account__account_class", lambda pk: classes.get(pk, "(no class)")),
        "held_orders_count": held["count"],
        "held_orders_value": held["value"] or Decimal("0.00"),
    }
