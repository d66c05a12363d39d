"""REST: accounts, their customer logins, and a customer's own account (CONTRACT §4).

Operators see the true permission status (R28); a customer's own account reads ``declined``
as ``under_review`` through ``accounts.visibility`` (R6).
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve_in_advance, manual_operation_ask_in_advance
from postpay_portal.api.fields import UsernameField
from postpay_portal.api.filters import filter_parameters, validated_filters
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import IsCustomer, ModelPermission
from postpay_portal.api.schema import errors

from .models import Account, PostpayPermission
from .selectors import account_get_for_user, account_list
from .services import account_create, account_update, account_user_create
from .visibility import customer_visible_status

CREATABLE_PERMISSIONS = [PostpayPermission.NONE, PostpayPermission.APPROVED]
CUSTOMER_VISIBLE_PERMISSIONS = [PostpayPermission.NONE, PostpayPermission.UNDER_REVIEW, PostpayPermission.APPROVED]


class AccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    account_class = serializers.CharField(source="account_class.name", allow_null=True, default=None)
    manager = UsernameField()
    postpay_permission = serializers.ChoiceField(choices=PostpayPermission.choices)
    created_at = serializers.DateTimeField()


class AccountFilter(django_filters.FilterSet):
    postpay_permission = django_filters.ChoiceFilter(choices=PostpayPermission.choices)


class AccountListApi(ListAPIView):
    """Staff: list accounts (``?postpay_permission=``) and create one (R7, R8; R33: creating
    needs ``add_account``, as in the operator portal)."""

    permission_classes = [ModelPermission]
    queryset = Account.objects.none()  # the schema's model; rows come from get_queryset
    serializer_class = AccountOutput
    pagination_class = ApiPagination

    @extend_schema_serializer(component_name="AccountCreate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
        account_class = serializers.CharField(max_length=100, required=False, allow_null=True, default=None)
        manager = serializers.CharField(max_length=150, required=False, allow_null=True, default=None)
        postpay_permission = serializers.ChoiceField(
            choices=CREATABLE_PERMISSIONS, required=False, default=PostpayPermission.NONE
        )

    def get_queryset(self):
        filters = validated_filters(AccountFilter, self)
        qs = account_list()
        if "postpay_permission" in filters:
            qs = qs.filter(postpay_permission=filters["postpay_permission"])
        return qs

    @extend_schema(
        parameters=filter_parameters(AccountFilter),
        responses={
            200: AccountOutput(many=True),
            **errors(s400=["invalid"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["accounts"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: AccountOutput, **errors(body=True, s403=["permission_denied"])},
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        account = account_create(
            actor=request.user,
            name=fields["name"],
            email=fields.get("email", ""),
            account_class=fields["account_class"],
            manager=fields["manager"],
            preapproved=fields["postpay_permission"] == PostpayPermission.APPROVED,
        )
        return Response(AccountOutput(account_list().get(pk=account.pk)).data, status=201)


class AccountDetailApi(APIView):
    """Staff: read an account, or change its name and e-mail. The permission is never
    written here: ``postpay_permission`` in the body is 400 ``postpay_permission_read_only``
    (R6, R7), decided by ``account_update``. R33: a change needs ``change_account``."""

    permission_classes = [ModelPermission]
    queryset = Account.objects.none()

    @extend_schema_serializer(component_name="AccountUpdate")
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True)

    @extend_schema(
        responses={200: AccountOutput, **errors(s403=["permission_denied"], s404=["not_found"])}, tags=["accounts"]
    )
    def get(self, request, pk):
        return Response(AccountOutput(account_get_for_user(user=request.user, account_id=pk)).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AccountOutput,
            **errors(body=True, s400=["postpay_permission_read_only"], s403=["permission_denied"], s404=["not_found"]),
        },
        tags=["accounts"],
    )
    def patch(self, request, pk):
        if isinstance(request.data, dict) and "postpay_permission" in request.data:
            # Handed to the service as it came, whatever the rest of the body: it refuses.
            changes = {"postpay_permission": request.data["postpay_permission"]}
        else:
            data = self.InputSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            changes = data.validated_data
        account_update(actor=request.user, account_id=pk, **changes)
        return Response(AccountOutput(account_get_for_user(user=request.user, account_id=pk)).data)


class AccountUserCreateApi(APIView):
    """Staff: a customer login of the account. R33: ``change_account``, the permission the
    account page's "Add a customer login" asks."""

    permission_classes = [ModelPermission]
    queryset = Account.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema_serializer(component_name="AccountUserCreate")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
        email = serializers.EmailField(max_length=254, required=False, allow_blank=True)

    @extend_schema_serializer(component_name="AccountUser")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        account = serializers.IntegerField(source="account_id")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, **errors(body=True, s403=["permission_denied"], s404=["not_found"])},
        tags=["accounts"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = account_user_create(actor=request.user, account_id=pk, **data.validated_data)
        return Response(self.OutputSerializer(user).data, status=201)


class MyAccountApi(APIView):
    """A customer's own account; ``declined`` reads ``under_review`` (R6, R28)."""

    permission_classes = [IsCustomer]

    @extend_schema_serializer(component_name="MyAccount")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        postpay_permission = serializers.SerializerMethodField()

        @extend_schema_field(serializers.ChoiceField(choices=CUSTOMER_VISIBLE_PERMISSIONS))
        def get_postpay_permission(self, account):
            return customer_visible_status(account)

    @extend_schema(responses={200: OutputSerializer, **errors(s403=["permission_denied"])}, tags=["accounts"])
    def get(self, request):
        account = account_get_for_user(user=request.user, account_id=request.user.account_id)
        return Response(self.OutputSerializer(account).data)


class AccountApproveInAdvanceApi(APIView):
    """R36b: a manager approves a ``none`` account before any order: one manual operation is
    created already approved (no order). R33: the decide permission, as in the queue."""

    permission_classes = [ModelPermission]
    permission_model = ManualOperation
    permission_verbs = {"POST": "decide"}

    @extend_schema_serializer(component_name="AccountApproveInAdvance")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AccountOutput,
            **errors(
                body=True,
                s403=["permission_denied"],
                s404=["not_found"],
                s409=["postpay_under_review", "postpay_declined", "postpay_review_not_needed"],
            ),
        },
        tags=["accounts"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        manual_operation_approve_in_advance(actor=request.user, account_id=pk, note=data.validated_data["note"])
        return Response(AccountOutput(account_get_for_user(user=request.user, account_id=pk)).data)


class MyAccountPostpayReviewApi(APIView):
    """R36a: a customer asks for postpaid ordering before any order; the account reads
    ``under_review`` from now on, a decline included (R6, R32)."""

    permission_classes = [IsCustomer]

    @extend_schema(
        request=None,
        responses={
            202: MyAccountApi.OutputSerializer,
            **errors(s403=["permission_denied"], s409=["postpay_under_review", "postpay_review_not_needed"]),
        },
        tags=["accounts"],
    )
    def post(self, request):
        manual_operation_ask_in_advance(actor=request.user, account_id=request.user.account_id)
        account = account_get_for_user(user=request.user, account_id=request.user.account_id)
        return Response(MyAccountApi.OutputSerializer(account).data, status=202)
