from events.services import event_record_change

from .models import AuditLogEntry, ObjectType


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


def _entry(*, object_type, object_id, field, old, new, actor, reason):
    return AuditLogEntry.objects.create(
        object_type=ObjectType(object_type),
        object_id=object_id,
        field=field,
        from_value=_stored(old),
        to_value=_stored(new),
        actor=_as_actor(actor),
        reason=reason or "",
    )


def audit_record(*, object_type, object_id, field, old, new, actor=None, reason="", obj=None):
    """R29: append one change. Called by services inside their transaction, so the entry
    exists exactly when the change it describes does.

    R34: the change's event, if the contract publishes one, is appended beside it; pass the
    changed ``obj`` when you have it, else the event reads it again.
    """
    entry = _entry(object_type=object_type, object_id=object_id, field=field, old=old, new=new, actor=actor,
                   reason=reason)
    event_record_change(object_type=object_type, object_id=object_id, obj=obj, changes={field: (old, new)},
                        created=old is None)
    return entry


def audit_record_changes(*, object_type, obj, changes, actor=None, reason=""):
    """R29, R34: several fields of one object changed at once (``{field: (old, new)}``): one
    audit entry per field and one event for the change."""
    entries = [
        _entry(object_type=object_type, object_id=obj.pk, field=field, old=old, new=new, actor=actor, reason=reason)
        for field, (old, new) in changes.items()
    ]
    event_record_change(object_type=object_type, object_id=obj.pk, obj=obj, changes=changes)
    return entries


def audited_transition(obj, transition, *, object_type, field, actor=None, reason="", **kwargs):
    """Run one fsm transition method of ``obj``, save it and log old → new (R29) with its
    event (R34).

    The caller holds the row lock; ``ConcurrentTransitionMixin`` also refuses the save if
    the status changed underneath.
    """
    old = getattr(obj, field)
    result = getattr(obj, transition)(**kwargs)
    obj.save()
    audit_record(
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


def publish_change(*, object_type, obj, created):
    """R34: the event of a change that has no audit entry of its own — a subscription
    created, renewed or switched by provisioning — in the caller's transaction."""
    return event_record_change(object_type=object_type, object_id=obj.pk, obj=obj, created=created)
