"""Row locks on manual operations (STYLE §2: the account first, then its operation)."""

from .models import ManualOperation


def manual_operation_qs_select_for_update():
    """Operations locked for a decision; only the operation's row when a query reads more."""
    return ManualOperation.objects.select_for_update(of=("self",))
