"""The queue's CSV export (R17's columns; postpay_portal/admin_export.py)."""

from import_export.fields import Field

from postpay_portal.admin_export import ListExportResource, datetime_field, label_field

from .presenters import age_of, format_age


class ManualOperationExportResource(ListExportResource):
    id = Field(attribute="pk")
    description = Field(attribute="description")
    operation = label_field("operation")
    account = Field(attribute="account__name")
    manager = Field(attribute="account__manager__username")
    account_class = Field(attribute="account__account_class__name")
    status = label_field("status")
    created_at = datetime_field("created_at")
    age = Field()

    def dehydrate_age(self, operation):
        """R17: how long it waited, as the list says it."""
        return format_age(age_of(operation))
