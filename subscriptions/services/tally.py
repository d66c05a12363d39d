"""Folding the order tally (``OrderTally``): housekeeping run by beat (R35)."""

from django.db import connection, transaction
from django.db.models import Sum

from ..models import OrderTally
from ..order_tally import TALLY


def order_tally_compact() -> int:
    """Fold the tally's rows into one per status; returns how many rows there are now.

    On PostgreSQL one statement deletes the rows this snapshot sees and inserts their sums:
    a row appended meanwhile by a writer stays for the next fold, and two folds running at
    once never count a row twice (the second skips the rows the first deleted). SQLite's
    transactions run one at a time, so reading, deleting and inserting in one is as safe.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH folded AS (DELETE FROM {TALLY} RETURNING status, delta) "
                f"INSERT INTO {TALLY} (status, delta) SELECT status, SUM(delta) FROM folded "
                f"GROUP BY status HAVING SUM(delta) <> 0"
            )
            return cursor.rowcount
    with transaction.atomic():
        sums = OrderTally.objects.order_by().values_list("status").annotate(n=Sum("delta"))
        folded = [OrderTally(status=status, delta=n) for status, n in sums if n]
        OrderTally.objects.all().delete()
        OrderTally.objects.bulk_create(folded)
    return len(folded)
