from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from audit.models import ObjectType
from audit.services import audit_record, audited_transition
from audit.unit_of_work import UnitOfWork, unit_of_work
from postpay_portal.errors import InvalidInput
from postpay_portal.guards import require_perm

from .lock_objects import locked_account
from .models import Account, AccountClass

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


def _clean_name(name):
    name = (name or "").strip() if isinstance(name, str) else name
    if not name or not isinstance(name, str):
        raise InvalidInput.on("name", "A name is required.")
    if len(name) > 200:
        raise InvalidInput.on("name", "At most 200 characters.")
    return name


def account_create(
    *,
    actor,
    name: str,
    email: str = "",
    account_class: str | None = None,
    manager: str | None = None,
    preapproved: bool = False,
) -> Account:
    """R7, R8: a new account starts at ``none``, or ``approved`` when created pre-approved.

    ``account_class`` is a name (created on first use); ``manager`` a staff username.
    """
    require_perm(actor, ADD_ACCOUNT, STAFF_ONLY)
    name = _clean_name(name)
    email = _clean_email(email)
    class_name = str(account_class).strip() if account_class else ""
    if len(class_name) > AccountClass._meta.get_field("name").max_length:
        raise InvalidInput.on("account_class", "At most 100 characters.")
    with transaction.atomic(), unit_of_work() as uow:
        klass = None
        if class_name:
            klass, _ = AccountClass.objects.get_or_create(name=class_name)
        linked_manager = None
        if manager:
            linked_manager = get_user_model().objects.filter(username=manager, is_staff=True).first()
            if linked_manager is None:
                raise InvalidInput.on("manager", "No operator with this username.")
        account = Account.objects.create(name=name, email=email, account_class=klass, manager=linked_manager)
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
    """Name and e-mail only; the permission is never written here (R6, R7)."""
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
        for field, value in cleaned.items():
            setattr(account, field, value)
        if cleaned:
            account.save(update_fields=list(cleaned))
    return account


def account_user_create(*, actor, account_id: int, username: str, password: str, email: str = ""):
    """A customer login of an account (R33: created only through this service)."""
    require_perm(actor, CHANGE_ACCOUNT, STAFF_ONLY)
    User = get_user_model()
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput.on("username", "A username is required.")
    if not isinstance(password, str) or not password:
        raise InvalidInput.on("password", "A password is required.")
    email = _clean_email(email)
    with transaction.atomic():
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
    return user


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
