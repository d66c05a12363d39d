"""Serializer fields shared by the apps' ``apis.py`` (CONTRACT §4 shapes)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from postpay_portal.ids import MAX_ID, is_id


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdField(serializers.Field):
    """A reference in a request body: only a JSON integer (``1.5``, ``"1"``, ``true`` are
    400 ``invalid``, CONTRACT §4). Whether the object exists is the service's question."""

    default_error_messages = {"invalid": "A valid integer id is required."}

    def to_internal_value(self, data):
        if not is_id(data):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """Only JSON ``true``/``false``; DRF's BooleanField would also take ``"yes"`` or ``1``."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return bool(value)


@extend_schema_field({"type": "string", "nullable": True})
class UsernameField(serializers.Field):
    """A reference to a user in a response: the username, or ``null`` (CONTRACT §4)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        try:
            return super().get_attribute(instance)
        except AttributeError:
            return None

    def to_representation(self, user):
        return user.get_username() if user is not None else None
