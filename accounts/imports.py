"""R36c: accounts imported from CSV in the operator portal (django-import-export).

Columns: ``name``, ``email``, ``account_class``, ``manager`` (an operator's username) and
``postpay_permission`` (``none`` or ``approved``; empty is ``none``). Every row goes through
``account_create`` — validated, created and audited as an account created in the portal —
never a raw insert.

The natural key is the e-mail address, compared case-insensitively: a row whose e-mail is
already an account's is skipped, and never changes that account (R36: under-review,
declined and approved accounts are never changed by an import; a `none` account is approved
in advance with the accounts list's action, not by a file). So importing the same file twice
changes nothing the second time. A row with an error is reported with its line, and nothing
is imported until every row is valid (django-import-export's dry run, then the confirmed
import in one transaction).
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources

from postpay_portal.errors import DomainError

from .models import Account, PostpayPermission
from .services import account_create

IMPORTABLE_PERMISSIONS = (PostpayPermission.NONE, PostpayPermission.APPROVED)
COLUMNS = ("name", "email", "account_class", "manager", "postpay_permission")


class AccountImportResource(resources.ModelResource):
    # Shown in the preview from the row itself: the account is created by the service.
    name = fields.Field(column_name="name", attribute="name")
    email = fields.Field(column_name="email", attribute="email")
    account_class = fields.Field(column_name="account_class")
    manager = fields.Field(column_name="manager")
    postpay_permission = fields.Field(column_name="postpay_permission")

    class Meta:
        model = Account
        fields = COLUMNS
        import_id_fields = ("email",)
        use_bulk = False
        skip_diff = False

    def __init__(self, actor=None, **kwargs):
        super().__init__(**kwargs)
        self.actor = actor

    @staticmethod
    def _value(row, column):
        value = row.get(column)
        return "" if value is None else str(value).strip()

    def get_instance(self, instance_loader, row):
        """The natural key: an account with this e-mail address, whatever its case."""
        email = self._value(row, "email")
        return Account.objects.filter(email__iexact=email).order_by("pk").first() if email else None

    def import_instance(self, instance, row, **kwargs):
        instance._import_row = {column: self._value(row, column) for column in COLUMNS}
        super().import_instance(instance, row, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """An existing account is never changed by an import."""
        return instance.pk is not None

    def save_instance(self, instance, is_create, row, **kwargs):
        values = instance._import_row
        if not values["email"]:
            raise ValidationError({"email": "An e-mail address is required: it identifies the account."})
        permission = values["postpay_permission"] or PostpayPermission.NONE
        if permission not in IMPORTABLE_PERMISSIONS:
            raise ValidationError({"postpay_permission": "Use none or approved."})
        try:
            account = account_create(
                actor=self.actor,
                name=values["name"],
                email=values["email"],
                account_class=values["account_class"] or None,
                manager=values["manager"] or None,
                preapproved=permission == PostpayPermission.APPROVED,
            )
        except DomainError as error:
            raise ValidationError(error.fields or {"name": error.detail})
        instance.pk = account.pk

    def dehydrate_account_class(self, instance):
        return getattr(instance, "_import_row", {}).get("account_class", "")

    def dehydrate_manager(self, instance):
        return getattr(instance, "_import_row", {}).get("manager", "")

    def dehydrate_postpay_permission(self, instance):
        return getattr(instance, "_import_row", {}).get("postpay_permission", "") or PostpayPermission.NONE
