from django.db import transaction

from audit.models import ObjectType
from audit.services import audit_record
from postpay_portal.errors import InvalidInput, PermissionDenied

from .models import PermissionMode, PostpaySettings


def postpay_settings_update(*, actor, postpaid_permission_mode=None, trial_requires_approval=None, reason=""):
    """R1–R4: change the settings row; each changed field is audited (who, when, old → new).

    Changing the mode touches no account status and no held order (R4).
    """
    if actor is not None and not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only operators may change the postpay settings.")
    if postpaid_permission_mode is not None and postpaid_permission_mode not in PermissionMode.values:
        raise InvalidInput.on(
            "postpaid_permission_mode", f"Choose one of: {', '.join(PermissionMode.values)}."
        )
    if trial_requires_approval is not None and not isinstance(trial_requires_approval, bool):
        raise InvalidInput.on("trial_requires_approval", "Must be true or false.")
    with transaction.atomic():
        PostpaySettings.objects.get_or_create(pk=PostpaySettings.SINGLETON_PK)
        row = PostpaySettings.objects.select_for_update().get(pk=PostpaySettings.SINGLETON_PK)
        changes = {
            "postpaid_permission_mode": postpaid_permission_mode,
            "trial_requires_approval": trial_requires_approval,
        }
        changed = []
        for field, new in changes.items():
            old = getattr(row, field)
            if new is None or new == old:
                continue
            setattr(row, field, new)
            changed.append(field)
            audit_record(
                object_type=ObjectType.POSTPAY_SETTINGS,
                object_id=row.pk,
                field=field,
                old=_stored(old),
                new=_stored(new),
                actor=actor,
                reason=reason,
            )
        if changed:
            row.save(update_fields=[*changed, "updated_at"])
    return row


def _stored(value):
    return ("true" if value else "false") if isinstance(value, bool) else value
