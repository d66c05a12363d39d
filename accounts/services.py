import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from audit.models import AuditLogEntry, ObjectType
from audit.services import audit_record, audited_transition
from audit.unit_of_work import UnitOfWork, unit_of_work
from postpay_portal.errors import InvalidInput
from postpay_portal.guards import require_perm

from .lock_objects import locked_account
from .models import EMAIL_UNIQUE_CONSTRAINT, Account, AccountClass
from .selectors import accounts_with_email

ADD_ACCOUNT = "accounts.add_account"
CHANGE_ACCOUNT = "accounts.change_account"
STAFF_ONLY = "Only operators may manage accounts."


EMAIL_MAX_LENGTH = Account._meta.get_field("email").max_length  # 254, as RFC 5321 allows


def _clean_email(email):
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput.on("email", "Enter a valid e-mail address.")
        if len(email) > EMAIL_MAX_LENGTH:  # validate_email accepts up to 320
            raise InvalidInput.on("email", f"At most {EMAIL_MAX_LENGTH} characters.")
    return email


EMAIL_TAKEN = (
    "Another account already uses this billing e-mail address (compared without regard to case): "
    "an e-mail address identifies one account."
)
# Line and paragraph separators break a line as a newline does, without being in category Cc.
LINE_BREAKING_SEPARATORS = {"\u2028", "\u2029"}


def has_control_character(text):
    return any(ch in LINE_BREAKING_SEPARATORS or unicodedata.category(ch) == "Cc" for ch in text)


def _clean_name(name):
    """A one-line name: it goes into e-mail subjects, where a line break is refused for good
    (``BadHeaderError``), and into CSV files and admin pages."""
    if isinstance(name, str) and has_control_character(name):
        raise InvalidInput.on("name", "A name cannot contain line breaks, tabs or other control characters.")
    name = (name or "").strip() if isinstance(name, str) else name
    if not name or not isinstance(name, str):
        raise InvalidInput.on("name", "A name is required.")
    if len(name) > 200:
        raise InvalidInput.on("name", "At most 200 characters.")
    return name


def _ensure_email_free(email, *, account_id=None):
    """One account identity: a billing e-mail belongs to one account, whatever its case; an
    empty one never conflicts. The unique index ``EMAIL_UNIQUE_CONSTRAINT`` is the backstop
    when two requests check at once (``_email_conflict``)."""
    if email and accounts_with_email(email).exclude(pk=account_id).exists():
        raise InvalidInput.on("email", EMAIL_TAKEN)


def _email_conflict(error):
    """The refusal ``_ensure_email_free`` gives, when the index found the duplicate first."""
    if EMAIL_UNIQUE_CONSTRAINT in str(error):
        return InvalidInput.on("email", EMAIL_TAKEN)
    return error


def account_create(
    *,
    actor,
    name: str,
    email: str = "",
    account_class: str | None = None,
    manager: str | None = None,
    preapproved: bool = False,
    create_account_class: bool = True,
) -> Account:
    """R7, R8: a new account starts at ``none``, or ``approved`` when created pre-approved.

    ``account_class`` is a name; ``manager`` a staff username. An unknown class is created on
    first use, unless ``create_account_class`` is false (R36c: a CSV import refuses it, so a
    typo in a file never adds a class). A billing e-mail already used by another account, in
    any case, is refused (one account identity).
    """
    require_perm(actor, ADD_ACCOUNT, STAFF_ONLY)
    name = _clean_name(name)
    email = _clean_email(email)
    class_name = str(account_class).strip() if account_class else ""
    if len(class_name) > AccountClass._meta.get_field("name").max_length:
        raise InvalidInput.on("account_class", "At most 100 characters.")
    with transaction.atomic(), unit_of_work() as uow:
        klass = None
        if class_name and create_account_class:
            klass, _ = AccountClass.objects.get_or_create(name=class_name)
        elif class_name:
            klass = AccountClass.objects.filter(name=class_name).first()
            if klass is None:
                raise InvalidInput.on("account_class", _unknown_class(class_name))
        linked_manager = None
        if manager:
            linked_manager = get_user_model().objects.filter(username=manager, is_staff=True).first()
            if linked_manager is None:
                raise InvalidInput.on("manager", "No operator with this username.")
        _ensure_email_free(email)
        try:
            with transaction.atomic():
                account = Account.objects.create(name=name, email=email, account_class=klass, manager=linked_manager)
        except IntegrityError as error:
            raise _email_conflict(error)
        audit_record(
            uow=uow,
            object_type=ObjectType.ACCOUNT,
            object_id=account.pk,
            field="postpay_permission",
            old=None,
            new=account.postpay_permission,
            actor=actor,
            reason="account created",
        )
        if preapproved:
            audited_transition(
                account,
                "preapprove_postpay",
                uow=uow,
                object_type=ObjectType.ACCOUNT,
                field="postpay_permission",
                actor=actor,
                reason="created pre-approved",
            )
    return account


