"""Orders counted by status, kept by triggers (decision 109, ``OrderTally``).

The SQL is frozen here, per vendor, as it was when this migration was written: a migration
never imports live code. ``subscriptions/order_tally.py`` holds the same statements for the
SQLite repair after a table rebuild (``apps.py``). Creating the triggers counts the orders
already there, in the same transaction.
"""

from django.db import migrations, models

ORDERS = "subscriptions_order"
TALLY = "subscriptions_ordertally"

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
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_update AFTER UPDATE OF status ON {ORDERS}
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION {ORDERS}_tally()""",
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_delete AFTER DELETE ON {ORDERS}
        FOR EACH ROW EXECUTE FUNCTION {ORDERS}_tally()""",
    f"""CREATE OR REPLACE TRIGGER {ORDERS}_tally_truncate AFTER TRUNCATE ON {ORDERS}
        FOR EACH STATEMENT EXECUTE FUNCTION {ORDERS}_tally()""",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_insert ON {ORDERS}",
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_update ON {ORDERS}",
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_delete ON {ORDERS}",
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_truncate ON {ORDERS}",
    f"DROP FUNCTION IF EXISTS {ORDERS}_tally()",
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
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_insert",
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_update",
    f"DROP TRIGGER IF EXISTS {ORDERS}_tally_delete",
]

RECOUNT = [
    f"DELETE FROM {TALLY}",
    f"INSERT INTO {TALLY} (status, delta) SELECT status, COUNT(*) FROM {ORDERS} GROUP BY status",
]


class RunSQLOn(migrations.RunSQL):
    """``RunSQL`` on one database vendor only; elsewhere nothing (the counts then read the
    orders themselves)."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql, elidable=False)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_order_status_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=50)),
                ("delta", models.BigIntegerField()),
            ],
        ),
        RunSQLOn("postgresql", POSTGRESQL + RECOUNT, POSTGRESQL_DROP),
        RunSQLOn("sqlite", SQLITE + RECOUNT, SQLITE_DROP),
    ]
