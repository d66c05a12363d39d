"""R36c: accounts imported from CSV in the operator portal (django-import-export): a dry run
that writes nothing and reports each bad row with its number, then the import, every row
through ``account_create`` (audited); the same file twice changes nothing the second time
(the natural key is the e-mail address, accounts/imports.py)."""

import html as html_lib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Account, AccountClass, PostpayPermission
from audit.models import AuditLogEntry
from tests.factories import AccountFactory
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:accounts_account_import")
PROCESS = reverse("admin:accounts_account_process_import")
HEADER = "name,email,account_class,manager,postpay_permission\n"
GOOD = HEADER + (
    "Acme Holdings,billing@acme.example,Enterprise,max,approved\n"
    "Bolt Ltd,ap@bolt.example,Standard,,none\n"
    "Cirrus,finance@cirrus.example,,,\n"
)


@pytest.fixture(autouse=True)
def known_classes_and_upload_folder(settings, tmp_path):
    """The classes the files name exist (an import never creates one); uploads wait in a
    folder of this test's own."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    for name in ("Enterprise", "Standard"):
        AccountClass.objects.create(name=name)


def upload(client, text):
    return client.post(
        IMPORT,
        {"format": "0", "import_file": SimpleUploadedFile("accounts.csv", text.encode(), content_type="text/csv")},
    )


def confirm(client, preview):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    assert {"import_file_name", "original_file_name", "format"} <= set(hidden), "no confirm form was offered"
    return client.post(PROCESS, hidden)


def test_r36c_the_dry_run_previews_every_row_and_writes_nothing(admin_client_for, superuser, manager_max):
    before = (snapshot(), AuditLogEntry.objects.count())
    preview = upload(admin_client_for(superuser), GOOD)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert all(name in html for name in ("Acme Holdings", "Bolt Ltd", "Cirrus"))
    assert (snapshot(), AuditLogEntry.objects.count()) == before


def test_r36c_the_import_creates_each_account_through_the_service_and_a_second_import_is_a_no_op(
    admin_client_for, superuser, manager_max
):
    client = admin_client_for(superuser)
    response = confirm(client, upload(client, GOOD))
    assert response.status_code == 302
    accounts = {a.name: a for a in Account.objects.select_related("account_class", "manager")}
    assert set(accounts) == {"Acme Holdings", "Bolt Ltd", "Cirrus"}
    acme = accounts["Acme Holdings"]
    assert (acme.email, acme.account_class.name, acme.manager, acme.postpay_permission) == (
        "billing@acme.example",
        "Enterprise",
        manager_max,
        PostpayPermission.APPROVED,
    )
    assert accounts["Bolt Ltd"].postpay_permission == accounts["Cirrus"].postpay_permission == PostpayPermission.NONE
    # R29: audited as the service audits every creation, by the operator who imported.
    trail = list(
        AuditLogEntry.objects.filter(object_type="account", object_id=acme.pk)
        .order_by("id")
        .values_list("from_value", "to_value", "actor__username", "reason")
    )
    assert trail == [(None, "none", "root", "account created"), ("none", "approved", "root", "created pre-approved")]
    before = (snapshot(), AuditLogEntry.objects.count())
    again = confirm(client, upload(client, GOOD.replace("billing@acme.example", "BILLING@acme.example")))
    assert again.status_code == 302
    assert (snapshot(), AuditLogEntry.objects.count()) == before


def test_r36c_an_existing_account_is_never_changed_by_an_import(admin_client_for, superuser, manager_max):
    existing = AccountFactory(name="Acme (old name)", email="billing@acme.example")
    client = admin_client_for(superuser)
    confirm(client, upload(client, GOOD))
    existing.refresh_from_db()
    assert (existing.name, existing.postpay_permission) == ("Acme (old name)", PostpayPermission.NONE)
    assert Account.objects.filter(email__iexact="billing@acme.example").count() == 1


def test_r36c_bad_rows_are_reported_with_their_number_and_nothing_is_imported(admin_client_for, superuser, manager_max):
    bad = GOOD + "No Mail Co,,,,none\nDoubtful,d@doubt.example,,,under_review\nGhost,g@ghost.example,,nobody,none\n"
    before = (snapshot(), AuditLogEntry.objects.count())
    preview = upload(admin_client_for(superuser), bad)
    html = preview.content.decode()
    assert "Some rows failed to validate" in html
    rows = re.findall(r"<td>(\d+) </td>\s*<td class=\"errors\">(.*?)</td>", html, re.S)
    errors = {int(number): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() for number, text in rows}
    assert set(errors) == {4, 5, 6}  # data rows, the header not counted
    assert "An e-mail address is required" in errors[4]
    assert "Use none or approved." in errors[5]
    assert "No operator with this username." in errors[6]
    assert 'name="import_file_name"' not in html  # no confirm: fix the file first
    assert (snapshot(), AuditLogEntry.objects.count()) == before


def test_r36c_importing_needs_the_add_permission(admin_client_for, operator_sam):
    client = admin_client_for(operator_sam)
    assert client.get(IMPORT).status_code == 403
    before = snapshot()
    assert upload(client, GOOD).status_code == 403
    assert snapshot() == before


# --- an import you can trust: nothing invented, every column previewed, errors inline ---------


def text_of(html):
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def preview_rows(html):
    """The preview table, in the file's order: ``(row kind, [cells as written])``."""
    return [
        (kind, [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", cells, re.S)])
        for kind, cells in re.findall(
            r'<tr class="(new|skip)">\s*<td class="import-type">.*?</td>(.*?)</tr>', html, re.S
        )
    ]


def row_errors(html):
    rows = re.findall(r"<td>(\d+) </td>\s*<td class=\"errors\">(.*?)</td>", html, re.S)
    return {int(number): text_of(text) for number, text in rows}


def test_r36c_an_unknown_account_class_is_a_row_error_and_creates_no_class(admin_client_for, superuser):
    before = (snapshot(), sorted(AccountClass.objects.values_list("name", flat=True)))
    preview = upload(admin_client_for(superuser), HEADER + "Gilt Co,gilt@gilt.example,Gold,,none\n")
    html = preview.content.decode()
    errors = row_errors(html)
    assert set(errors) == {1}
    assert 'account_class: No account class "Gold"' in errors[1] and "Enterprise, Standard" in errors[1]
    assert 'name="import_file_name"' not in html
    assert (snapshot(), sorted(AccountClass.objects.values_list("name", flat=True))) == before


def test_r36c_an_unknown_manager_is_a_row_error_and_nothing_is_created(admin_client_for, superuser, manager_max):
    before = snapshot()
    html = upload(admin_client_for(superuser), GOOD + "Ghost,g@ghost.example,Standard,nobody,none\n").content.decode()
    assert row_errors(html) == {4: "manager: No operator with this username."}
    assert "<td>Ghost</td>" in html  # the row beside its error, as the file has it
    assert snapshot() == before


def test_r36c_the_preview_shows_every_column_as_the_service_writes_it(admin_client_for, superuser, manager_max):
    existing = AccountFactory(name="Old Bolt", email="AP@bolt.example", account_class="Standard", preapproved=True)
    before = snapshot()
    rows = preview_rows(upload(admin_client_for(superuser), GOOD.replace("Cirrus,", "  Cirrus  ,")).content.decode())
    assert rows == [
        ("new", ["Acme Holdings", "billing@acme.example", "Enterprise", "max", "approved", "", ""]),
        # R36: the account this row matches is shown as it is, and stays so.
        ("skip", ["Old Bolt", "AP@bolt.example", "Standard", "", "approved", "", ""]),
        # Trimmed as the service stores it; an empty permission is written as none.
        ("new", ["Cirrus", "finance@cirrus.example", "", "", "none", "", ""]),
    ]
    assert snapshot() == before
    assert existing.pk in Account.objects.values_list("pk", flat=True)


def test_r36c_row_errors_are_written_beside_their_row_not_behind_a_badge(admin_client_for, superuser, manager_max):
    html = upload(admin_client_for(superuser), GOOD + "No Mail Co,,,,none\n").content.decode()
    assert "validation-error-count" not in html and "validation-error-container" not in html
    assert row_errors(html)[4].startswith("email: An e-mail address is required")


def test_a_row_whose_name_holds_a_control_character_is_a_row_error(admin_client_for, superuser):
    before = snapshot()
    html = upload(
        admin_client_for(superuser),
        HEADER + '"Evil\nBcc: victim@example.com",evil@evil.example,,,none\nTabbed\tCo,t@tab.example,,,none\n',
    ).content.decode()
    errors = row_errors(html)
    assert set(errors) == {1, 2}
    assert all(
        "name: A name cannot contain line breaks, tabs or other control characters." in e for e in errors.values()
    )
    assert snapshot() == before


def test_the_import_matches_an_account_by_e_mail_as_the_service_does_whatever_its_case(
    admin_client_for, superuser, manager_max
):
    client = admin_client_for(superuser)
    text = GOOD + "Acme Again,BILLING@ACME.EXAMPLE,,,none\n"
    rows = preview_rows(upload(client, text).content.decode())
    # The last row is the account the first one creates: skipped, shown as that account.
    assert rows[0] == ("new", ["Acme Holdings", "billing@acme.example", "Enterprise", "max", "approved", "", ""])
    assert rows[3] == ("skip", rows[0][1])
    assert confirm(client, upload(client, text)).status_code == 302
    assert Account.objects.filter(email__iexact="billing@acme.example").count() == 1
