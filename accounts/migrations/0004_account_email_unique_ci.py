"""One account identity: a billing e-mail belongs to one account, whatever its case.

Accounts that already share an e-mail are not changed here: which of them keeps the address
is the operators' choice, and clearing one silently would cut its customer off from the
mails of R19. The migration stops instead, naming the accounts to fix and how, and runs once
they are fixed.
"""

from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

SHOWN = 20


def refuse_duplicate_emails(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    shared = (
        Account.objects.exclude(email="")
        .annotate(email_lower=Lower("email"))
        .values("email_lower")
        .annotate(accounts=Count("id"))
        .filter(accounts__gt=1)
        .order_by("email_lower")
    )
    total = shared.count()
    if not total:
        return
    lines, example = [], None
    for group in shared[:SHOWN]:
        ids = list(
            Account.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower=group["email_lower"])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        example = example or ids[-1]
        lines.append(f"  {group['email_lower']}: accounts " + ", ".join(f"#{pk}" for pk in ids))
    if total > SHOWN:
        lines.append(f"  … and {total - SHOWN} more addresses")
    fix = f"Account.objects.filter(pk={example}).update(email='new@example.com')"
    raise CommandError(
        f"{total} billing e-mail address(es) are used by more than one account (compared without regard to "
        "case):\n" + "\n".join(lines) + "\nAn e-mail address now identifies one account. Nothing was changed: "
        "give each of these accounts its own address, or clear it (empty) on all but one, then migrate again. "
        f'For example: python manage.py shell -c "from accounts.models import Account; {fix}"'
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_analyze_account_search_expressions")]

    operations = [
        migrations.RunPython(refuse_duplicate_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="account_email_unique_ci",
                violation_error_message="Another account already uses this billing e-mail address.",
            ),
        ),
    ]
