"""PostgreSQL keeps statistics of an index's expressions (here ``UPPER(name::text)`` and
``UPPER(email::text)`` of migration 0002) only from the next ``ANALYZE`` of the table.

Without them the planner guesses every ``LIKE`` equally selective: a search for "Account
0999" read the trigram index for "ACCOUNT" — every account (decision 111). Autovacuum
analyzes a table only after a tenth of its rows changed, which on a big, settled table may
take months; so a deployment that created the indexes over existing accounts analyzes the
table now. Nothing to do elsewhere.
"""

from django.db import migrations


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ANALYZE "accounts_account"')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_account_search_trigram_indexes")]

    operations = [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True)]
