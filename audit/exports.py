"""The audit log's CSV export (R29; postpay_portal/admin_export.py). A status's stored value
is written as its operator label (R6, R14, R20); other values as stored."""

from import_export.fields import Field

from accounts.models import PostpayPermission
from manual_operations.models import OperationStatus
from postpay_portal.admin_export import ListExportResource, datetime_field, label_field
from settings_app.models import PermissionMode
from subscriptions.models import OrderStatus

from .models import ObjectType

LABELS = {
    (ObjectType.ACCOUNT, "postpay_permission"): dict(PostpayPermission.choices),
    (ObjectType.ORDER, "status"): dict(OrderStatus.choices),
    (ObjectType.MANUAL_OPERATION, "status"): dict(OperationStatus.choices),
    (ObjectType.POSTPAY_SETTINGS, "postpaid_permission_mode"): dict(PermissionMode.choices),
}


def value_label(entry, value):
    if value is None:
        return ""
    return LABELS.get((entry.object_type, entry.field), {}).get(value, value)


class AuditLogExportResource(ListExportResource):
    at = datetime_field("at")
    object_type = label_field("object_type")
    object_id = Field(attribute="object_id")
    field = Field(attribute="field")
    from_value = Field()
    to_value = Field()
    actor_label = Field(attribute="actor_label")
    reason = Field(attribute="reason")

    # The list's columns (audit/admin.py): the object as a label, values and decline reasons
    # as the portal names them.
    object_label = Field()
    from_label = Field()
    to_label = Field()
    reason_label = Field()

    def dehydrate_object_label(self, entry):
        from .admin import object_label

        return object_label(entry)

    def dehydrate_from_label(self, entry):
        return value_label(entry, entry.from_value)

    def dehydrate_to_label(self, entry):
        return value_label(entry, entry.to_value)

    def dehydrate_reason_label(self, entry):
        from .admin import reason_text

        return reason_text(entry)

    def dehydrate_from_value(self, entry):
        return value_label(entry, entry.from_value)

    def dehydrate_to_value(self, entry):
        return value_label(entry, entry.to_value)
