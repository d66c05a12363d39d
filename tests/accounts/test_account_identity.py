"""Account names and billing e-mails, in ``accounts.services``.

- A name holds no control character nor line or paragraph separator: it goes into e-mail
  subjects, where a line break fails the mail for good. Mails built from a name stored before
  the check still have a one-line subject.
- A billing e-mail identifies one account, compared without regard to case (the CSV import
  already matched accounts so); an empty one never conflicts. A unique index backs the
  service's check when two requests check at once; a migration stops on existing duplicates.
"""

import pytest
from django.core import mail
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Account, AccountClass
from accounts.services import account_create, account_update
from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve
from postpay_portal.errors import InvalidInput
from subscriptions.services import order_place
from tests.concurrency import run_together
from tests.factories import AccountFactory


def refused(call, field):
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.code == "invalid" and list(caught.value.fields) == [field]
    return caught.value.fields[field][0]


# --- names: one line ------------------------------------------------------------------------

CONTROL_NAMES = [
    "Evil\nBcc: victim@example.com",
    "Evil\r\nCorp",
    "Tab\tCo",
    "Nul\x00Co",
    "Bell\x07Co",
    "Next\x85Line",
    "Line\u2028Separator",
    "Paragraph\u2029Separator",
    "Trailing newline\n",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_a_name_with_a_control_character_is_refused_at_creation(staff_sam, name):
    message = refused(lambda: account_create(actor=staff_sam, name=name), "name")
    assert message == "A name cannot contain line breaks, tabs or other control characters."
    assert Account.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONTROL_NAMES[:3])
def test_a_name_with_a_control_character_is_refused_on_change(staff_sam, alice_account, name):
    refused(lambda: account_update(actor=staff_sam, account_id=alice_account.pk, name=name), "name")
    alice_account.refresh_from_db()
    assert alice_account.name == "Alice Ltd"


@pytest.mark.django_db
def test_names_with_spaces_and_letters_of_any_script_are_kept(staff_sam):
    for name in ("Müller & Söhne GmbH", "株式会社 Example", "  Padded Co  "):
        assert account_create(actor=staff_sam, name=name).name == name.strip()


@pytest.fixture
def legacy_name(alice_account):
    """A name stored before names were checked: written past the service, as old data is."""
    Account.objects.filter(pk=alice_account.pk).update(name="Alice\nBcc: victim@example.com\u2028Ltd")
    return alice_account


