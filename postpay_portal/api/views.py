from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .schema import errors


class TokenCreateApi(APIView):
    """``POST /api/v1/auth/token/``: a username and password for the user's API token.

    Wrong credentials (or a login locked out by django-axes) are 401 ``not_authenticated``.
    Only token authentication is declared here, so that a 401 carries ``WWW-Authenticate``
    and no CSRF check applies to this anonymous call.
    """

    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TokenCreate")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, trim_whitespace=False)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(
        operation_id="auth_token_create",
        request=InputSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()}), **errors(body=True)},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request=request, **data.validated_data)
        if user is None or not user.is_active:
            raise AuthenticationFailed("Unable to log in with the provided credentials.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
