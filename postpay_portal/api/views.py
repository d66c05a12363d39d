from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import SecondFactorRequired
from accounts.models import ApiToken
from accounts.second_factor import second_factor_match, second_factor_required
from accounts.tokens import DEFAULT_NAME, NAME_MAX_LENGTH, api_token_create, api_token_revoke_used

from .authentication import LoggedTokenAuthentication
from .schema import errors
from .throttling import TokenPerAddressThrottle, TokenPerUsernameThrottle


class TokenCreateApi(APIView):
    """``POST /api/v1/auth/token/``: a username and password (and ``otp`` for a login that needs
    a second factor, R45) for a new API token (R46).

    Wrong credentials (or a login locked out by django-axes) are 401 ``not_authenticated``; a
    decider without a valid ``otp`` is 401 ``otp_required`` and gets no token. Only token
    authentication is declared here, so that a 401 carries ``WWW-Authenticate`` and no CSRF
    check applies to this anonymous call. Its own throttles count requests per username asked
    for and per address (CONTRACT §4).
    """

    authentication_classes = [LoggedTokenAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [TokenPerUsernameThrottle, TokenPerAddressThrottle]

    @extend_schema_serializer(component_name="TokenCreate")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, trim_whitespace=False)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
        otp = serializers.CharField(
            max_length=64,
            required=False,
            allow_blank=True,
            help_text="The current code of the login's authenticator app, or one of its backup codes (R45).",
        )
        name = serializers.CharField(
            max_length=NAME_MAX_LENGTH,
            required=False,
            default=DEFAULT_NAME,
            help_text="Labels the token with its client; a second token of the same name never replaces the first.",
        )

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(
                        help_text="Shown only in this answer: `Authorization: Token <token>`."
                    ),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
            **errors(body=True, s401=["otp_required"]),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = authenticate(request=request, username=values["username"], password=values["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to log in with the provided credentials.")
        if second_factor_required(user) and second_factor_match(user=user, code=values.get("otp")) is None:
            raise SecondFactorRequired()
        token_row, raw = api_token_create(actor=user, user=user, name=values["name"])
        return Response({"token": raw, "expires_at": serializers.DateTimeField().to_representation(token_row.expiry)})


class TokenLogoutApi(APIView):
    """``POST /api/v1/auth/logout/``: revokes the token the request was sent with, and only that
    one (R46); a request without a token is 401 ``not_authenticated``."""

    authentication_classes = [LoggedTokenAuthentication]

    @extend_schema(operation_id="auth_logout", request=None, responses={204: None, **errors()}, tags=["auth"])
    def post(self, request):
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated()
        api_token_revoke_used(token=request.auth)
        return Response(status=204)
