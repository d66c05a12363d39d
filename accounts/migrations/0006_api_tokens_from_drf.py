"""R46: the tokens of DRF's ``rest_framework.authtoken`` (plain text in ``authtoken_token``)
become API tokens stored as digests, and the plain-text rows are deleted.

Integrations keep working through the upgrade: each old token signs in as before, now found by
its digest, named "api", and expires ``API_TOKEN_TTL_HOURS`` after this migration. The emptied
table is left in place (DRF's app is no longer installed, so nothing reads or migrates it); a
database that never had it has nothing to carry over.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"
TOKEN_KEY_LENGTH = 15  # knox's CONSTANTS.TOKEN_KEY_LENGTH, frozen here


def digest_of(token):
    # knox's hash_token with its default SECURE_HASH_ALGORITHM (SHA-512 of the UTF-8 bytes).
    return hashlib.sha512(token.encode("utf-8")).hexdigest()


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    quoted = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted('key')}, {quoted('user_id')} FROM {quoted(OLD_TABLE)}")
        rows = cursor.fetchall()
    expiry = timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    ApiToken.objects.using(connection.alias).bulk_create(
        ApiToken(digest=digest_of(key), token_key=key[:TOKEN_KEY_LENGTH], user_id=user_id, expiry=expiry, name="api")
        for key, user_id in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted(OLD_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_api_token")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
