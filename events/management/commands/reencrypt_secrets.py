from django.core.management.base import BaseCommand, CommandError

from events.services import webhook_endpoints_reencrypt_secrets
from postpay_portal.encryption import SecretUnreadable


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret kept at rest (webhook signing secrets) with the first key of "
        "POSTPAY_ENCRYPTION_KEYS, so that the older keys can then be removed."
    )

    def handle(self, *args, **options):
        try:
            count = webhook_endpoints_reencrypt_secrets()
        except SecretUnreadable as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"Re-encrypted the secrets of {count} webhook endpoint(s) with the first key.")
