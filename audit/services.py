"""R29, R34: every audited change appends its log entries and its event to the unit of work
of the business action that made it (``audit.unit_of_work``), inside that action's
transaction: the entry and the event exist exactly when the change does."""

from typing import Any

from django.db.models import Model

from events.models import Event
from events.outbox import event_record_change

from .models import AuditLogEntry, ObjectType
from .unit_of_work import UnitOfWork


def _as_actor(actor):
    """The system (worker, sweep) is recorded as no user; anonymous is never an actor."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def _stored(value):
    """Stored values, as the API shows them: ``true``/``false`` for a flag."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _entry(uow, *, object_type, object_id, field, old, new, actor, reason):
    entry = AuditLogEntry(
        object_type=ObjectType(object_type),
        object_id=object_id,
        field=field,
        from_value=_stored(old),
        to_value=_stored(new),
        actor=_as_actor(actor),
        reason=reason or "",
    )
    uow.audit_entries.append(entry)
    return entry


def audit_record(
    *,
    uow: UnitOfWork,
    object_type: str,
    object_id: int,
    field: str,
    old: Any,
    new: Any,
    actor=None,
    reason: str = "",
    obj: Model | None = None,
) -> AuditLogEntry:
    """R29: one change of one field; R34: its event, if the contract publishes one (pass the
    changed ``obj`` when you have it, else the event reads it again)."""
    entry = _entry(
        uow, object_type=object_type, object_id=object_id, field=field, old=old, new=new, actor=actor, reason=reason
    )
    event_record_change(
        uow=uow,
        object_type=object_type,
        object_id=object_id,
        obj=obj,
        changes={field: (old, new)},
        created=old is None,
    )
    return entry


def audit_record_changes(
    *,
    uow: UnitOfWork,
    object_type: str,
    obj: Model,
    changes: dict,
    actor=None,
    reason: str = "",
    created: bool = False,
) -> list[AuditLogEntry]:
    """R29, R34: several fields of one object changed at once (``{field: (old, new)}``): one
    audit entry per field and one event for the change (``created``: set as the object is
    created, so the event says nothing was before)."""
    entries = [
        _entry(
            uow, object_type=object_type, object_id=obj.pk, field=field, old=old, new=new, actor=actor, reason=reason
        )
        for field, (old, new) in changes.items()
    ]
    event_record_change(uow=uow, object_type=object_type, object_id=obj.pk, obj=obj, changes=changes, created=created)
    return entries


def audited_transition(
    obj: Model,
    transition: str,
    *,
    uow: UnitOfWork,
    object_type: str,
    field: str,
    actor=None,
    reason: str = "",
    **kwargs,
) -> Any:
    """Run one fsm transition method of ``obj``, save it, and log old → new (R29) with its
    event (R34).

    The caller holds the row lock; ``ConcurrentTransitionMixin`` also refuses the save if
    the status changed underneath.
    """
    old = getattr(obj, field)
    result = getattr(obj, transition)(**kwargs)
    obj.save()
    audit_record(
        uow=uow,
        object_type=object_type,
        object_id=obj.pk,
        field=field,
        old=old,
        new=getattr(obj, field),
        actor=actor,
        reason=reason,
        obj=obj,
    )
    return result


def publish_change(*, uow: UnitOfWork, object_type: str, obj: Model, created: bool) -> Event | None:
    """R34: the event of a change that has no audit entry of its own — a subscription
    created, renewed or switched by provisioning."""
    return event_record_change(uow=uow, object_type=object_type, object_id=obj.pk, obj=obj, created=created)
