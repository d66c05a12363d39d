from django.db.models import Value
from django.db.models.functions import Lower

from .models import Account


def account_list():
    return Account.objects.select_related("account_class", "manager")


def accounts_with_email(email):
    """The accounts whose billing e-mail is ``email`` whatever its case — the rule of the unique
    index ``account_email_unique_ci``, whose expression and condition this query repeats so
    that it reads that index."""
    return (
        Account.objects.exclude(email="").annotate(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))
    )


def account_get_for_user(*, user, account_id):
    """An account the user may see: staff see all, a customer only their own (R31: else 404)."""
    from postpay_portal.errors import NotFound

    qs = account_list()
    if not getattr(user, "is_staff", False):
        if getattr(user, "account_id", None) != account_id:
            raise NotFound("No such account.")
    try:
        return qs.get(pk=account_id)
    except (Account.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such account.")


def api_token_list(*, user=None):
    """R46: live API tokens, newest first: one login's, or everyone's (a superuser's list)."""
    from django.utils import timezone

    from .models import ApiToken

    tokens = ApiToken.objects.select_related("user").filter(expiry__gt=timezone.now())
    return tokens if user is None else tokens.filter(user=user)
