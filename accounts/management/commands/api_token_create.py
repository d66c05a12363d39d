from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import DEFAULT_NAME, api_token_create
from postpay_portal.errors import DomainError


class Command(BaseCommand):
    help = (
        "Issue a new API token for a login (SPEC R46) and print it once, alone on the last line. "
        "For bootstrapping an integration, including a login that needs a second factor (R45)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help=f'the client the token is for (default "{DEFAULT_NAME}")'
        )

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No login {username!r}.")
        try:
            token_row, raw = api_token_create(actor=None, user=user, name=name)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}")
        self.stdout.write(
            f"API token “{token_row.name}” for {user.get_username()}, expires {token_row.expiry.isoformat()}. "
            "It is shown only now; send it as `Authorization: Token <token>`:"
        )
        self.stdout.write(raw)
