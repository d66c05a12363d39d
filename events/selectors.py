from django.db.models import F

from postpay_portal.errors import InvalidInput, NotFound

from .ids import looks_like_event_id
from .models import Event, EventType, WebhookDelivery, WebhookEndpoint


def event_list(*, type=None, after=None):
    """Oldest first, business events only unless ``type`` asks for test events (``ping``).
    ``after``: only the events after that one; an unknown id is ``invalid`` on ``after`` (a
    cursor that matches nothing must not read as "no news")."""
    qs = Event.objects.order_by("id")
    if after is not None:
        if not looks_like_event_id(after) or not Event.objects.filter(pk=after).exists():
            raise InvalidInput.on("after", "No such event.")
        qs = qs.filter(pk__gt=after)
    if type:
        qs = qs.filter(type=type)
    else:
        qs = qs.exclude(type=EventType.PING)  # test events are listed only when asked (``?type=ping``)
    return qs


def endpoint_list():
    return WebhookEndpoint.objects.order_by("id")


def endpoint_get(*, endpoint_id):
    try:
        return endpoint_list().get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook endpoint.")


def delivery_list(*, endpoint_id=None, status=None):
    """Newest first, with the event's type and without its data."""
    qs = WebhookDelivery.objects.annotate(event_type=F("event__type")).order_by("-created_at", "-id")
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def delivery_get(*, delivery_id):
    try:
        return delivery_list().get(pk=delivery_id)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook delivery.")
