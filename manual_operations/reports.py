"""R30: the queue report — open operations by age, median time to decision, approval rate
per manager and per account class, value of held orders. Read-only."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, Subquery, Sum
from django.utils import timezone

from subscriptions.models import Order, OrderStatus

from .models import ManualOperation, OperationStatus, OperationType

# R30: the median time to decision reads this many of the most recent decisions.
MEDIAN_WINDOW = 1000
# R30: the approval rates per manager and per account class read this many of the most
# recent decisions (docs/decisions.md): a bounded cost, however long the history.
RATES_WINDOW = 2_000
DECIDED_COUNT_CAP = 10_000


def _age_buckets():
    target = timedelta(hours=settings.MANUAL_OPERATION_TARGET_HOURS)
    return [
        ("under 1 hour", timedelta(0), timedelta(hours=1)),
        (f"1 hour to the target ({settings.MANUAL_OPERATION_TARGET_HOURS:g} h)", timedelta(hours=1), target),
        ("past the target, under 3 days", target, max(target, timedelta(days=3))),
        ("3 days or more", max(target, timedelta(days=3)), None),
    ]


def _rates(decided, group_field, label_field, default_label):
    """Decided, approved and declined per group, the group's label read in the same query."""
    rows = (
        decided.order_by()
        .values(group_field, label_field)
        .annotate(
            decided=Count("id"),
            approved=Count("id", filter=Q(status=OperationStatus.APPROVED)),
        )
        .order_by(group_field)
    )
    return [
        {
            "label": row[label_field] if row[group_field] is not None else default_label,
            "decided": row["decided"],
            "approved": row["approved"],
            "declined": row["decided"] - row["approved"],
            "rate": round(100 * row["approved"] / row["decided"], 1) if row["decided"] else None,
        }
        for row in rows
    ]


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the median, interpolated, of an interval."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def recent_decisions(window):
    """The ``window`` most recent decisions, read from the ``decided_at`` index."""
    recent_ids = ManualOperation.objects.filter(decided_at__isnull=False).order_by("-decided_at").values("pk")[:window]
    return ManualOperation.objects.filter(pk__in=Subquery(recent_ids))


def median_time_to_decision(window=None):
    """R30: the median of decided_at − created_at over the ``MEDIAN_WINDOW`` most recent
    decisions (docs/decisions.md), computed in the database.

    Bounded, so that the report costs the same whatever the history: the window is read
    from the ``decided_at`` index. PostgreSQL takes ``percentile_cont``; elsewhere (SQLite)
    the database sorts the window and returns its one or two middle rows. A ``timedelta``,
    or ``None`` when nothing was decided.
    """
    recent = recent_decisions(window or MEDIAN_WINDOW)
    wait = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        return recent.aggregate(median=_Median(wait))["median"]
    return _median_of_middle_rows(recent, wait)


def _median_of_middle_rows(recent, wait):
    count = recent.count()
    if not count:
        return None
    ordered = recent.annotate(wait=wait).order_by("wait").values_list("wait", flat=True)
    middle = list(ordered[(count - 1) // 2 : count // 2 + 1])
    return sum(middle, timedelta()) / len(middle)


def queue_report(now=None):
    now = now or timezone.now()
    open_ops = ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED)
    by_age = []
    for label, low, high in _age_buckets():
        window = Q(created_at__lte=now - low)
        if high is not None:
            window &= Q(created_at__gt=now - high)
        by_age.append({"label": label, "count": open_ops.filter(window).count()})

    # The rates group the most recent decisions only: over every decision ever made they
    # read the whole table and join every account (decision 101).
    recent = recent_decisions(RATES_WINDOW)

    # Counted up to the cap, like the operator lists (docs/decisions.md): "more than 10,000".
    decided = ManualOperation.objects.filter(decided_at__isnull=False).order_by().values("pk")
    decided_count = decided[: DECIDED_COUNT_CAP + 1].count()
    held = Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).aggregate(
        value=Sum(F("price")), count=Count("id")
    )
    # R30, R43: both types of operation, counted in one grouped query.
    per_type = dict(open_ops.order_by().values_list("operation").annotate(n=Count("id")))
    open_by_type = [
        {"value": value, "label": label, "count": per_type.get(value, 0)} for value, label in OperationType.choices
    ]
    held_for_credit_review = Order.objects.filter(
        status=OrderStatus.WAITING_FOR_APPROVAL,
        manual_operation__operation=OperationType.CREDIT_REVIEW,
        manual_operation__status=OperationStatus.APPROVAL_REQUIRED,
    ).aggregate(value=Sum(F("price")), count=Count("id"))
    return {
        "now": now,
        "open_total": sum(row["count"] for row in open_by_type),
        "open_by_type": open_by_type,
        "open_by_age": by_age,
        "median_time_to_decision": median_time_to_decision(),
        "median_window": MEDIAN_WINDOW,
        "decided_total": min(decided_count, DECIDED_COUNT_CAP),
        "decided_total_capped": decided_count > DECIDED_COUNT_CAP,
        "rates_window": RATES_WINDOW,
        "per_manager": _rates(recent, "decided_by", "decided_by__username", "system"),
        "per_account_class": _rates(recent, "account__account_class", "account__account_class__name", "(no class)"),
        "held_orders_count": held["count"],
        "held_orders_value": held["value"] or Decimal("0.00"),
        "held_for_credit_review_count": held_for_credit_review["count"],
        "held_for_credit_review_value": held_for_credit_review["value"] or Decimal("0.00"),
    }
