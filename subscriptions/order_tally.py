"""The triggers that keep ``OrderTally`` (orders counted by status, decision 109), for
repairing them on SQLite.

``migrations/0005_order_tally`` installs them with its own frozen copy of these statements;
a test holds the two copies equal. SQLite drops a table's triggers when Django rebuilds the
table in a later migration (its ``ALTER TABLE`` is a copy): ``install`` therefore runs after
every ``migrate`` (``apps.py``) and, finding a trigger missing, creates them again and counts
afresh, in one transaction. On a database other than PostgreSQL and SQLite nothing is
installed and the counts read the orders themselves (``TALLY_VENDORS``).
"""

from django.db import transaction

TALLY_VENDORS = ("postgresql", "sqlite")

ORDERS = "subscriptions_order"
TALLY = "subscriptions_ordertally"
TRIGGERS = (f"{ORDERS}_tally_insert", f"{ORDERS}_tally_update", f"{ORDERS}_tally_delete")

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION {ORDERS}_tally() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM {TALLY};
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO {TALLY} (status, delta) VALUES (OLD.status, -1);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO {TALLY} (status, delta) VALUES (NEW.status, 1);
        END IF;
        RETURN NULL;
    END
    $$""",
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_insert AFTER INSERT ON {ORDERS}
        FOR EACH ROW EXECUTE FUNCTION {ORDERS}_tally()""",
    # Only a change of status: a provisioning claim or an enqueue stamp costs nothing.
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_update AFTER UPDATE OF status ON {ORDERS}
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION {ORDERS}_tally()""",
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_delete AFTER DELETE ON {ORDERS}
        FOR EACH ROW EXECUTE FUNCTION {ORDERS}_tally()""",
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_truncate AFTER TRUNCATE ON {ORDERS}
        FOR EACH STATEMENT EXECUTE FUNCTION {ORDERS}_tally()""",
]

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS {ORDERS}_tally_insert AFTER INSERT ON {ORDERS} BEGIN
        INSERT INTO {TALLY} (status, delta) VALUES (NEW.status, 1);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {ORDERS}_tally_update AFTER UPDATE OF status ON {ORDERS}
        WHEN OLD.status IS NOT NEW.status BEGIN
        INSERT INTO {TALLY} (status, delta) VALUES (OLD.status, -1);
        INSERT INTO {TALLY} (status, delta) VALUES (NEW.status, 1);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {ORDERS}_tally_delete AFTER DELETE ON {ORDERS} BEGIN
        INSERT INTO {TALLY} (status, delta) VALUES (OLD.status, -1);
    END""",
]

RECOUNT = [
    f"DELETE FROM {TALLY}",
    f"INSERT INTO {TALLY} (status, delta) SELECT status, COUNT(*) FROM {ORDERS} GROUP BY status",
]

DROP = {
    "postgresql": [f"DROP TRIGGER IF EXISTS {name} ON {ORDERS}" for name in (*TRIGGERS, f"{ORDERS}_tally_truncate")]
    + [f"DROP FUNCTION IF EXISTS {ORDERS}_tally()"],
    "sqlite": [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS],
}


def maintained(connection):
    """Whether this database keeps the tally (else counts read the orders)."""
    return connection.vendor in TALLY_VENDORS


def installed_triggers(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [ORDERS])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [ORDERS])
        return {name for (name,) in cursor.fetchall()}


def install(connection):
    """Create the triggers and count every order, unless all triggers are already there.

    Creating a trigger locks the orders table against writes until the transaction ends
    (PostgreSQL's ``SHARE ROW EXCLUSIVE``, SQLite's write lock), so no order changes between
    the recount and the first counted write. Returns whether anything was done.
    """
    if not maintained(connection) or TALLY not in connection.introspection.table_names():
        return False
    if set(TRIGGERS) <= installed_triggers(connection):
        return False
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in (POSTGRESQL if connection.vendor == "postgresql" else SQLITE) + RECOUNT:
            cursor.execute(statement)
    return True


def uninstall(connection):
    with connection.cursor() as cursor:
        for statement in DROP.get(connection.vendor, []):
            cursor.execute(statement)