def account_update(*, actor, account_id: int, **changes) -> Account:
    """Name and e-mail only; the permission is never written here (R6, R7). An e-mail another
    account uses is refused, as at creation."""
    require_perm(actor, CHANGE_ACCOUNT, STAFF_ONLY)
    if "postpay_permission" in changes:
        from .errors import PostpayPermissionReadOnly

        raise PostpayPermissionReadOnly()
    unknown = set(changes) - {"name", "email"}
    if unknown:
        raise InvalidInput(fields={field: ["This field cannot be changed."] for field in sorted(unknown)})
    cleaned = {}
    if "name" in changes:
        cleaned["name"] = _clean_name(changes["name"])
    if "email" in changes:
        cleaned["email"] = _clean_email(changes["email"])
    with transaction.atomic():
        account = locked_account(account_id)
        if "email" in cleaned:
            _ensure_email_free(cleaned["email"], account_id=account.pk)
        for field, value in cleaned.items():
            setattr(account, field, value)
        if cleaned:
            try:
                with transaction.atomic():
                    account.save(update_fields=list(cleaned))
            except IntegrityError as error:
                raise _email_conflict(error)
    return account


def _unknown_class(name, shown=10):
    known = list(AccountClass.objects.order_by("name").values_list("name", flat=True)[: shown + 1])
    listed = ", ".join(known[:shown]) + (", …" if len(known) > shown else "")
    hint = f"use one of: {listed}" if known else "no class exists yet"
    return f'No account class "{name}": add it under Account classes first, or {hint}.'


def account_user_create(*, actor, account_id: int, username: str, password: str, email: str = ""):
    """A customer login of an account (R33: created only through this service), audited on
    the account (R29: field ``customer_login``, to the username)."""
    require_perm(actor, CHANGE_ACCOUNT, STAFF_ONLY)
    User = get_user_model()
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput.on("username", "A username is required.")
    if not isinstance(password, str) or not password:
        raise InvalidInput.on("password", "A password is required.")
    email = _clean_email(email)
    with transaction.atomic(), unit_of_work() as uow:
        account = locked_account(account_id)
        user = User(username=username.strip(), email=email, account=account)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise InvalidInput("The login is not valid.", fields=exc.message_dict)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput("The password is not valid.", fields={"password": exc.messages})
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise InvalidInput.on("username", "A user with that username already exists.")
        audit_record(
            uow=uow,
            object_type=ObjectType.ACCOUNT,
            object_id=account.pk,
            field="customer_login",
            old=None,
            new=_audited_text(user.get_username()),
            actor=actor,
            reason="customer login added",
        )
    return user


def _audited_text(text):
    """A value as the audit log's column holds it (a username may be longer)."""
    limit = AuditLogEntry._meta.get_field("to_value").max_length
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


# Transitions made inside other services' units of work (the caller holds the lock).


def _permission_transition(transition, *, uow: UnitOfWork, actor, account: Account, reason: str) -> None:
    audited_transition(
        account,
        transition,
        uow=uow,
        object_type=ObjectType.ACCOUNT,
        field="postpay_permission",
        actor=actor,
        reason=reason,
    )


def account_request_postpay_review(*, uow: UnitOfWork, actor, account: Account, reason: str) -> None:
    """R9, R36a: none → under_review."""
    _permission_transition("request_postpay_review", uow=uow, actor=actor, account=account, reason=reason)


def account_grant_postpay(*, uow: UnitOfWork, actor, account: Account, reason: str) -> None:
    """R15: under_review → approved."""
    _permission_transition("grant_postpay", uow=uow, actor=actor, account=account, reason=reason)


def account_approve_postpay_in_advance(*, uow: UnitOfWork, actor, account: Account, reason: str) -> None:
    """R36b: none → approved, the transition of an account created pre-approved (R7)."""
    _permission_transition("preapprove_postpay", uow=uow, actor=actor, account=account, reason=reason)


def account_refuse_postpay(*, uow: UnitOfWork, actor, account: Account, reason: str) -> None:
    """R16: under_review → declined."""
    _permission_transition("refuse_postpay", uow=uow, actor=actor, account=account, reason=reason)
