"""The operator portal's account search (``icontains`` on name and e-mail, which PostgreSQL
runs as ``UPPER(column::text) LIKE '%…%'``) read every account (decision 99). Trigram indexes
on exactly those expressions let PostgreSQL find the matches.

PostgreSQL only (pg_trgm, a trusted extension); elsewhere (SQLite, the embedded default)
this migration does nothing. The indexes are not in the model's ``Meta.indexes``: Django
cannot express an operator class over ``UPPER(…::text)`` portably, so ``makemigrations``
does not know them and never drops them.
"""

from django.db import migrations

INDEXES = {
    "account_name_upper_trgm": "name",
    "account_email_upper_trgm": "email",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "accounts_account" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
