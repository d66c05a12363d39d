from django.db import transaction

from audit.models import ObjectType
from audit.services import audit_record_changes
from audit.unit_of_work import unit_of_work
from postpay_portal.errors import InvalidInput
from postpay_portal.guards import require_decide, require_perm

from .models import PermissionMode, PostpaySettings

CHANGE_SETTINGS = "settings_app.change_postpaysettings"


def postpay_settings_update(
    *,
    actor,
    postpaid_permission_mode: str | None = None,
    trial_requires_approval: bool | None = None,
    payment_instructions: str | None = None,
    reason: str = "",
) -> PostpaySettings:
    """R1–R4, R29: change the settings row; each changed field is audited (who, when, old →
    new) and the change is one event (R34). ``payment_instructions`` is the text customers
    read on an order that waits for payment (R21).

    Changing the mode touches no account status and no held order (R4), and needs the decide
    permission (R44: in mode Automatically every account orders postpaid); sending the current
    mode is no change.
    """
    require_perm(actor, CHANGE_SETTINGS, "Only operators may change the postpay settings.")
    if postpaid_permission_mode is not None and postpaid_permission_mode not in PermissionMode.values:
        raise InvalidInput.on("postpaid_permission_mode", f"Choose one of: {', '.join(PermissionMode.values)}.")
    if trial_requires_approval is not None and not isinstance(trial_requires_approval, bool):
        raise InvalidInput.on("trial_requires_approval", "Must be true or false.")
    if payment_instructions is not None:
        limit = PostpaySettings._meta.get_field("payment_instructions").max_length
        if isinstance(payment_instructions, str):
            payment_instructions = payment_instructions.replace("\r\n", "\n").strip()
        if not isinstance(payment_instructions, str) or len(payment_instructions) > limit:
            raise InvalidInput.on("payment_instructions", f"A text of at most {limit} characters is required.")
    with transaction.atomic(), unit_of_work() as uow:
        PostpaySettings.objects.get_or_create(pk=PostpaySettings.SINGLETON_PK)
        row = PostpaySettings.objects.select_for_update().get(pk=PostpaySettings.SINGLETON_PK)
        requested = {
            "postpaid_permission_mode": postpaid_permission_mode,
            "trial_requires_approval": trial_requires_approval,
            "payment_instructions": payment_instructions,
        }
        if postpaid_permission_mode is not None and postpaid_permission_mode != row.postpaid_permission_mode:
            require_decide(actor, "Only a manager may change the postpay mode.")
        changes = {}
        for field, new in requested.items():
            old = getattr(row, field)
            if new is None or new == old:
                continue
            setattr(row, field, new)
            changes[field] = (old, new)
        if changes:
            row.save(update_fields=[*changes, "updated_at"])
            # One audit entry per field, one event for the change (R34).
            audit_record_changes(
                uow=uow, object_type=ObjectType.POSTPAY_SETTINGS, obj=row, changes=changes, actor=actor, reason=reason
            )
    return row