@pytest.mark.django_db
def test_r19_the_managers_mail_of_a_legacy_name_with_a_newline_is_sent_with_a_one_line_subject(
    legacy_name, manual_mode, customer_alice, postpaid_plan_no_trial, manager_max, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_place(
            actor=customer_alice, account_id=legacy_name.pk, plan_id=postpaid_plan_no_trial.pk, period="commercial"
        )
    [message] = mail.outbox
    assert message.subject == "Approval required: Alice Bcc: victim@example.com Ltd ordered a postpaid plan"
    assert message.to == [manager_max.email]
    assert "victim@example.com" not in message.message().get("Bcc", "")


@pytest.mark.django_db
def test_r19_the_customers_mail_of_a_legacy_name_with_a_newline_is_sent(
    legacy_name, manual_mode, customer_alice, postpaid_plan_no_trial, manager_max, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            actor=customer_alice, account_id=legacy_name.pk, plan_id=postpaid_plan_no_trial.pk, period="commercial"
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=ManualOperation.objects.get(order=order).pk)
    [message] = mail.outbox
    assert message.subject == f"Your order #{order.pk} is complete" and "\n" not in message.subject


# --- billing e-mails: one account each ---------------------------------------------------------


@pytest.mark.django_db
def test_an_e_mail_of_another_account_in_any_case_is_refused_at_creation(staff_sam, alice_account):
    message = refused(lambda: account_create(actor=staff_sam, name="Copy", email="BILLING@Alice.Example"), "email")
    assert message.startswith("Another account already uses this billing e-mail address")
    assert list(Account.objects.values_list("name", flat=True)) == ["Alice Ltd"]


@pytest.mark.django_db
def test_an_e_mail_of_another_account_is_refused_on_change_and_nothing_changes(staff_sam, alice_account):
    bolt = AccountFactory(name="Bolt", email="ap@bolt.example")
    refused(lambda: account_update(actor=staff_sam, account_id=bolt.pk, email="Billing@alice.example"), "email")
    bolt.refresh_from_db()
    assert bolt.email == "ap@bolt.example"


@pytest.mark.django_db
def test_an_account_keeps_its_own_e_mail_and_may_change_its_case(staff_sam, alice_account):
    account = account_update(actor=staff_sam, account_id=alice_account.pk, name="Alice", email="Billing@Alice.example")
    assert (account.name, account.email) == ("Alice", "Billing@Alice.example")


@pytest.mark.django_db
def test_the_e_mail_stays_optional_and_empty_ones_never_conflict(staff_sam):
    for name in ("One", "Two", "Three"):
        account_create(actor=staff_sam, name=name)
    bolt = AccountFactory(name="Bolt", email="ap@bolt.example")
    account_update(actor=staff_sam, account_id=bolt.pk, email="")
    assert list(Account.objects.values_list("email", flat=True)) == [""] * 4


@pytest.mark.django_db
def test_the_unique_index_refuses_what_the_service_check_missed_with_the_same_400(
    staff_sam, alice_account, monkeypatch
):
    """Two requests that both checked before either wrote: the index decides, and the loser
    gets the service's own refusal, not a 500."""
    monkeypatch.setattr("accounts.services.accounts_with_email", lambda email: Account.objects.none())
    message = refused(lambda: account_create(actor=staff_sam, name="Copy", email="billing@ALICE.example"), "email")
    assert message.startswith("Another account already uses this billing e-mail address")
    bolt = AccountFactory(name="Bolt", email="ap@bolt.example")
    refused(lambda: account_update(actor=staff_sam, account_id=bolt.pk, email="BILLING@alice.example"), "email")
    assert sorted(Account.objects.values_list("email", flat=True)) == ["ap@bolt.example", "billing@alice.example"]


@pytest.mark.django_db
def test_an_integrity_error_of_another_constraint_is_not_mistaken_for_a_taken_e_mail(staff_sam, monkeypatch):
    from django.db import IntegrityError

    def broken_create(**kwargs):
        raise IntegrityError('duplicate key value violates unique constraint "some_other_constraint"')

    monkeypatch.setattr(Account.objects, "create", broken_create)
    with pytest.raises(IntegrityError):
        account_create(actor=staff_sam, name="X", email="x@x.example")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_creations_with_one_e_mail_give_one_account_and_400s(staff_sam):
    outcomes = run_together(
        8,
        lambda i: account_create(actor=staff_sam, name=f"Racer {i}", email=f"Race@Example.{'com' if i else 'COM'}").pk,
    )
    assert sorted(kind for kind, _ in outcomes) == ["ok"] + ["refused"] * 7, outcomes
    assert {value for kind, value in outcomes if kind == "refused"} == {"invalid"}
    assert Account.objects.count() == 1


# --- the migration -----------------------------------------------------------------------------

BEFORE = [("accounts", "0003_analyze_account_search_expressions")]
AFTER = [("accounts", "0004_account_email_unique_ci")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_latest():
    """Every app to its newest migration, as the rest of the session's tests expect."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow  # runs the migrations
def test_the_migration_stops_on_shared_e_mails_naming_them_and_changes_nothing():
    apps = migrate(BEFORE)
    try:
        OldAccount = apps.get_model("accounts", "Account")
        first = OldAccount.objects.create(name="First", email="billing@acme.example")
        second = OldAccount.objects.create(name="Second", email="Billing@ACME.example")
        OldAccount.objects.create(name="Blank one", email="")
        OldAccount.objects.create(name="Blank two", email="")
        with pytest.raises(CommandError) as caught:
            migrate(AFTER)
        message = str(caught.value)
        assert f"billing@acme.example: accounts #{first.pk}, #{second.pk}" in message
        assert "Nothing was changed" in message and f"filter(pk={second.pk})" in message
        assert sorted(OldAccount.objects.values_list("email", flat=True)) == [
            "",
            "",
            "Billing@ACME.example",
            "billing@acme.example",
        ]
        OldAccount.objects.filter(pk=second.pk).update(email="")  # the operators' fix
    finally:
        migrate_to_the_latest()
    assert Account.objects.get(name="First").email == "billing@acme.example"
    Account.objects.all().delete()


@pytest.mark.django_db
def test_account_classes_are_still_created_on_first_use_outside_the_import(staff_sam):
    """The API and the operator forms keep their behaviour; only the import refuses (R36c)."""
    account_create(actor=staff_sam, name="X", account_class="Gold")
    assert AccountClass.objects.filter(name="Gold").exists()
    refused(
        lambda: account_create(actor=staff_sam, name="Y", account_class="Platinum", create_account_class=False),
        "account_class",
    )
    assert not AccountClass.objects.filter(name="Platinum").exists()
