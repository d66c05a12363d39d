"""REST: plans, orders and subscriptions (CONTRACT §4).

Customers see only their own account's orders and subscriptions (R24), and an order held
or failed by a decline as ``waiting_for_approval`` with no failure reason (R6, R24, R28),
through ``accounts.visibility``. Another account's object is 404, as a missing one (R31).
"""

from functools import cached_property

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from postpay_portal.api.fields import IdField, UsernameField
from postpay_portal.api.filters import IdFilter, filter_parameters, validated_filters
from postpay_portal.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from postpay_portal.api.idempotency import idempotent
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import ModelPermission
from postpay_portal.api.schema import errors
from postpay_portal.errors import NotFound

from . import money
from .models import BillingModel, Order, OrderStatus, OrderType, Period, Plan, Subscription
from .selectors import order_count, order_get, order_list, plan_list, subscription_get, subscription_list
from .services import (
    order_cancel,
    order_pay,
    order_place,
    order_retry_provisioning,
    plan_create,
    subscription_renew,
    subscription_switch,
)
from .visibility import customer_visible_failure_reason, customer_visible_order_status

# The gate's refusals (R10) and the credit check's (R40), met by new, renewal and switch orders.
GATE_REFUSALS = ["postpay_under_review", "postpay_declined", "credit_review_open"]
CSRF = ["permission_denied"]  # a session-authenticated write without its CSRF token


