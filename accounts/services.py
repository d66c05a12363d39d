import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from audit.models import AuditLogEntry, ObjectType
from audit.services import audit_record, audit_record_changes, audited_transition
from audit.unit_of_work import UnitOfWork, unit_of_work
from postpay_portal.errors import InvalidInput
from postpay_portal.guards import require_decide, require_perm

from .errors import CreditTermsRequireApproval
from .lock_objects import locked_account
from .models import EMAIL_UNIQUE_CONSTRAINT, Account, AccountClass, PostpayPermission, User
from .selectors import accounts_with_email


class Unset:
    """A term left out of a request: unchanged (``None`` clears it)."""

    def __repr__(self):
        return "UNSET"


UNSET = Unset()
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


def has_control_character(text: str) -> bool:
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
    postpaid_limit: Decimal | int | str | None | Unset = UNSET,
    credit_review_on: date | str | None | Unset = UNSET,
) -> Account:
    """R7, R8: a new account starts at ``none``, or ``approved`` when created pre-approved —
    which grants postpaid credit and needs the decide permission (R44), and may carry credit
    terms (R37; without it they are ``credit_terms_require_approval``).

    ``account_class`` is a name; ``manager`` a staff username. An unknown class is created on
    first use, unless ``create_account_class`` is false (R36c: a CSV import refuses it, so a
    typo in a file never adds a class). A billing e-mail already used by another account, in
    any case, is refused (one account identity).
    """
    require_perm(actor, ADD_ACCOUNT, STAFF_ONLY)
    if preapproved:
        require_decide(actor, "Only a manager may create an account pre-approved for postpaid ordering.")
    elif postpaid_limit is not UNSET or credit_review_on is not UNSET:
        raise CreditTermsRequireApproval()
    terms = clean_terms(postpaid_limit=postpaid_limit, credit_review_on=credit_review_on)
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
            account_terms_apply(
                uow=uow, actor=actor, account=account, reason="created pre-approved", created=True, **terms
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


def account_user_create(*, actor, account_id: int, username: str, password: str, email: str = "") -> User:
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


# --- R37: credit terms ----------------------------------------------------------------------

CREDIT_FIELDS = ("postpaid_limit", "credit_review_on", "payment_hold")
LIMIT_MAX = Decimal("9999999999.99")  # the column's 12 digits, two of them cents


def _clean_limit(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InvalidInput.on("postpaid_limit", "An amount of at least 0 with at most two decimals is required.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput.on("postpaid_limit", "An amount of at least 0 with at most two decimals is required.")
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount > LIMIT_MAX:
        raise InvalidInput.on("postpaid_limit", "An amount of at least 0 with at most two decimals is required.")
    return amount.quantize(Decimal("0.01"))


def _clean_review_date(value):
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _not_a_date()
    except ValueError:
        return _not_a_date()


def _not_a_date():
    raise InvalidInput.on("credit_review_on", "A date (YYYY-MM-DD) is required.")


def clean_terms(
    *,
    postpaid_limit: Decimal | int | str | None | Unset = UNSET,
    credit_review_on: date | str | None | Unset = UNSET,
) -> dict:
    """The terms given, cleaned; a term left out stays out (unchanged)."""
    terms = {}
    if postpaid_limit is not UNSET:
        terms["postpaid_limit"] = _clean_limit(postpaid_limit)
    if credit_review_on is not UNSET:
        terms["credit_review_on"] = _clean_review_date(credit_review_on)
    return terms


def account_terms_apply(
    *, uow: UnitOfWork, actor, account: Account, reason: str, created: bool = False, **terms
) -> dict:
    """R37 inside another service's unit of work, on a locked account: set the terms given
    (``postpaid_limit``, ``credit_review_on``, ``payment_hold``; cleaned), each changed field
    audited (R29) and the change one ``account.credit_terms_changed`` event (R34) — its ``from``
    all null when the account is being ``created``. A limit or a review date needs an approved
    account. Returns the changes ``{field: (old, new)}``."""
    if any(field in terms for field in ("postpaid_limit", "credit_review_on")):
        if account.postpay_permission != PostpayPermission.APPROVED:
            raise CreditTermsRequireApproval()
    changes = {
        field: (None if created else getattr(account, field), value)
        for field, value in terms.items()
        if created or getattr(account, field) != value
    }
    if created:
        changes = {field: change for field, change in changes.items() if change[1] not in (None, False)}
    if not changes:
        return {}
    for field, (_, new) in changes.items():
        setattr(account, field, new)
    account.save(update_fields=list(changes))
    audit_record_changes(
        uow=uow,
        object_type=ObjectType.ACCOUNT,
        obj=account,
        changes=changes,
        actor=actor,
        reason=reason,
        created=created,
    )
    return changes


def _reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput.on("reason", "A reason is required.")
    return reason.strip()


def account_credit_terms_update(
    *,
    actor,
    account_id: int,
    postpaid_limit: Decimal | int | str | None | Unset = UNSET,
    credit_review_on: date | str | None | Unset = UNSET,
    reason: str,
) -> Account:
    """R37, R44: a manager changes an approved account's limit or review date ("Change credit
    terms"), with a reason. A date in the past is accepted: the next order that raises the
    commitment is then due for a review."""
    require_decide(actor, "Only a manager may change credit terms.")
    terms = clean_terms(postpaid_limit=postpaid_limit, credit_review_on=credit_review_on)
    reason = _reason(reason)
    with transaction.atomic(), unit_of_work() as uow:
        account = locked_account(account_id)
        if account.postpay_permission != PostpayPermission.APPROVED:
            raise CreditTermsRequireApproval()
        account_terms_apply(uow=uow, actor=actor, account=account, reason=reason, **terms)
    return account


def account_payment_hold_set(*, actor, account_id: int, payment_hold: bool, reason: str = "") -> Account:
    """R37: the payment hold is a fact reported by the reseller's billing system: staff who may
    change accounts set or clear it, on any account; audited and evented."""
    require_perm(actor, CHANGE_ACCOUNT, STAFF_ONLY)
    if not isinstance(payment_hold, bool):
        raise InvalidInput.on("payment_hold", "Must be true or false.")
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    with transaction.atomic(), unit_of_work() as uow:
        account = locked_account(account_id)
        account_terms_apply(
            uow=uow,
            actor=actor,
            account=account,
            reason=reason or ("payment hold set" if payment_hold else "payment hold cleared"),
            payment_hold=payment_hold,
        )
    return account
