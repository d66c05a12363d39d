from .models import ManualOperation


def manual_operation_list(*, status=None, account_id=None):
    qs = ManualOperation.objects.select_related(
        "account", "account__manager", "account__account_class", "order", "order__plan", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def latest_operation_for_account(account_id):
    return manual_operation_list(account_id=account_id).order_by("-created_at", "-id").first()
