"""``/metrics`` (R35, CONTRACT §3): Prometheus text format.

Domain figures are computed from the database at scrape time by ``DomainCollector``, so
every web process (gunicorn runs several) reports the same values; each is one indexed
count or ``GROUP BY`` on an indexed column, never a loop over rows, and the orders by status
are the few rows of the tally the database keeps (``subscriptions.models.OrderTally``). The HTTP
request-duration histograms come from django-prometheus' middleware (per process).

Access: loopback peers without credentials; anyone else only with
``Authorization: Bearer $METRICS_TOKEN`` (and never while ``METRICS_TOKEN`` is unset).
"""

import hmac
import ipaddress

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

WEBHOOK_DELIVERY_STATUSES = ("pending", "succeeded", "failed")
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _open_operations():
    from manual_operations.models import ManualOperation, OperationStatus, OperationType

    # All from the status index (open operations are few): one query.
    return ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED).aggregate(
        count=Count("pk"),
        credit_reviews=Count("pk", filter=Q(operation=OperationType.CREDIT_REVIEW)),
        oldest=Min("created_at"),
    )


def _order_counts():
    from subscriptions.selectors import order_counts_by_status

    return order_counts_by_status()  # the tally's few rows, whatever the number of orders


def _attempt_counts():
    from subscriptions.models import AttemptOutcome, ProvisioningAttempt

    counts = dict.fromkeys([AttemptOutcome.SUCCEEDED, AttemptOutcome.FAILED, AttemptOutcome.ABANDONED], 0)
    rows = (
        ProvisioningAttempt.objects.filter(outcome__in=list(counts))
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    counts.update(rows)
    return counts


def _webhook_delivery_counts():
    """Deliveries per status, for ``postpay_webhook_deliveries`` (R34): one GROUP BY on the
    indexed status."""
    from events.models import WebhookDelivery

    counts = dict.fromkeys(WEBHOOK_DELIVERY_STATUSES, 0)
    counts.update(
        WebhookDelivery.objects.filter(status__in=WEBHOOK_DELIVERY_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return counts


class DomainCollector(Collector):
    """The contract's domain series, read from the database at each scrape."""

    def collect(self):
        now = timezone.now()
        open_ops = _open_operations()
        yield GaugeMetricFamily(
            "postpay_manual_operations_open",
            "Manual operations waiting for a decision (approval_required).",
            value=open_ops["count"],
        )
        yield GaugeMetricFamily(
            "postpay_credit_reviews_open",
            "Credit reviews waiting for a decision (R39; also counted in postpay_manual_operations_open).",
            value=open_ops["credit_reviews"],
        )
        oldest = open_ops["oldest"]
        yield GaugeMetricFamily(
            "postpay_manual_operation_oldest_open_age_seconds",
            "Age of the oldest manual operation waiting for a decision; 0 when none waits.",
            value=max((now - oldest).total_seconds(), 0) if oldest else 0,
        )
        orders = GaugeMetricFamily("postpay_orders", "Orders by stored status.", labels=["status"])
        for status, count in _order_counts().items():
            orders.add_metric([status], count)
        yield orders
        attempts = CounterMetricFamily(
            "postpay_provisioning_attempts", "Finished provisioning attempts by outcome.", labels=["outcome"]
        )
        for outcome, count in _attempt_counts().items():
            attempts.add_metric([outcome], count)
        yield attempts
        deliveries = GaugeMetricFamily("postpay_webhook_deliveries", "Webhook deliveries by status.", labels=["status"])
        for status, count in _webhook_delivery_counts().items():
            deliveries.add_metric([status], count)
        yield deliveries

    def describe(self):
        return []  # nothing at registration time: the database may not be ready yet


_collector = None


def register_domain_collector(registry=REGISTRY):
    """Called once per process from the app config's ``ready()``."""
    global _collector
    if _collector is None:
        _collector = DomainCollector()
        registry.register(_collector)
    return _collector


def is_loopback_peer(request):
    """The direct peer is on this host and no proxy relayed the request (a proxy on the
    same host would otherwise make every outside caller look local)."""
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def has_metrics_token(request):
    token = settings.METRICS_TOKEN
    if not token:
        return False
    scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics(request):
    if not (is_loopback_peer(request) or has_metrics_token(request)):
        return HttpResponseForbidden(
            "Forbidden: /metrics needs a bearer token from outside this host.\n", content_type="text/plain"
        )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
