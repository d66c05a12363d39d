from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from manual_operations.services import account_postpay_override
from postpay_portal.errors import DomainError


class Command(BaseCommand):
    help = "Support only (SPEC R7): change an account's final postpay status, with a reason; audited."

    def add_arguments(self, parser):
        parser.add_argument("account_id", type=int)
        parser.add_argument("--to", required=True, choices=["approved", "declined", "none"])
        parser.add_argument("--reason", required=True)
        parser.add_argument("--actor", help="username of the support operator recorded in the audit log")

    def handle(self, *args, account_id, to, reason, actor=None, **options):
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user {actor!r}.")
        try:
            account = account_postpay_override(actor=user, account_id=account_id, to=to, reason=reason)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}")
        self.stdout.write(
            f"Account #{account.pk} {account.name}: postpay permission is now {account.postpay_permission}."
        )