# --- plans ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "^[A-Z]{3}$", "example": "USD"})
class CurrencyField(serializers.Field):
    """The ISO 4217 code of ``price``: the installation's ``POSTPAY_CURRENCY`` (CONTRACT §2)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return money.currency()


class PlanOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    billing_model = serializers.ChoiceField(choices=BillingModel.choices)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = CurrencyField()
    trial_days = serializers.IntegerField()


class PlanListApi(ListAPIView):
    """Everyone authenticated lists plans; staff with ``add_plan`` create them (R33)."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET",)
    queryset = Plan.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = PlanOutput
    pagination_class = ApiPagination

    @extend_schema_serializer(component_name="PlanCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        billing_model = serializers.ChoiceField(choices=BillingModel.choices)
        price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        trial_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, default=0)

    def get_queryset(self):
        return plan_list()

    @extend_schema(
        responses={200: PlanOutput(many=True), **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["plans"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: PlanOutput, **errors(body=True, s403=["permission_denied"])},
        tags=["plans"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_create(actor=request.user, **data.validated_data)
        return Response(PlanOutput(plan).data, status=201)


class PlanDetailApi(APIView):
    """Everyone authenticated reads a plan; staff need ``view_plan``, as in the operator portal."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET",)
    queryset = Plan.objects.none()

    @extend_schema(
        responses={200: PlanOutput, **errors(s403=["permission_denied"], s404=["not_found"])}, tags=["plans"]
    )
    def get(self, request, pk):
        plan = plan_list().filter(pk=pk).first()
        if plan is None:
            raise NotFound("No such plan.")
        return Response(PlanOutput(plan).data)


# --- orders -----------------------------------------------------------------------------


class OrderOutput(serializers.Serializer):
    """An order as the requesting user may see it: masked for customers (R6, R24); as staff
    see it when serialized without a request."""

    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=OrderType.choices)
    account = serializers.IntegerField(source="account_id")
    plan = serializers.IntegerField(source="plan_id")
    period = serializers.ChoiceField(choices=Period.choices)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = CurrencyField()
    status = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField()
    subscription = serializers.IntegerField(source="subscription_id", allow_null=True)
    created_by = UsernameField()
    approved_by = UsernameField()
    created_at = serializers.DateTimeField()

    def _is_customer(self):
        """Masked for a customer's request; with no request at all (an event, R34) the
        staff view, since events are never shown to customers."""
        request = self.context.get("request")
        return request is not None and not request.user.is_staff

    @extend_schema_field(serializers.ChoiceField(choices=OrderStatus.choices))
    def get_status(self, order):
        return customer_visible_order_status(order) if self._is_customer() else order.status

    @extend_schema_field({"type": "string", "nullable": True})
    def get_failure_reason(self, order):
        if self._is_customer():
            return customer_visible_failure_reason(order)
        return order.failure_reason or None


def order_output(request, order):
    """An order a service changed, re-read through the selector so that the response holds
    what a GET would show."""
    return OrderOutput(order_get(user=request.user, order_id=order.pk), context={"request": request}).data


def placed_order_output(request, order):
    """The order a placement (new, renewal, switch) created, as DRF's ``CreateModelMixin``
    answers: the saved instance through the same serializer, which masks it for a customer
    as any read does (R6, R24). The service built it with its account, plan and creator
    loaded, so no re-read is needed (decision 180)."""
    return OrderOutput(order, context={"request": request}).data


class OrderFilter(django_filters.FilterSet):
    account = IdFilter()
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)


class OrderListApi(ListAPIView):
    """List orders (customers: their own, filtered by the status they are shown, R24) and
    place a `new` order (R5, R9–R13, R21) with an optional ``Idempotency-Key``. Staff need
    ``add_order`` to place one (R33)."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET", "POST")
    queryset = Order.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = OrderOutput
    pagination_class = ApiPagination

    @extend_schema_serializer(component_name="OrderCreate")
    class InputSerializer(serializers.Serializer):
        plan = IdField()
        period = serializers.ChoiceField(choices=Period.choices)
        account = IdField(required=False, help_text="Required for staff; customers omit it or give their own.")

    def get_queryset(self):
        return order_list(user=self.request.user, **self.filters)

    def list_count(self):
        """The page's ``count``, exact, without counting millions of rows (ApiPagination)."""
        return order_count(user=self.request.user, **self.filters)

    @cached_property
    def filters(self):
        filters = validated_filters(OrderFilter, self)
        return {"account_id": filters.get("account"), "status": filters.get("status")}

    @extend_schema(
        parameters=filter_parameters(OrderFilter),
        responses={
            200: OrderOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["orders"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                {"type": "string", "minLength": 1, "maxLength": 255},
                OpenApiParameter.HEADER,
                required=False,
                description="At most 255 characters. A repeat with the same body returns the first response.",
            )
        ],
        responses={
            201: OrderOutput,
            **errors(
                body=True,
                s403=CSRF,
                s404=["not_found"],
                s409=[*GATE_REFUSALS, "trial_already_used"],
                s422=["idempotency_key_reused"],
            ),
        },
        tags=["orders"],
    )
    def post(self, request):
        return idempotent(request, self, lambda: self._place(request))

    def _place(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        account_id = fields.get("account", request.user.account_id)
        order = order_place(actor=request.user, account_id=account_id, plan_id=fields["plan"], period=fields["period"])
        return Response(placed_order_output(request, order), status=201)


class OrderDetailApi(APIView):
    """Customers read their own account's orders (R24); staff need ``view_order``."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET",)
    queryset = Order.objects.none()

    @extend_schema(
        responses={200: OrderOutput, **errors(s403=["permission_denied"], s404=["not_found"])}, tags=["orders"]
    )
    def get(self, request, pk):
        return Response(OrderOutput(order_get(user=request.user, order_id=pk), context={"request": request}).data)


class OrderPayApi(APIView):
    """Staff record the payment: `waiting_for_payment` → `provisioning` (R21). R33:
    ``change_order``, as the admin's "Record payment"."""

    permission_classes = [ModelPermission]
    queryset = Order.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema(
        request=None,
        responses={
            200: OrderOutput,
            **errors(s403=["permission_denied"], s404=["not_found"], s409=["invalid_order_status"]),
        },
        tags=["orders"],
    )
    def post(self, request, pk):
        return Response(order_output(request, order_pay(actor=request.user, order_id=pk)))


class OrderCancelApi(APIView):
    """`waiting_for_payment` → `cancelled`; a held order cannot be cancelled (R25). Staff
    need ``change_order`` (R33)."""

    permission_classes = [ModelPermission]
    customer_methods = ("POST",)
    queryset = Order.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema(
        request=None,
        responses={200: OrderOutput, **errors(s403=CSRF, s404=["not_found"], s409=["invalid_order_status"])},
        tags=["orders"],
    )
    def post(self, request, pk):
        return Response(order_output(request, order_cancel(actor=request.user, order_id=pk)))


class OrderRetryApi(APIView):
    """Staff retry a failed provisioning, never one failed by a decline (R22, R16). R33:
    ``change_order``, as the admin's "Retry provisioning"."""

    permission_classes = [ModelPermission]
    queryset = Order.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema(
        request=None,
        responses={
            200: OrderOutput,
            **errors(s403=["permission_denied"], s404=["not_found"], s409=["invalid_order_status"]),
        },
        tags=["orders"],
    )
    def post(self, request, pk):
        return Response(order_output(request, order_retry_provisioning(actor=request.user, order_id=pk)))


# --- subscriptions ----------------------------------------------------------------------


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    plan = serializers.IntegerField(source="plan_id")
    period = serializers.ChoiceField(choices=Period.choices)
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    current_period_end = serializers.DateTimeField()


class SubscriptionFilter(django_filters.FilterSet):
    account = IdFilter()


class SubscriptionListApi(ListAPIView):
    """Customers list their own account's subscriptions (R24); staff need ``view_subscription``."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET",)
    queryset = Subscription.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = SubscriptionOutput
    pagination_class = ApiPagination

    def get_queryset(self):
        filters = validated_filters(SubscriptionFilter, self)
        return subscription_list(user=self.request.user, account_id=filters.get("account"))

    @extend_schema(
        parameters=filter_parameters(SubscriptionFilter),
        responses={
            200: SubscriptionOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["subscriptions"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SubscriptionDetailApi(APIView):
    """Customers read their own account's subscriptions (R24); staff need ``view_subscription``."""

    permission_classes = [ModelPermission]
    customer_methods = ("GET",)
    queryset = Subscription.objects.none()

    @extend_schema(
        responses={200: SubscriptionOutput, **errors(s403=["permission_denied"], s404=["not_found"])},
        tags=["subscriptions"],
    )
    def get(self, request, pk):
        return Response(SubscriptionOutput(subscription_get(user=request.user, subscription_id=pk)).data)


class SubscriptionRenewApi(APIView):
    """A `renewal` order through the same gate (R5, R23). Staff need ``add_order`` (R33)."""

    permission_classes = [ModelPermission]
    customer_methods = ("POST",)
    permission_model = Order

    @extend_schema(
        request=None,
        responses={
            201: OrderOutput,
            **errors(s403=CSRF, s404=["not_found"], s409=[*GATE_REFUSALS, "order_in_progress"]),
        },
        tags=["subscriptions"],
    )
    def post(self, request, pk):
        order = subscription_renew(actor=request.user, subscription_id=pk)
        return Response(placed_order_output(request, order), status=201)


class SubscriptionSwitchApi(APIView):
    """A `switch` order to another plan through the same gate (R5, R23). Staff need
    ``add_order`` (R33)."""

    permission_classes = [ModelPermission]
    customer_methods = ("POST",)
    permission_model = Order

    @extend_schema_serializer(component_name="SubscriptionSwitch")
    class InputSerializer(serializers.Serializer):
        plan = IdField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OrderOutput,
            **errors(body=True, s403=CSRF, s404=["not_found"], s409=[*GATE_REFUSALS, "order_in_progress"]),
        },
        tags=["subscriptions"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = subscription_switch(actor=request.user, subscription_id=pk, plan_id=data.validated_data["plan"])
        return Response(placed_order_output(request, order), status=201)
