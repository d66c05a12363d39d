"""R34 in the operator portal: webhook endpoints, their deliveries, the event log.

Everything here needs the webhook permissions (group "Webhook managers"; superusers have
them): Django's view/add/change/delete permissions of the three models, checked by the
admin for its own pages and by the custom pages below. Endpoints are created and changed
through the services; the signing secret is shown once, on the page that answers the
creation or the rotation (never stored in a message or the session), and never again.
"""

import json
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from postpay_portal.admin_home import failing_endpoint_ids
from postpay_portal.admin_site import (
    ReadOnlyAdminMixin,
    apply_each,
    bulk_summary,
    form_errors_from,
    form_page,
    service_form_page,
)
from postpay_portal.errors import DomainError

from .models import ALL_EVENTS, SUBSCRIBABLE_TYPES, DeliveryStatus, Event, EventType, WebhookDelivery, WebhookEndpoint
from .services import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_ping,
    webhook_endpoint_replay,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

EVENT_CHOICES = [(ALL_EVENTS, "All events"), *((value, EventType(value).label) for value in SUBSCRIBABLE_TYPES)]
ENDPOINT_TEMPLATE = "admin/events/webhookendpoint/endpoint.html"
SECRET_TEMPLATE = "admin/events/webhookendpoint/secret.html"

# What an event is about → its page in the operator portal.
OBJECT_PAGES = {
    "order": "admin:subscriptions_order_change",
    "manual_operation": "admin:manual_operations_manualoperation_change",
    "account": "admin:accounts_account_change",
    "subscription": "admin:subscriptions_subscription_change",
    "postpay_settings": "admin:settings_app_postpaysettings_change",
    "webhook_endpoint": "admin:events_webhookendpoint_change",  # a test event's endpoint
}


def event_label(event_type):
    """An event type as people read it ("Order status changed"); unknown ones as stored."""
    return dict(EventType.choices).get(event_type, event_type)


def object_link(event):
    label = f"{event.object_type.replace('_', ' ')} #{event.object_id}"
    try:
        url = reverse(OBJECT_PAGES[event.object_type], args=[event.object_id])
    except (KeyError, NoReverseMatch):
        return label
    return format_html('<a href="{}">{}</a>', url, label)


class EventPicker(forms.CheckboxSelectMultiple):
    """The event types as boxes, "All events" first; a small script keeps them consistent
    (ticking a type unticks "All events", ticking "All events" unticks the types)."""

    class Media:
        js = ["admin/postpay-event-picker.js"]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"size": 80}),
        help_text="http:// or https://. Each delivery is a POST of the event as JSON.",
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=EventPicker,
        help_text='Tick the types this endpoint receives, or "All events" (also types added later).',
    )
    description = forms.CharField(max_length=500, required=False, widget=forms.TextInput(attrs={"size": 80}))

    def clean_events(self):
        """ "All events" and some types ticked together: the one the operator just ticked wins
        — the types, when the endpoint received all events before; else all events."""
        events = self.cleaned_data["events"]
        types = [event for event in events if event != ALL_EVENTS]
        if ALL_EVENTS not in events or not types:
            return events
        had_all = ALL_EVENTS in (self.initial.get("events") or [])
        return types if had_all else [ALL_EVENTS]


class EndpointChangeForm(EndpointForm):
    active = forms.BooleanField(required=False, help_text="An inactive endpoint receives nothing.")


class ReplayForm(forms.Form):
    after = forms.CharField(
        label="After event",
        max_length=64,
        help_text="An event id (evt_…): every later event this endpoint subscribes to is sent again, oldest first.",
    )


