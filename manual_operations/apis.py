"""REST: the manual operations queue (CONTRACT §4, SPEC R14–R16). Staff read; managers
decide. The decision itself — once, with the locks and the audit — is the service's."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import terms_given
from postpay_portal.api.fields import UsernameField
from postpay_portal.api.filters import IdFilter, filter_parameters, validated_filters
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import ModelPermission
from postpay_portal.api.schema import errors

from .models import DeclineReason, HoldReason, ManualOperation, OperationStatus, OperationType
from .selectors import manual_operation_list
from .services import manual_operation_approve, manual_operation_decline


class CreditSnapshotOutput(serializers.Serializer):
    """R39: the limit, the commitment before the held order, and the order's increase."""

    postpaid_limit = serializers.CharField(allow_null=True)
    commitment = serializers.CharField()
    increase = serializers.CharField()


class ManualOperationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    operation = serializers.ChoiceField(choices=OperationType.choices)
    description = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    order = serializers.IntegerField(
        source="order_id",
        allow_null=True,
        help_text="The held order; null for a review asked or approved in advance.",
    )
    manager = UsernameField(source="account.manager")
    status = serializers.ChoiceField(choices=OperationStatus.choices)
    created_at = serializers.DateTimeField()
    decided_by = UsernameField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.SerializerMethodField()
    note = serializers.CharField()
    hold_reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=HoldReason.choices),
        help_text="Why a credit review holds its order (R39); empty for a permission operation.",
    )
    credit_snapshot = CreditSnapshotOutput(allow_null=True, help_text="What the credit check read at the hold.")

    @extend_schema_field(serializers.ChoiceField(choices=DeclineReason.choices, allow_null=True))
    def get_reason(self, operation):
        return operation.reason or None


class ManualOperationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OperationStatus.choices)
    account = IdFilter()
    operation = django_filters.ChoiceFilter(choices=OperationType.choices)


class ManualOperationListApi(ListAPIView):
    permission_classes = [ModelPermission]
    queryset = ManualOperation.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = ManualOperationOutput
    pagination_class = ApiPagination

    def get_queryset(self):
        filters = validated_filters(ManualOperationFilter, self)
        return manual_operation_list(
            status=filters.get("status"), account_id=filters.get("account"), operation=filters.get("operation")
        )

    @extend_schema(
        parameters=filter_parameters(ManualOperationFilter),
        responses={
            200: ManualOperationOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["manual operations"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def operation_output(operation_id):
    return ManualOperationOutput(manual_operation_list().get(pk=operation_id)).data


DECISION_ERRORS = errors(body=True, s403=["permission_denied"], s404=["not_found"], s409=["operation_already_decided"])


class ManualOperationApproveApi(APIView):
    """R15, R41: approve once; the held order provisions after the decision commits; new credit
    terms may come with it (a field left out is unchanged, null clears it). R33: the decide
    permission, as in the queue."""

    permission_classes = [ModelPermission]
    queryset = ManualOperation.objects.none()
    permission_verbs = {"POST": "decide"}

    @extend_schema_serializer(component_name="ManualOperationApprove")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
        postpaid_limit = serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
        )
        credit_review_on = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: ManualOperationOutput, **DECISION_ERRORS},
        tags=["manual operations"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        operation = manual_operation_approve(
            actor=request.user, operation_id=pk, note=fields["note"], **terms_given(fields)
        )
        return Response(operation_output(operation.pk))


class ManualOperationDeclineApi(APIView):
    """R16: decline once with a structured internal reason (never shown to the customer).
    R33: the decide permission, as in the queue."""

    permission_classes = [ModelPermission]
    queryset = ManualOperation.objects.none()
    permission_verbs = {"POST": "decide"}

    @extend_schema_serializer(component_name="ManualOperationDecline")
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=DeclineReason.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)

    @extend_schema(
        request=InputSerializer, responses={200: ManualOperationOutput, **DECISION_ERRORS}, tags=["manual operations"]
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        operation = manual_operation_decline(actor=request.user, operation_id=pk, **data.validated_data)
        return Response(operation_output(operation.pk))
