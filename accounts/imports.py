"""R36c: accounts imported from CSV in the operator portal (django-import-export).

Columns: ``name``, ``email``, ``account_class``, ``manager`` (an operator's username),
``postpay_permission`` (``none`` or ``approved``; empty is ``none``) and, optional, the credit
terms ``postpaid_limit`` (an amount, e.g. ``500.00``) and ``credit_review_on`` (a date,
``YYYY-MM-DD``), for ``approved`` rows only (R37). Every row goes through ``account_create`` —
validated, created and audited as an account created in the portal — never a raw insert; so
an ``approved`` row needs the decide permission (R44), and a refused row is a row error.

The natural key is the e-mail address, compared case-insensitively: a row whose e-mail is
already an account's is skipped, and never changes that account (R36: under-review,
declined and approved accounts are never changed by an import; a `none` account is approved
in advance with the accounts list's action, not by a file). So importing the same file twice
changes nothing the second time. A row with an error is reported with its line, and nothing
is imported until every row is valid (django-import-export's dry run, then the confirmed
import in one transaction, refused whole if a row became invalid meanwhile).

An account class or a manager the file names must exist already: an unknown one is a row
error, never a class created from a typo. The preview shows each column as the service wrote
it in the dry run (class, manager, permission), and the existing account of a skipped row.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources

from postpay_portal.errors import DomainError

from .models import Account, PostpayPermission
from .selectors import accounts_with_email
from .services import UNSET, account_create

IMPORTABLE_PERMISSIONS = (PostpayPermission.NONE, PostpayPermission.APPROVED)
TERM_COLUMNS = ("postpaid_limit", "credit_review_on")
COLUMNS = ("name", "email", "account_class", "manager", "postpay_permission", *TERM_COLUMNS)


class WrittenField(fields.Field):
    """A preview column read from the account as written: the one the service created for
    the row (in the dry run too, inside its rolled-back transaction), or the existing account
    a skipped row matched — never the row's own text shown as if it had been stored."""

    def __init__(self, column_name, read):
        super().__init__(column_name=column_name, readonly=True)
        self.read = read

    def export(self, instance, **kwargs):
        account = getattr(instance, "_written", None) or (instance if instance.pk else None)
        return "" if account is None else self.read(account)


class AccountImportResource(resources.ModelResource):
    name = WrittenField("name", lambda account: account.name)
    email = WrittenField("email", lambda account: account.email)
    account_class = WrittenField(
        "account_class", lambda account: account.account_class.name if account.account_class_id else ""
    )
    manager = WrittenField("manager", lambda account: account.manager.get_username() if account.manager_id else "")
    postpay_permission = WrittenField("postpay_permission", lambda account: account.postpay_permission)
    postpaid_limit = WrittenField(
        "postpaid_limit", lambda account: "" if account.postpaid_limit is None else str(account.postpaid_limit)
    )
    credit_review_on = WrittenField(
        "credit_review_on", lambda account: account.credit_review_on.isoformat() if account.credit_review_on else ""
    )

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
        """The natural key: the account with this e-mail address, whatever its case — the rule
        ``account_create`` enforces (one account identity)."""
        email = self._value(row, "email")
        return accounts_with_email(email).select_related("account_class", "manager").first() if email else None

    def import_instance(self, instance, row, **kwargs):
        """The row is kept for the service; nothing is copied onto the instance, so a skipped
        row's preview shows the existing account unchanged."""
        instance._import_row = {column: self._value(row, column) for column in COLUMNS}

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
        terms = {column: values[column] or UNSET for column in TERM_COLUMNS}
        try:
            account = account_create(
                actor=self.actor,
                name=values["name"],
                email=values["email"],
                account_class=values["account_class"] or None,
                manager=values["manager"] or None,
                preapproved=permission == PostpayPermission.APPROVED,
                create_account_class=False,
                **terms,
            )
        except DomainError as error:
            raise ValidationError(error.fields or {self._column_of(error, values): error.detail})
        instance.pk = account.pk
        instance._written = account

    @staticmethod
    def _column_of(error, values):
        """The column a refusal without fields is about: the permission for one that needs the
        decide permission (R44), the term given for ``credit_terms_require_approval`` (R37)."""
        if error.code == "permission_denied":
            return "postpay_permission"
        if error.code == "credit_terms_require_approval":
            return next((column for column in TERM_COLUMNS if values[column]), "postpay_permission")
        return "name"