class FailingFilter(admin.SimpleListFilter):
    """The endpoints whose recent deliveries fail (the home page's "Failing webhook
    endpoints" opens this)."""

    title = "deliveries"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "A delivery failed in the last 24 h")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=failing_endpoint_ids())
        return queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("id", "url", "subscribed", "active", "description", "created_at", "deliveries_link")
    list_display_links = ("id", "url")
    list_filter = ("active", FailingFilter)
    search_fields = ("url", "description")

    @admin.display(description="Events")
    def subscribed(self, obj):
        return "All events" if ALL_EVENTS in obj.events else ", ".join(event_label(e) for e in obj.events)

    @admin.display(description="Deliveries")
    def deliveries_link(self, obj):
        return format_html('<a href="{}">Deliveries</a>', deliveries_url(obj.pk))

    # --- pages -------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<id:endpoint_id>/rotate-secret/",
                view(self.rotate_secret_view),
                name="events_webhookendpoint_rotate_secret",
            ),
            path("<id:endpoint_id>/replay/", view(self.replay_view), name="events_webhookendpoint_replay"),
            path("<id:endpoint_id>/ping/", view(self.ping_view), name="events_webhookendpoint_ping"),
            *super().get_urls(),
        ]

    def _secret_page(self, request, endpoint, *, title, intro):
        """The only page that shows a secret: the answer to its creation or rotation."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "endpoint": endpoint,
            "secret": endpoint.secret,
            "endpoint_url": reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]),
        }
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = EndpointForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                endpoint = webhook_endpoint_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form_errors_from(form, error)
            else:
                self.log_addition(request, endpoint, [{"added": {}}])
                return self._secret_page(
                    request,
                    endpoint,
                    title=f"Webhook endpoint #{endpoint.pk} created",
                    intro="Copy its signing secret now: it is shown only this once.",
                )
        return form_page(
            request,
            self,
            title="Add webhook endpoint",
            form=form,
            submit_label="Create endpoint",
            submit_name="_save",
            cancel_url=reverse("admin:events_webhookendpoint_changelist"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        endpoint = self.get_object(request, object_id)
        if endpoint is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, endpoint):
            raise PermissionDenied
        can_change = self.has_change_permission(request, endpoint)
        initial = {field: getattr(endpoint, field) for field in ("url", "events", "description", "active")}
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            form = EndpointChangeForm(request.POST, initial=initial)
            if form.is_valid():
                try:
                    webhook_endpoint_update(actor=request.user, endpoint_id=endpoint.pk, **form.cleaned_data)
                except DomainError as error:
                    form_errors_from(form, error)
                else:
                    self.log_change(request, endpoint, [{"changed": {"fields": form.changed_data}}])
                    messages.success(request, f"Webhook endpoint #{endpoint.pk} was changed.")
                    return HttpResponseRedirect(request.path)
        else:
            form = EndpointChangeForm(initial=initial)
        if not can_change:
            for field in form.fields.values():
                field.disabled = True
        counts = dict(endpoint.deliveries.values_list("status").annotate(n=Count("id")).order_by())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Webhook endpoint #{endpoint.pk}",
            "object": endpoint,
            "original": endpoint,
            "form": form,
            "can_change": can_change,
            "can_delete": self.has_delete_permission(request, endpoint),
            "deliveries_url": deliveries_url(endpoint.pk),
            "delivery_counts": [
                (status.label, counts.get(status.value, 0), deliveries_url(endpoint.pk, status))
                for status in DeliveryStatus
            ],
            "previous_secret_expires_at": (
                endpoint.previous_secret_expires_at if endpoint.has_previous_secret(timezone.now()) else None
            ),
        }
        return TemplateResponse(request, ENDPOINT_TEMPLATE, context)

    def _endpoint_to_change(self, request, endpoint_id):
        """The endpoint an action page acts on, if this user may change it; and its page."""
        endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint, reverse("admin:events_webhookendpoint_change", args=[endpoint.pk])

    def rotate_secret_view(self, request, endpoint_id):
        endpoint, change_url = self._endpoint_to_change(request, endpoint_id)
        if request.method == "POST":
            rotated = webhook_endpoint_rotate_secret(actor=request.user, endpoint_id=endpoint.pk)
            self.log_change(request, rotated, "Rotated the signing secret.")
            return self._secret_page(
                request,
                rotated,
                title=f"New secret of webhook endpoint #{rotated.pk}",
                intro="Copy the new signing secret now: it is shown only this once. For the next 24 hours every "
                "delivery is signed with both the new and the previous secret, so the receiver can switch "
                "without losing one.",
            )
        return form_page(
            request,
            self,
            title=f"Rotate the secret of endpoint #{endpoint.pk}?",
            obj=endpoint,
            object_url=change_url,
            cancel_url=change_url,
            submit_label="Rotate secret",
            intro="A new secret is generated and shown once. The previous one keeps signing deliveries for 24 hours.",
        )

    def replay_view(self, request, endpoint_id):
        endpoint, change_url = self._endpoint_to_change(request, endpoint_id)
        return service_form_page(
            request,
            self,
            ReplayForm(request.POST or request.GET or None),
            lambda data: webhook_endpoint_replay(
                actor=request.user, endpoint_id=endpoint.pk, after=data["after"].strip()
            ),
            lambda queued: (f"Queued {queued} event(s) for endpoint #{endpoint.pk}.", deliveries_url(endpoint.pk)),
            title=f"Replay endpoint #{endpoint.pk} from an event",
            obj=endpoint,
            object_url=change_url,
            cancel_url=change_url,
            submit_label="Replay",
            intro=f"Subscribed to: {', '.join(endpoint.events)}. Each event keeps its id, which the receiver sees as "
            "webhook-id.",
        )

    def ping_view(self, request, endpoint_id):
        """ "Send a test event": a ``ping`` to this endpoint only, signed and sent as any
        delivery; then its deliveries, the new one first."""
        endpoint, change_url = self._endpoint_to_change(request, endpoint_id)
        return service_form_page(
            request,
            self,
            forms.Form(request.POST or None),
            lambda data: webhook_endpoint_ping(actor=request.user, endpoint_id=endpoint.pk),
            lambda delivery: (
                f"Test event {delivery.event_id} queued for endpoint #{endpoint.pk}: its delivery is listed first.",
                deliveries_url(endpoint.pk),
            ),
            title=f"Send a test event to endpoint #{endpoint.pk}?",
            obj=endpoint,
            object_url=change_url,
            cancel_url=change_url,
            submit_label="Send test event",
            intro=f'A "ping" event, {{"endpoint": {endpoint.pk}}}, signed with the endpoint\'s secret and sent to '
            f"{endpoint.url} like any delivery (with retries). No other endpoint receives it.",
        )

    # --- deletion through the service --------------------------------------------------------

    def get_deleted_objects(self, objs, request):
        """A summary rather than every delivery (there may be many); deleting an endpoint
        takes its deliveries, which needs no permission of its own."""
        objs = list(objs)
        count = WebhookDelivery.objects.filter(endpoint__in=objs).count()
        return [str(obj) for obj in objs], {"webhook endpoints": len(objs), "webhook deliveries": count}, set(), []

    def delete_model(self, request, obj):
        webhook_endpoint_delete(actor=request.user, endpoint_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            webhook_endpoint_delete(actor=request.user, endpoint_id=pk)


def deliveries_url(endpoint_id, status=None):
    url = reverse("admin:events_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint_id}"
    return url + (f"&status__exact={status}" if status else "")


class EventTypeFilter(admin.SimpleListFilter):
    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return EventType.choices

    def queryset(self, request, queryset):
        if self.value() in EventType.values:
            return queryset.filter(event__type=self.value())
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only; "Redeliver" (one, or selected ones) is the only write."""

    # Fits 1280 px: the event's type under its id, when it was delivered or is due under the
    # status, the answer and the error in one column.
    list_display = ("id", "endpoint_short", "event_and_type", "status_and_when", "attempts", "outcome", "created_at")
    list_filter = ("status", EventTypeFilter, ("endpoint", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("endpoint",)
    search_fields = ("event__id",)
    search_help_text = "An event id (evt_…)."
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 100
    actions = ["redeliver_selected"]
    fields = (
        "endpoint",
        "event_link",
        "event_type",
        "status",
        "attempts",
        "response_status",
        "error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "claimed_until",
    )
    readonly_fields = fields
    change_form_template = "admin/events/webhookdelivery/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event").defer("event__data_json")

    def get_search_results(self, request, queryset, search_term):
        """An exact event id, on the index (the admin's ``=`` would compare upper-cased)."""
        term = search_term.strip()
        return (queryset.filter(event_id=term) if term else queryset), False

    @admin.display(description="Event", ordering="event_id")
    def event_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:events_event_change", args=[quote(obj.event_id)]), obj.event_id
        )

    @admin.display(description="Event type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="Error")
    def error_short(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else (obj.error or "—")

    @admin.display(description="Endpoint", ordering="endpoint_id")
    def endpoint_short(self, obj):
        """The endpoint by its number and host, the whole URL on hover."""
        host = urlsplit(obj.endpoint.url).netloc or obj.endpoint.url
        return format_html(
            '<a href="{}" title="{}">#{}</a> {}',
            reverse("admin:events_webhookendpoint_change", args=[obj.endpoint_id]),
            obj.endpoint.url,
            obj.endpoint_id,
            host,
        )

    @admin.display(description="Event", ordering="event_id")
    def event_and_type(self, obj):
        return format_html(
            '{}<span class="postpay-second-line">{}</span>', self.event_link(obj), event_label(obj.event.type)
        )

    @admin.display(description="Status", ordering="status")
    def status_and_when(self, obj):
        if obj.delivered_at:
            when = f"delivered {timezone.localtime(obj.delivered_at):%Y-%m-%d %H:%M}"
        elif obj.next_attempt_at and obj.status == DeliveryStatus.PENDING:
            when = f"next attempt {timezone.localtime(obj.next_attempt_at):%Y-%m-%d %H:%M}"
        else:
            return obj.get_status_display()
        return format_html('{}<span class="postpay-second-line">{}</span>', obj.get_status_display(), when)

    @admin.display(description="Answer")
    def outcome(self, obj):
        """The receiver's HTTP status, or why there was none."""
        if obj.response_status and not obj.error:
            return f"HTTP {obj.response_status}"
        if obj.response_status:
            return f"HTTP {obj.response_status}: {self.error_short(obj)}"
        return self.error_short(obj)

    def has_redeliver_permission(self, request, obj=None):
        return request.user.has_perm(f"{self.opts.app_label}.change_webhookdelivery")

    def get_urls(self):
        return [
            path(
                "<id:delivery_id>/redeliver/",
                self.admin_site.admin_view(self.redeliver_view),
                name="events_webhookdelivery_redeliver",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_redeliver": self.has_redeliver_permission(request), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def redeliver_view(self, request, delivery_id):
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint", "event"), pk=delivery_id)
        if not self.has_redeliver_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:events_webhookdelivery_change", args=[delivery.pk])
        if request.method == "POST":
            webhook_delivery_redeliver(actor=request.user, delivery_id=delivery.pk)
            messages.success(request, f"Delivery #{delivery.pk} is queued to be sent again.")
            return redirect(change_url)
        return form_page(
            request,
            self,
            title=f"Redeliver delivery #{delivery.pk}?",
            obj=delivery,
            object_url=change_url,
            cancel_url=change_url,
            submit_label="Redeliver",
            intro=f"{delivery.event.type} {delivery.event_id} to {delivery.endpoint.url}, with the same "
            "webhook-id and a new series of attempts.",
        )

    @admin.action(description="Redeliver selected deliveries", permissions=["redeliver"])
    def redeliver_selected(self, request, queryset):
        ids = queryset.order_by("id").values_list("pk", flat=True)
        done, skipped = apply_each(lambda pk: webhook_delivery_redeliver(actor=request.user, delivery_id=pk), ids)
        bulk_summary(
            request, done, skipped, done_text="Queued {n} delivery(ies) to be sent again", noun="delivery(ies)"
        )


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """R34: the event log, read-only, each event linked to what it is about."""

    list_display = ("id", "event_type", "about", "created_at")
    list_filter = ("type", ("created_at", admin.DateFieldListFilter))
    ordering = ("-id",)  # newest first here; the API lists oldest first
    search_fields = ("id", "object_id")
    search_help_text = "An event id (evt_…), or the id of the object it is about."
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_per_page = 100
    fields = ("id", "type", "about", "created_at", "body", "deliveries")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """Exact, on the indexes: an event id, or an object id (with the type filter)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(object_id=int(term)), False
        return queryset.filter(pk=term), False

    @admin.display(description="Type", ordering="type")
    def event_type(self, obj):
        return format_html("<code>{}</code>", obj.type)  # the value integrators see

    @admin.display(description="About")
    def about(self, obj):
        return object_link(obj)

    @admin.display(description="Body (data)")
    def body(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))

    @admin.display(description="Deliveries")
    def deliveries(self, obj):
        count = obj.deliveries.count()
        url = reverse("admin:events_webhookdelivery_changelist") + f"?q={obj.id}"
        return format_html('<a href="{}">{} delivery(ies)</a>', url, count)
