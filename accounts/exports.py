"""The accounts list's CSV export (postpay_portal/admin_export.py). The permission, limit and
commitment columns are exported only while the list shows them, in mode Manually (R26, R43);
the commitment is the list's annotation (``accounts_with_commitment``)."""

from decimal import Decimal

from import_export.fields import Field

from postpay_portal.admin_export import ListExportResource, datetime_field, label_field


class AccountExportResource(ListExportResource):
    id = Field(attribute="pk")
    name = Field(attribute="name")
    email = Field(attribute="email")
    account_class = Field(attribute="account_class__name")
    manager = Field(attribute="manager__username")
    postpay_permission = label_field("postpay_permission")
    postpaid_limit_amount = Field(attribute="postpaid_limit")
    commitment = Field(attribute="postpaid_commitment")
    created_at = datetime_field("created_at")

    def dehydrate_commitment(self, account):
        """Two decimals on every database: SQLite returns a computed sum as it adds up ("200")."""
        value = getattr(account, "postpaid_commitment", None)
        return None if value is None else Decimal(value).quantize(Decimal("0.01"))
