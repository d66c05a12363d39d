"""Webhook signing secrets are kept encrypted (POSTPAY_ENCRYPTION_KEYS, CONTRACT §2): each
existing secret is encrypted into the new column, a previous secret whose 24 h are over is
dropped rather than carried along, and the plain-text columns go."""

from django.db import migrations, models
from django.utils import timezone


def encrypt_secrets(apps, schema_editor):
    from postpay_portal.encryption import encrypt

    now = timezone.now()
    for endpoint in apps.get_model("events", "WebhookEndpoint").objects.all():
        endpoint.secret_encrypted = encrypt(endpoint.secret)
        still_signs = endpoint.previous_secret_expires_at is not None and endpoint.previous_secret_expires_at > now
        if endpoint.previous_secret and still_signs:
            endpoint.previous_secret_encrypted = encrypt(endpoint.previous_secret)
        else:
            endpoint.previous_secret_encrypted = ""
            endpoint.previous_secret_expires_at = None
        endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at"])


def decrypt_secrets(apps, schema_editor):
    from postpay_portal.encryption import decrypt

    for endpoint in apps.get_model("events", "WebhookEndpoint").objects.all():
        endpoint.secret = decrypt(endpoint.secret_encrypted)
        endpoint.previous_secret = (
            decrypt(endpoint.previous_secret_encrypted) if endpoint.previous_secret_encrypted else ""
        )
        endpoint.save(update_fields=["secret", "previous_secret"])


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_encrypted",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
        migrations.RemoveField(model_name="webhookendpoint", name="previous_secret"),
    ]
