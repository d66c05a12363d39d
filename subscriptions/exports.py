"""The orders list's CSV export (R20's statuses and both users; postpay_portal/admin_export.py)."""

from import_export.fields import Field

from postpay_portal.admin_export import ListExportResource, datetime_field, label_field


class OrderExportResource(ListExportResource):
    id = Field(attribute="pk")
    type = label_field("type")
    account = Field(attribute="account__name")
    plan = Field(attribute="plan__name")
    period = label_field("period")
    price_with_currency = Field(attribute="price")  # the amount alone: a spreadsheet sums it
    status = label_field("status")
    failure_reason_short = Field(attribute="failure_reason")  # the whole reason, not the list's cut
    created_by = Field(attribute="created_by__username")
    approved_by = Field(attribute="approved_by__username")
    attempt_count = Field(attribute="attempts_total")
    created_at = datetime_field("created_at")
