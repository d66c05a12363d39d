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

from manual_operations.groups import can_decide
from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve_in_advance, manual_operation_ask_in_advance
from postpay_portal.api.fields import StrictBooleanField, UsernameField
from postpay_portal.api.filters import filter_parameters, validated_filters
from postpay_portal.api.pagination import ApiPagination
from postpay_portal.api.permissions import IsCustomer, ModelPermission
from postpay_portal.api.schema import errors
from postpay_portal.errors import PermissionDenied
from settings_app.selectors import postpay_settings_get
from subscriptions.selectors import account_commitment, accounts_with_commitment
from subscriptions.visibility import customer_credit

from .models import Account, PostpayPermission
from .selectors import account_get_for_user, account_list
from .services import (
    account_create,
    account_credit_terms_update,
    account_payment_hold_set,
    account_update,
    account_user_create,
)
from .visibility import customer_visible_status

CREATABLE_PERMISSIONS = [PostpayPermission.NONE, PostpayPermission.APPROVED]
CUSTOMER_VISIBLE_PERMISSIONS = [PostpayPermission.NONE, PostpayPermission.UNDER_REVIEW, PostpayPermission.APPROVED]


AMOUNT = {"max_digits": 12, "decimal_places": 2}


def _limit_input():
    return serializers.DecimalField(**AMOUNT, min_value=0, required=False, allow_null=True)


def _review_date_input():
    return serializers.DateField(required=False, allow_null=True)


def terms_given(fields):
    """The credit terms a request named (R37): left out is unchanged, ``null`` clears."""
    return {name: fields[name] for name in ("postpaid_limit", "credit_review_on") if name in fields}


class AccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    account_class = serializers.CharField(source="account_class.name", allow_null=True, default=None)
    manager = UsernameField()
    postpay_permission = serializers.ChoiceField(choices=PostpayPermission.choices)
    created_at = serializers.DateTimeField()
    postpaid_limit = serializers.DecimalField(**AMOUNT, allow_null=True)
    credit_review_on = serializers.DateField(allow_null=True)
    payment_hold = serializers.BooleanField()
    postpaid_commitment = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DecimalField(**AMOUNT))
    def get_postpaid_commitment(self, account):
        """R38, read by the list's query, or for one account by its own."""
        value = getattr(account, "postpaid_commitment", None)
        value = account_commitment(account.pk) if value is None else value
        return serializers.DecimalField(**AMOUNT).to_representation(value)


def account_output(request, account_id):
    """An account a service changed, re-read as a GET shows it."""
    return AccountOutput(account_get_for_user(user=request.user, account_id=account_id)).data


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
        postpaid_limit = _limit_input()
        credit_review_on = _review_date_input()

    def get_queryset(self):
        filters = validated_filters(AccountFilter, self)
        qs = accounts_with_commitment(account_list())
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
        responses={
            201: AccountOutput,
            **errors(body=True, s403=["permission_denied"], s409=["credit_terms_require_approval"]),
        },
        tags=["accounts"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        preapproved = fields["postpay_permission"] == PostpayPermission.APPROVED
        if preapproved and not can_decide(request.user):  # R44, before the service asks again
            raise PermissionDenied("Only a manager may create an account pre-approved for postpaid ordering.")
        account = account_create(
            actor=request.user,
            name=fields["name"],
            email=fields.get("email", ""),
            account_class=fields["account_class"],
            manager=fields["manager"],
            preapproved=preapproved,
            **terms_given(fields),
        )
        return Response(account_output(request, account.pk), status=201)


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
        return Response(account_output(request, pk))

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
        return Response(account_output(request, pk))


class AccountCreditTermsApi(APIView):
    """R37, R44: a manager changes an approved account's postpaid limit or review date, with a
    reason. The decide permission, as "Change credit terms" in the operator portal."""

    permission_classes = [ModelPermission]
    permission_model = ManualOperation
    permission_verbs = {"PATCH": "decide"}

    @extend_schema_serializer(component_name="AccountCreditTerms")
    class InputSerializer(serializers.Serializer):
        postpaid_limit = _limit_input()
        credit_review_on = _review_date_input()
        reason = serializers.CharField(max_length=10000)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AccountOutput,
            **errors(body=True, s403=["permission_denied"], s404=["not_found"], s409=["credit_terms_require_approval"]),
        },
        tags=["accounts"],
    )
    def patch(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        account_credit_terms_update(actor=request.user, account_id=pk, reason=fields["reason"], **terms_given(fields))
        return Response(account_output(request, pk))


class AccountPaymentHoldApi(APIView):
    """R37: staff who may change accounts set or clear the payment hold the reseller's billing
    system reports, on any account."""

    permission_classes = [ModelPermission]
    queryset = Account.objects.none()
    permission_verbs = {"POST": "change"}

    @extend_schema_serializer(component_name="AccountPaymentHold")
    class InputSerializer(serializers.Serializer):
        payment_hold = StrictBooleanField()
        reason = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={200: AccountOutput, **errors(body=True, s403=["permission_denied"], s404=["not_found"])},
        tags=["accounts"],
    )
    def post(self, request, pk):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_payment_hold_set(actor=request.user, account_id=pk, **data.validated_data)
        return Response(account_output(request, pk))


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
        postpaid_limit = serializers.SerializerMethodField()
        postpaid_commitment = serializers.SerializerMethodField()
        postpaid_available = serializers.SerializerMethodField()

        @extend_schema_field(serializers.ChoiceField(choices=CUSTOMER_VISIBLE_PERMISSIONS))
        def get_postpay_permission(self, account):
            return customer_visible_status(account)

        def _credit(self, account, name):
            """R42: the three credit fields only for an approved account in mode Manually."""
            credit = self.context["credit"]
            value = getattr(credit, name) if credit is not None else None
            return None if value is None else serializers.DecimalField(**AMOUNT).to_representation(value)

        @extend_schema_field(serializers.DecimalField(**AMOUNT, allow_null=True))
        def get_postpaid_limit(self, account):
            return self._credit(account, "limit")

        @extend_schema_field(serializers.DecimalField(**AMOUNT, allow_null=True))
        def get_postpaid_commitment(self, account):
            return self._credit(account, "commitment")

        @extend_schema_field(serializers.DecimalField(**AMOUNT, allow_null=True))
        def get_postpaid_available(self, account):
            return self._credit(account, "available")

    @classmethod
    def answer(cls, request):
        account = account_get_for_user(user=request.user, account_id=request.user.account_id)
        credit = customer_credit(account, postpay_settings_get())
        return cls.OutputSerializer(account, context={"credit": credit}).data

    @extend_schema(responses={200: OutputSerializer, **errors(s403=["permission_denied"])}, tags=["accounts"])
    def get(self, request):
        return Response(self.answer(request))


class AccountApproveInAdvanceApi(APIView):
    """R36b: a manager approves a ``none`` account before any order: one manual operation is
    created already approved (no order). R33: the decide permission, as in the queue."""

    permission_classes = [ModelPermission]
    permission_model = ManualOperation
    permission_verbs = {"POST": "decide"}

    @extend_schema_serializer(component_name="AccountApproveInAdvance")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
        postpaid_limit = _limit_input()
        credit_review_on = _review_date_input()

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
        fields = data.validated_data
        manual_operation_approve_in_advance(
            actor=request.user, account_id=pk, note=fields["note"], **terms_given(fields)
        )
        return Response(account_output(request, pk))


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
        return Response(MyAccountApi.answer(request), status=202)
