"""REST: the postpay settings (CONTRACT §4, SPEC R1–R4). Staff only."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from manual_operations.groups import can_decide
from postpay_portal.api.fields import StrictBooleanField
from postpay_portal.api.permissions import ModelPermission
from postpay_portal.api.schema import errors
from postpay_portal.errors import PermissionDenied

from .models import PermissionMode, PostpaySettings
from .selectors import postpay_settings_get
from .services import postpay_settings_update


class PostpaySettingsOutput(serializers.Serializer):
    postpaid_permission_mode = serializers.ChoiceField(choices=PermissionMode.choices)
    trial_requires_approval = serializers.BooleanField()


class PostpaySettingsApi(APIView):
    """R1–R4: read or change the settings; every change is audited by the service. R33: a
    change needs ``change_postpaysettings``, as the settings page; R44: a change of mode the
    decide permission too."""

    permission_classes = [ModelPermission]
    permission_model = PostpaySettings

    @extend_schema_serializer(component_name="PostpaySettingsUpdate")
    class InputSerializer(serializers.Serializer):
        postpaid_permission_mode = serializers.ChoiceField(choices=PermissionMode.choices, required=False)
        trial_requires_approval = StrictBooleanField(required=False)

    @extend_schema(responses={200: PostpaySettingsOutput, **errors(s403=["permission_denied"])}, tags=["settings"])
    def get(self, request):
        return Response(PostpaySettingsOutput(postpay_settings_get()).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: PostpaySettingsOutput, **errors(body=True, s403=["permission_denied"])},
        tags=["settings"],
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mode = data.validated_data.get("postpaid_permission_mode")
        changes_mode = mode is not None and mode != postpay_settings_get().postpaid_permission_mode
        if changes_mode and not can_decide(request.user):
            raise PermissionDenied("Only a manager may change the postpay mode.")  # R44, before the service
        row = postpay_settings_update(actor=request.user, **data.validated_data)
        return Response(PostpaySettingsOutput(row).data)
