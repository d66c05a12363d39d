from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from events.services import event_record_change, events_write
from postpay_portal.bulk_sql import bulk_insert, bulk_update

from .models import AuditLogEntry, ObjectType

# The batch the changes of this context are written with, if any (``change_batch``).
_batch = ContextVar("postpay_change_batch", default=None)


class ChangeBatch:
    """The writes of many changes made in one transaction, kept and written in bulk.

    Bulk actions (R18, R36b) change hundreds of objects the same way: written one by one,
    each change costs an UPDATE, its audit entry and its event, thirteen statements an
    approval. Inside ``change_batch()`` the same services run unchanged, but
    ``audited_transition`` records which fields the transition changed instead of saving,
    and audit entries and events are kept; ``flush`` then writes one UPDATE per model and
    set of fields, and one INSERT each for the entries, the events and their deliveries.

    The caller holds the row locks of every object it changes (as for a single change), so
    the guard of ``ConcurrentTransitionMixin`` (the status unchanged underneath) holds by
    the lock; nothing reads the log back before the transaction ends.
    """

    def __init__(self):
        self.saves = {}  # (model, pk) → (obj, changed attnames)
        self.entries = []
        self.events = []
        self.after_commit = {}  # func → the items it is called with once committed

    def save(self, obj, fields):
        key = (type(obj), obj.pk)
        known = self.saves.get(key)
        self.saves[key] = (obj, (known[1] if known else set()) | set(fields))

    def mark(self):
        """Where the batch stands: ``rollback(mark)`` forgets what came after (a refusal)."""
        return (
            len(self.entries),
            len(self.events),
            len(self.saves),
            {func: len(items) for func, items in self.after_commit.items()},
        )

    def rollback(self, mark):
        entries, events, saves, after_commit = mark
        del self.entries[entries:]
        del self.events[events:]
        for key in list(self.saves)[saves:]:
            del self.saves[key]
        for func, items in self.after_commit.items():
            del items[after_commit.get(func, 0) :]

    def flush(self):
        groups = {}
        for obj, fields in self.saves.values():
            groups.setdefault((type(obj), tuple(sorted(fields))), []).append(obj)
        for (model, fields), objs in groups.items():
            if fields:
                bulk_update(model, objs, fields)
        bulk_insert(AuditLogEntry, self.entries)
        events_write(self.events)
        for func, items in self.after_commit.items():
            if items:
                transaction.on_commit(_calling(func, items), robust=True)
        self.saves, self.entries, self.events, self.after_commit = {}, [], [], {}


def _calling(func, items):
    """``func(items)`` as an on-commit callback: a function (Django names a robust callback
    that failed by its ``__qualname__``, which ``functools.partial`` lacks)."""

    def call():
        func(items)

    call.func, call.items = func, items
    return call


def after_commit(func, items):
    """``func(items)`` once the transaction commits (robust: a broker down must not undo a
    committed change). Inside a ``change_batch``, one call with the items of the whole batch:
    a bulk approval hands its orders to the broker in one message, not one a row."""
    batch = _batch.get()
    if batch is None:
        transaction.on_commit(_calling(func, list(items)), robust=True)
    else:
        batch.after_commit.setdefault(func, []).extend(items)


@contextmanager
def change_batch():
    """Defer the writes of the changes made inside to one bulk write at the end (inside the
    caller's transaction, which must be open)."""
    batch = ChangeBatch()
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)
    batch.flush()


def _pending_events():
    batch = _batch.get()
    return batch.events if batch is not None else None


def _values(obj):
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields if not field.primary_key}


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
    entry = AuditLogEntry(
        object_type=ObjectType(object_type),
        object_id=object_id,
        field=field,
        from_value=_stored(old),
        to_value=_stored(new),
        actor=_as_actor(actor),
        reason=reason or "",
    )
    batch = _batch.get()
    if batch is None:
        bulk_insert(AuditLogEntry, [entry])  # one statement from the metadata, as in a batch
    else:
        batch.entries.append(entry)
    return entry


def audit_record(*, object_type, object_id, field, old, new, actor=None, reason="", obj=None):
    """R29: append one change. Called by services inside their transaction, so the entry
    exists exactly when the change it describes does.

    R34: the change's event, if the contract publishes one, is appended beside it; pass the
    changed ``obj`` when you have it, else the event reads it again.
    """
    entry = _entry(
        object_type=object_type, object_id=object_id, field=field, old=old, new=new, actor=actor, reason=reason
    )
    event_record_change(
        object_type=object_type,
        object_id=object_id,
        obj=obj,
        changes={field: (old, new)},
        created=old is None,
        pending=_pending_events(),
    )
    return entry


def audit_record_changes(*, object_type, obj, changes, actor=None, reason=""):
    """R29, R34: several fields of one object changed at once (``{field: (old, new)}``): one
    audit entry per field and one event for the change."""
    entries = [
        _entry(object_type=object_type, object_id=obj.pk, field=field, old=old, new=new, actor=actor, reason=reason)
        for field, (old, new) in changes.items()
    ]
    event_record_change(object_type=object_type, object_id=obj.pk, obj=obj, changes=changes, pending=_pending_events())
    return entries


def audited_transition(obj, transition, *, object_type, field, actor=None, reason="", **kwargs):
    """Run one fsm transition method of ``obj``, save it and log old → new (R29) with its
    event (R34).

    The caller holds the row lock; ``ConcurrentTransitionMixin`` also refuses the save if
    the status changed underneath.
    """
    old = getattr(obj, field)
    batch = _batch.get()
    before = _values(obj) if batch is not None else None
    result = getattr(obj, transition)(**kwargs)
    if batch is None:
        obj.save()
    else:
        for model_field in obj._meta.concrete_fields:  # what save() would set (auto_now)
            if getattr(model_field, "auto_now", False):
                model_field.pre_save(obj, add=False)
        batch.save(obj, [name for name, value in _values(obj).items() if before[name] != value])
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
    return event_record_change(
        object_type=object_type, object_id=obj.pk, obj=obj, created=created, pending=_pending_events()
    )
