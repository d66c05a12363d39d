"""The append-only rows of a business action, written together (decision 119).

A service opens a ``UnitOfWork`` inside its transaction (or receives one from a bulk
service) and hands it to every helper that records a change. Each transition is saved at
once with ``save()``, so reads, signals, django-fsm's concurrency guard and constraints
behave as Django always does; only what nothing reads back in the same transaction is
collected — audit entries (R29), events and their webhook deliveries (R34) — and written
with ``bulk_create`` when the unit closes, with the after-commit callbacks it gathered.

A single change is a unit of one. A bulk service decides each item inside
``uow.item()``: a refused item rolls back to a savepoint and forgets what it collected,
and the rest go on (R18).
"""

from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.db import transaction


class UnitOfWork:
    def __init__(self) -> None:
        self.audit_entries: list = []
        self.events: list = []
        self._after_commit: dict[Callable, list] = {}

    def after_commit(self, func: Callable[[list], None], items: Iterable) -> None:
        """``func(items)`` once the transaction commits, called once with the items of the
        whole unit: a bulk approval hands its orders to the broker in one message
        (decision 104). Robust: a broker down must not undo a committed change."""
        self._after_commit.setdefault(func, []).extend(items)

    @contextmanager
    def item(self):
        """One item of a bulk action: a savepoint, and a refusal leaves nothing collected."""
        mark = (
            len(self.audit_entries),
            len(self.events),
            {func: len(items) for func, items in self._after_commit.items()},
        )
        try:
            with transaction.atomic():
                yield self
        except BaseException:
            entries, events, callbacks = mark
            del self.audit_entries[entries:]
            del self.events[events:]
            for func, items in self._after_commit.items():
                del items[callbacks.get(func, 0) :]
            raise

    def flush(self) -> None:
        from events.outbox import events_write

        from .models import AuditLogEntry

        AuditLogEntry.objects.bulk_create(self.audit_entries)
        events_write(self.events, uow=self)
        for func, items in self._after_commit.items():
            if items:
                transaction.on_commit(_calling(func, list(items)), robust=True)
        self.audit_entries, self.events, self._after_commit = [], [], {}


def _calling(func, items):
    """``func(items)`` as a function: Django names a robust callback that failed by its
    ``__qualname__``, which ``functools.partial`` lacks."""

    def call():
        func(items)

    call.__qualname__ = getattr(func, "__qualname__", "callback")
    call.func, call.items = func, items
    return call


@contextmanager
def unit_of_work():
    """A unit for the caller's open transaction, flushed when the block ends without error."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A unit of work is opened inside transaction.atomic().")
    uow = UnitOfWork()
    yield uow
    uow.flush()
