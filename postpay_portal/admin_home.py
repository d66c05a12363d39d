"""The operator portal's home (``/admin/``): what waits, above the app list, and the reader's
own recent decisions in place of Django's "Recent actions" (which knows only the admin's own
edits: no decision, import or settings change reaches it).

Each figure is shown only to a reader who may view what it counts, and links to the list it
counts, filtered. Every figure is one query, whatever the number of rows behind it.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from audit.admin import object_link, reason_text, value_html, viewable_object_types, with_account_names
from audit.models import AuditLogEntry, ObjectType
from events.models import DeliveryStatus, WebhookDelivery
from manual_operations.models import ManualOperation, OperationStatus, OperationType
from manual_operations.presenters import format_age
from subscriptions.models import Order, OrderStatus, failed_by_decline_q

# An endpoint is failing when one of its deliveries created this recently failed for good
# (a delivery gives up after WEBHOOK_MAX_ATTEMPTS retries, hours after it was created).
FAILING_WINDOW = timedelta(hours=24)
RECENT_DECISIONS = 10


@dataclass
class Figure:
    label: str
    value: str
    url: str = ""
    detail: str = ""
    warn: bool = False
    parts: list = field(default_factory=list)


def currency():
    return getattr(settings, "POSTPAY_CURRENCY", "USD")


def _money(amount):
    return f"{amount:,.2f} {currency()}"


def _age(delta):
    return format_age(delta)


def queue_figure(now):
    """Open manual operations (all types), a count per type, and the oldest one's age against
    MANUAL_OPERATION_TARGET_HOURS: one grouped query."""
    queue = reverse("admin:manual_operations_manualoperation_changelist")
    rows = {
        row["operation"]: row
        for row in ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED)
        .order_by()
        .values("operation")
        .annotate(count=Count("id"), oldest=Min("created_at"))
    }
    total = sum(row["count"] for row in rows.values())
    parts = [
        {
            "label": label,
            "count": rows[value]["count"] if value in rows else 0,
            "url": f"{queue}?operation__exact={value}",
        }
        for value, label in OperationType.choices
    ]
    oldest = min((row["oldest"] for row in rows.values()), default=None)
    target = settings.MANUAL_OPERATION_TARGET_HOURS
    if oldest is None:
        detail, warn = "Nothing waits.", False
    else:
        age = now - oldest
        warn = age > timedelta(hours=target)
        detail = f"The oldest has waited {_age(age)}; the target is {target:g} h."
    return Figure("Open manual operations", str(total), queue, detail, warn, parts)


def order_figures():
    """The value of the held orders, and the failed provisionings an operator may retry (not
    those failed by a decline, R22): a query each, on the status index."""
    orders = reverse("admin:subscriptions_order_changelist")
    held = Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).aggregate(
        count=Count("id"), value=Sum("price")
    )
    failed = Order.objects.filter(status=OrderStatus.PROVISIONING_FAILED).exclude(failed_by_decline_q()).count()
    return [
        Figure(
            "Held value",
            _money(held["value"] or Decimal("0")),
            f"{orders}?status__exact={OrderStatus.WAITING_FOR_APPROVAL}",
            f"{held['count']} order{'s' if held['count'] != 1 else ''} waiting for approval.",
        ),
        Figure(
            "Failed provisionings",
            str(failed),
            f"{orders}?failure=retryable",
            "Not failed by a decline: each can be retried.",
            warn=failed > 0,
        ),
    ]


def failing_endpoint_ids(now=None):
    """The endpoints with a delivery created within ``FAILING_WINDOW`` that failed for good."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED, created_at__gte=now - FAILING_WINDOW)
        .order_by()
        .values("endpoint")
        .distinct()
    )


def webhook_figure(now):
    failing = failing_endpoint_ids(now).count()
    return Figure(
        "Failing webhook endpoints",
        str(failing),
        reverse("admin:events_webhookendpoint_changelist") + "?failing=yes",
        "With a delivery that failed for good among those of the last 24 h.",
        warn=failing > 0,
    )


def waiting(request, now=None):
    """The figures of what waits that this reader may see."""
    now = now or timezone.now()
    may = request.user.has_perm
    figures = []
    if may("manual_operations.view_manualoperation"):
        figures.append(queue_figure(now))
    if may("subscriptions.view_order"):
        figures += order_figures()
    if may("events.view_webhookendpoint"):
        figures.append(webhook_figure(now))
    return figures


def _consequence():
    """Entries a decision writes besides its own (the account's and the order's), and the
    opening of an operation: they repeat a decision shown already."""
    return (
        Q(object_type=ObjectType.ACCOUNT, reason__startswith="manual operation #")
        | Q(object_type=ObjectType.ORDER, reason__in=["postpay permission approved", "postpay permission declined"])
        | Q(object_type=ObjectType.MANUAL_OPERATION, to_value=OperationStatus.APPROVAL_REQUIRED)
    )


def recent_decisions(user, limit=RECENT_DECISIONS):
    """The reader's own last decisions and changes, from the audit log (R29): operations
    decided or approved in advance, accounts created or imported, customer logins added,
    settings changed, payments recorded, webhook endpoints changed. Two queries."""
    entries = list(
        with_account_names(AuditLogEntry.objects.filter(actor=user).exclude(_consequence()))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    operation_ids = [e.object_id for e in entries if e.object_type == ObjectType.MANUAL_OPERATION]
    accounts = dict(
        ManualOperation.objects.filter(pk__in=operation_ids).values_list("pk", "account__name") if operation_ids else []
    )
    for entry in entries:
        entry.operation_account = accounts.get(entry.object_id, "")
    return entries


def decision_rows(request):
    """Each of the reader's recent decisions: when, on what (linked where the reader may
    open it), the change as labels, and why."""
    viewable = viewable_object_types(request.user)
    rows = []
    for entry in recent_decisions(request.user):
        what = object_link(entry, viewable)
        if entry.object_type == ObjectType.MANUAL_OPERATION and entry.operation_account:
            what = format_html("{} ({})", what, entry.operation_account)
        if entry.object_type == ObjectType.ACCOUNT and entry.from_value is None and entry.field == "postpay_permission":
            change = "created"  # the account's first entry (an import creates accounts too)
        else:
            change = format_html("{} → {}", value_html(entry, entry.from_value), value_html(entry, entry.to_value))
            if entry.field != "status":
                change = format_html("<code>{}</code> {}", entry.field, change)
        rows.append({"at": entry.at, "object": what, "change": change, "reason": reason_text(entry)})
    return rows


def home_context(request):
    """What the home page shows this reader: ``figures`` and ``decisions``."""
    return {"figures": waiting(request), "decisions": decision_rows(request)}
