from .models import AuditLogEntry, ObjectType


def _as_actor(actor):
    """The system (worker, sweep) is recorded as no user; anonymous is never an actor."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor


def audit_record(*, object_type, object_id, field, old, new, actor=None, reason=""):
    """R29: append one change. Called by services inside their transaction, so the entry
    exists exactly when the change it describes does."""
    return AuditLogEntry.objects.create(
        object_type=ObjectType(object_type),
        object_id=object_id,
        field=field,
        from_value=None if old is None else str(old),
        to_value=None if new is None else str(new),
        actor=_as_actor(actor),
        reason=reason or "",
    )


def audited_transition(obj, transition, *, object_type, field, actor=None, reason="", **kwargs):
    """Run one fsm transition method of ``obj``, save it and log old → new (R29).

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
    )
    return result
