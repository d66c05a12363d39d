from django.db.models import Exists, OuterRef

from .models import Account, PostpayPermission


def account_list():
    return Account.objects.select_related("account_class", "manager")


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


def accounts_to_approve_before_manual(queryset=None):
    """R36b: accounts not reviewed (``none``) that already have a subscription on a postpaid
    plan — R9 would hold each one's next renewal once the mode is Manually."""
    from subscriptions.models import BillingModel, Subscription

    postpaid = Subscription.objects.filter(account=OuterRef("pk"), plan__billing_model=BillingModel.POSTPAY)
    queryset = Account.objects.all() if queryset is None else queryset
    return queryset.filter(Exists(postpaid), postpay_permission=PostpayPermission.NONE)


def api_token_list(*, user=None):
    """R46: live API tokens, newest first: one login's, or everyone's (a superuser's list)."""
    from django.utils import timezone

    from .models import ApiToken

    tokens = ApiToken.objects.select_related("user").filter(expiry__gt=timezone.now())
    return tokens if user is None else tokens.filter(user=user)
