"""REST: the events and the webhook endpoints (CONTRACT §4, SPEC R34).

Events, endpoints and deliveries need the webhook permissions (group "Webhook managers";
superusers have them), reads included, as in the operator portal: the event log carries
every change, and an endpoint's URL and its deliveries say where the platform's data goes
(R33's ``ModelPermission``: ``view_event``, ``view_webhookendpoint``…). Customers get 403 on
all of it.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from postpay_portal.api.fields import StrictBooleanField
from postpay_portal.api.filters import filter_parameters, validated_filters
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import ModelPermission
from postpay_portal.api.schema import errors

from .models import ALL_EVENTS, SUBSCRIBABLE_TYPES, DeliveryStatus, Event, EventType, WebhookDelivery, WebhookEndpoint
from .selectors import delivery_get, delivery_list, endpoint_get, endpoint_list, event_list
from .services import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_replay,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

EVENT_ID_MAX_LENGTH = 64
SUBSCRIBABLE = [ALL_EVENTS, *SUBSCRIBABLE_TYPES]


# --- events -----------------------------------------------------------------------------


class EventOutput(serializers.Serializer):
    """The event as listed here and as every webhook delivery's body."""

    id = serializers.CharField()
    type = serializers.ChoiceField(choices=EventType.choices)
    created_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The changed object as staff see it, as of the change.")


class EventFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=EventType.choices)
    after = django_filters.CharFilter(max_length=EVENT_ID_MAX_LENGTH, label="Only the events after this event id.")


class EventListApi(ListAPIView):
    """Every committed change, oldest first (R34); ``view_event``, as the operator portal."""

    permission_classes = [ModelPermission]
    queryset = Event.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = EventOutput
    pagination_class = ApiPagination

    def get_queryset(self):
        filters = validated_filters(EventFilter, self)
        return event_list(type=filters.get("type"), after=filters.get("after"))

    @extend_schema(
        parameters=filter_parameters(EventFilter),
        responses={
            200: EventOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["events"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- endpoints --------------------------------------------------------------------------


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE))
    description = serializers.CharField()
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="WebhookEndpointWithSecret")
class WebhookEndpointSecretOutput(WebhookEndpointOutput):
    """Only in the answers of create and rotate-secret: the secret is shown once."""

    secret = serializers.CharField()


class WebhookEndpointListApi(ListAPIView):
    permission_classes = [ModelPermission]
    read_verb = "view"
    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointOutput
    pagination_class = ApiPagination

    @extend_schema_serializer(component_name="WebhookEndpointCreate")
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2000, help_text="http:// or https://")
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=SUBSCRIBABLE), min_length=1, max_length=len(SUBSCRIBABLE)
        )
        description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def get_queryset(self):
        return endpoint_list()

    @extend_schema(
        responses={200: WebhookEndpointOutput(many=True), **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["webhooks"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: WebhookEndpointSecretOutput, **errors(body=True, s403=["permission_denied"])},
        tags=["webhooks"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(actor=request.user, **data.validated_data)
        return Response(WebhookEndpointSecretOutput(endpoint).data, status=201)


class WebhookEndpointDetailApi(APIView):
    permission_classes = [ModelPermission]
    read_verb = "view"
    queryset = WebhookEndpoint.objects.none()

    @extend_schema_serializer(component_name="WebhookEndpointUpdate")
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(max_length=2000, required=False)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=SUBSCRIBABLE),
            min_length=1,
            max_length=len(SUBSCRIBABLE),
            required=False,
        )
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)
        active = StrictBooleanField(required=False)

    @extend_schema(
        responses={200: WebhookEndpointOutput, **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["webhooks"],
    )
    def get(self, request, pk):
        return Response(WebhookEndpointOutput(endpoint_get(endpoint_id=pk)).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: WebhookEndpointOutput, **errors(body=True, s403=["permission_denied"], s404=["not_found"])},
        tags=["webhooks"],
    )
    def patch(self, request, pk):
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(actor=request.user, endpoint_id=pk, **data.validated_data)
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(responses={204: None, **errors(s403=["permission_denied"], s404=["not_found"])}, tags=["webhooks"])
    def delete(self, request, pk):
        webhook_endpoint_delete(actor=request.user, endpoint_id=pk)
        return Response(status=204)


class WebhookEndpointRotateSecretApi(APIView):
    """A new secret, shown once; the previous one also signs deliveries for 24 h."""

    permission_classes = [ModelPermission]
    queryset = WebhookEndpoint.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointSecretOutput, **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["webhooks"],
    )
    def post(self, request, pk):
        endpoint = webhook_endpoint_rotate_secret(actor=request.user, endpoint_id=pk)
        return Response(WebhookEndpointSecretOutput(endpoint).data)


class WebhookEndpointReplayApi(APIView):
    """Send again every event after ``after`` that the endpoint subscribes to."""

    permission_classes = [ModelPermission]
    queryset = WebhookEndpoint.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema_serializer(component_name="WebhookEndpointReplay")
    class InputSerializer(serializers.Serializer):
        after = serializers.CharField(max_length=EVENT_ID_MAX_LENGTH, help_text="An event id.")

    @extend_schema(
        request=InputSerializer,
        responses={
            202: inline_serializer("WebhookReplayQueued", {"queued": serializers.IntegerField()}),
            **errors(body=True, s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["webhooks"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint_get(endpoint_id=pk)  # 404 before 400: the path names a missing endpoint
        queued = webhook_endpoint_replay(actor=request.user, endpoint_id=pk, after=data.validated_data["after"])
        return Response({"queued": queued}, status=202)


# --- deliveries -------------------------------------------------------------------------


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField(source="event_id")
    event_type = serializers.ChoiceField(choices=EventType.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    response_status = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)


class WebhookEndpointDeliveriesApi(ListAPIView):
    """An endpoint's deliveries, newest first."""

    permission_classes = [ModelPermission]
    read_verb = "view"
    permission_model = WebhookDelivery
    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliveryOutput
    pagination_class = ApiPagination

    def get_queryset(self):
        filters = validated_filters(DeliveryFilter, self)
        endpoint = endpoint_get(endpoint_id=self.kwargs["pk"])
        return delivery_list(endpoint_id=endpoint.pk, status=filters.get("status"))

    @extend_schema(
        parameters=filter_parameters(DeliveryFilter),
        responses={
            200: WebhookDeliveryOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["webhooks"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WebhookDeliveryRedeliverApi(APIView):
    """Send one delivery again (same ``webhook-id``), whatever its status."""

    permission_classes = [ModelPermission]
    queryset = WebhookDelivery.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOutput, **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["webhooks"],
    )
    def post(self, request, pk):
        delivery = webhook_delivery_redeliver(actor=request.user, delivery_id=pk)
        return Response(WebhookDeliveryOutput(delivery_get(delivery_id=delivery.pk)).data, status=202)
