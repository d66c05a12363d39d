"""Credit terms in the operator portal (SPEC R37, R41, R43, R44), through the admin client: the
approval pages take optional terms pre-filled from the account class, a limit below the
commitment comes back on its field with nothing changed, only managers grant credit (the form,
a crafted POST, the CSV import), the account page and the accounts list show terms and
commitment in mode Manually only, a credit review's page, the queue report and the mode-switch
preview. Setup goes through the services (STYLE §7)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.admin import GRANT_REFUSED
from accounts.models import Account, AccountClass, PostpayPermission
from accounts.services import account_credit_terms_update, account_payment_hold_set
from audit.models import AuditLogEntry
from manual_operations.models import ManualOperation, OperationStatus, OperationType
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from subscriptions.services import order_provision
from tests.factories import AccountFactory, CustomerFactory, PlanFactory
from tests.support.actions import place

pytestmark = pytest.mark.django_db

ACCOUNTS = reverse("admin:accounts_account_changelist")
ADD = reverse("admin:accounts_account_add")
QUEUE = reverse("admin:manual_operations_manualoperation_changelist")
REPORT = reverse("admin:manual_operations_manualoperation_report")
SETTINGS = reverse("admin:settings_app_postpaysettings_change", args=[1])
IMPORT = reverse("admin:accounts_account_import")
PROCESS = reverse("admin:accounts_account_process_import")
LABEL = "Work permit for postpaid"


def change_url(account):
    return reverse("admin:accounts_account_change", args=[account.pk])


def operation_url(operation, page="change"):
    return reverse(f"admin:manual_operations_manualoperation_{page}", args=[operation.pk])


def terms_url(account):
    return reverse("admin:accounts_account_credit_terms", args=[account.pk])


def hold_url(account):
    return reverse("admin:accounts_account_payment_hold", args=[account.pk])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def state():
    """What a refusal must leave as it was: every account's permission and terms, the orders,
    the operations and the audit log."""
    return (
        sorted(
            Account.objects.values_list(
                "pk", "name", "postpay_permission", "postpaid_limit", "credit_review_on", "payment_hold"
            )
        ),
        sorted(Order.objects.values_list("pk", "status", "failure_reason")),
        sorted(ManualOperation.objects.values_list("pk", "status")),
        AuditLogEntry.objects.count(),
    )


def fresh(account):
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def flex(db):
    return PlanFactory(name="Flex", billing_model="postpay", price=Decimal("100.00"), trial_days=14)


@pytest.fixture
def standard(db):
    """An account class whose default limit pre-fills the forms (R37)."""
    return AccountClass.objects.create(name="Standard", default_postpaid_limit=Decimal("500.00"))


def customer_of(name, **account_kwargs):
    return CustomerFactory(username=name.split()[0].lower(), account=AccountFactory(name=name, **account_kwargs))


@pytest.fixture
def held_permission(manual_mode, flex, standard):
    """R9: the first gated order of a Standard account, waiting for a permission operation."""
    order = place(customer_of("Held Co", account_class="Standard"), flex)
    return ManualOperation.objects.get(order=order)


@pytest.fixture
def credit_review(manual_mode, flex, manager_max):
    """R39: an approved account with a limit of 100 and one subscription of 100: its next order
    of 100 waits for a credit review (over the limit)."""
    customer = customer_of("Review Co", preapproved=True)
    order_provision(order_id=place(customer, flex).pk)
    account_credit_terms_update(
        actor=manager_max, account_id=customer.account_id, postpaid_limit="100.00", reason="opening terms"
    )
    order = place(customer, flex)
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    return ManualOperation.objects.get(order=order)


# --- 1. the approval pages take optional terms --------------------------------------------------


def test_r43_a_permission_operations_approval_is_prefilled_from_the_class_and_sets_the_terms(
    admin_client_for, manager_max, held_permission
):
    client = admin_client_for(manager_max)
    page = client.get(operation_url(held_permission, "approve"))
    form = page.context["form"]
    assert form.initial["postpaid_limit"] == Decimal("500.00")
    assert 'name="postpaid_limit"' in page.content.decode() and 'value="500.00"' in page.content.decode()
    assert "Pre-filled with the default of the account class Standard." in page.content.decode()
    review_on = timezone.localdate() + timedelta(days=180)
    response = client.post(
        operation_url(held_permission, "approve"),
        {"postpaid_limit": "500.00", "credit_review_on": review_on.isoformat(), "note": "good history"},
    )
    assert response.status_code == 302
    account = fresh(held_permission.account)
    assert (account.postpay_permission, account.postpaid_limit, account.credit_review_on) == (
        PostpayPermission.APPROVED,
        Decimal("500.00"),
        review_on,
    )
    assert Order.objects.get(pk=held_permission.order_id).status in (OrderStatus.PROVISIONING, OrderStatus.COMPLETED)
    entries = AuditLogEntry.objects.filter(object_type="account", object_id=account.pk, field="postpaid_limit")
    assert list(entries.values_list("to_value", "actor__username")) == [("500.00", "max")]


def test_r43_emptying_the_prefilled_limit_approves_without_terms(admin_client_for, manager_max, held_permission):
    client = admin_client_for(manager_max)
    client.post(operation_url(held_permission, "approve"), {"postpaid_limit": "", "credit_review_on": "", "note": ""})
    account = fresh(held_permission.account)
    assert account.postpay_permission == PostpayPermission.APPROVED
    assert (account.postpaid_limit, account.credit_review_on) == (None, None)


def test_r41_a_limit_below_the_commitment_on_approval_is_shown_on_the_field_and_nothing_changes(
    admin_client_for, manager_max, held_permission
):
    before = state()
    response = admin_client_for(manager_max).post(
        operation_url(held_permission, "approve"), {"postpaid_limit": "99.99", "credit_review_on": "", "note": ""}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["postpaid_limit"]
    assert "cannot be below the account's commitment of 100.00" in errors["postpaid_limit"][0]
    assert "errorlist" in response.content.decode()
    assert state() == before
    assert ManualOperation.objects.get(pk=held_permission.pk).is_open


def test_r36b_approve_in_advance_takes_terms_prefilled_from_the_class(admin_client_for, manager_max, standard):
    account = AccountFactory(name="Early Co", account_class="Standard")
    url = reverse("admin:accounts_account_approve_in_advance", args=[account.pk])
    client = admin_client_for(manager_max)
    assert client.get(url).context["form"].initial == {"postpaid_limit": Decimal("500.00")}
    response = client.post(url, {"postpaid_limit": "750", "credit_review_on": "2030-01-31", "note": "early"})
    assert response.status_code == 302
    account = fresh(account)
    assert (account.postpay_permission, account.postpaid_limit, account.credit_review_on) == (
        PostpayPermission.APPROVED,
        Decimal("750.00"),
        date(2030, 1, 31),
    )


def test_r36b_approve_in_advance_refuses_a_malformed_limit_on_its_field(admin_client_for, manager_max):
    account = AccountFactory(name="Early Co")
    before = state()
    response = admin_client_for(manager_max).post(
        reverse("admin:accounts_account_approve_in_advance", args=[account.pk]),
        {"postpaid_limit": "-5", "credit_review_on": "", "note": ""},
    )
    assert response.status_code == 200 and "postpaid_limit" in response.context["form"].errors
    assert state() == before


def test_r37_a_manager_creates_an_account_pre_approved_with_terms(admin_client_for, manager_max, standard):
    client = admin_client_for(manager_max)
    page = client.get(ADD).content.decode()
    assert 'name="preapproved"' in page and 'name="postpaid_limit"' in page and 'name="credit_review_on"' in page
    assert 'data-default-limit="500.00"' in page and "postpay-class-default-limit.js" in page
    response = client.post(
        ADD,
        {
            "name": "Trusted Co",
            "account_class": standard.pk,
            "preapproved": "on",
            "postpaid_limit": "500.00",
            "credit_review_on": "2031-06-30",
        },
    )
    account = Account.objects.get(name="Trusted Co")
    assert response["Location"] == change_url(account)
    assert (account.postpay_permission, account.postpaid_limit, account.credit_review_on) == (
        PostpayPermission.APPROVED,
        Decimal("500.00"),
        date(2031, 6, 30),
    )


def test_r37_terms_without_pre_approval_are_refused_and_nothing_is_created(admin_client_for, manager_max):
    response = admin_client_for(manager_max).post(ADD, {"name": "Half Co", "postpaid_limit": "10"})
    assert response.status_code == 200
    assert "can be set only on an account approved for postpaid ordering" in response.content.decode()
    assert not Account.objects.filter(name="Half Co").exists()


# --- 2. R44: only managers grant credit -----------------------------------------------------------


def test_r44_an_operator_is_not_offered_pre_approval_or_terms_on_the_add_page(admin_client_for, staff_sam):
    page = admin_client_for(staff_sam).get(ADD).content.decode()
    assert 'name="name"' in page
    for name in ("preapproved", "postpaid_limit", "credit_review_on"):
        assert f'name="{name}"' not in page


@pytest.mark.parametrize(
    "crafted",
    [{"preapproved": "on"}, {"postpaid_limit": "100"}, {"credit_review_on": "2030-01-01"}],
    ids=["pre-approved", "limit", "review date"],
)
def test_r44_a_crafted_post_granting_credit_is_refused_with_a_message_and_nothing_is_created(
    admin_client_for, staff_sam, crafted
):
    before = state()
    response = admin_client_for(staff_sam).post(ADD, {"name": "Sneaky Co", **crafted})
    assert response.status_code == 302 and response["Location"] == ADD
    assert GRANT_REFUSED in messages_of(response)
    assert state() == before


def test_r44_an_operator_may_still_create_a_plain_account(admin_client_for, staff_sam):
    admin_client_for(staff_sam).post(ADD, {"name": "Plain Co"})
    assert Account.objects.get(name="Plain Co").postpay_permission == PostpayPermission.NONE


def test_r44_an_operator_cannot_change_credit_terms(admin_client_for, staff_sam, credit_review):
    account = credit_review.account
    client = admin_client_for(staff_sam)
    assert terms_url(account) not in client.get(change_url(account)).content.decode()
    before = state()
    response = client.post(terms_url(account), {"postpaid_limit": "1000000", "reason": "friend"})
    assert response.status_code == 302 and response["Location"] == change_url(account)
    assert "Only a manager may change credit terms (the decide permission)." in messages_of(response)
    assert state() == before


def test_r44_an_operator_cannot_approve_with_terms(admin_client_for, staff_sam, held_permission):
    before = state()
    admin_client_for(staff_sam).post(operation_url(held_permission, "approve"), {"postpaid_limit": "1"})
    assert state() == before


# --- 2. the CSV import: term columns, and approved rows need the decide permission ---------------

HEADER = "name,email,account_class,manager,postpay_permission,postpaid_limit,credit_review_on\n"


@pytest.fixture
def uploads(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"


def upload(client, body):
    return client.post(
        IMPORT, {"format": "0", "import_file": SimpleUploadedFile("accounts.csv", body.encode(), "text/csv")}
    )


def confirm(client, preview):
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    assert "import_file_name" in hidden, "no confirm form was offered"
    return client.post(PROCESS, hidden)


def row_errors(html):
    rows = re.findall(r"<td>(\d+) </td>\s*<td class=\"errors\">(.*?)</td>", html, re.S)
    return {int(number): text(cells).strip() for number, cells in rows}


def preview_rows(html):
    rows = re.findall(r'<tr class="new">\s*<td class="import-type">.*?</td>(.*?)</tr>', html, re.S)
    return [[text(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_r37_the_import_takes_terms_for_approved_rows_and_previews_them(admin_client_for, manager_max, uploads):
    client = admin_client_for(manager_max)
    body = HEADER + "Acme,billing@acme.example,,,approved,500,2030-06-30\nBolt,ap@bolt.example,,,none,,\n"
    preview = upload(client, body)
    assert preview_rows(preview.content.decode()) == [
        ["Acme", "billing@acme.example", "", "", "approved", "500.00", "2030-06-30"],
        ["Bolt", "ap@bolt.example", "", "", "none", "", ""],
    ]
    assert not Account.objects.exists()  # the dry run wrote nothing
    assert confirm(client, preview).status_code == 302
    acme = Account.objects.get(name="Acme")
    assert (acme.postpay_permission, acme.postpaid_limit, acme.credit_review_on) == (
        PostpayPermission.APPROVED,
        Decimal("500.00"),
        date(2030, 6, 30),
    )


def test_r37_terms_on_a_row_that_is_not_approved_are_a_row_error_and_nothing_is_imported(
    admin_client_for, manager_max, uploads
):
    body = HEADER + "Acme,billing@acme.example,,,approved,500,\nBolt,ap@bolt.example,,,none,100,\n"
    before = state()
    html = upload(admin_client_for(manager_max), body).content.decode()
    assert row_errors(html) == {
        2: "postpaid_limit: A postpaid limit or a review date can be set only on an account approved for postpaid "
        "ordering."
    }
    assert 'name="import_file_name"' not in html
    assert state() == before


def test_r37_a_malformed_term_is_a_row_error(admin_client_for, manager_max, uploads):
    body = HEADER + "Acme,billing@acme.example,,,approved,lots,\nBolt,ap@bolt.example,,,approved,,30/06/2030\n"
    errors = row_errors(upload(admin_client_for(manager_max), body).content.decode())
    assert errors[1].startswith("postpaid_limit: An amount of at least 0")
    assert errors[2] == "credit_review_on: A date (YYYY-MM-DD) is required."


def test_r44_an_operator_importing_approved_rows_gets_a_row_error_and_nothing_is_imported(
    admin_client_for, staff_sam, uploads
):
    body = HEADER + "Plain,plain@plain.example,,,none,,\nAcme,billing@acme.example,,,approved,,\n"
    body += "Bolt,ap@bolt.example,,,approved,100,\n"
    client = admin_client_for(staff_sam)
    before = state()
    html = upload(client, body).content.decode()
    refusal = "postpay_permission: Only a manager may create an account pre-approved for postpaid ordering."
    assert row_errors(html) == {2: refusal, 3: refusal}
    assert 'name="import_file_name"' not in html
    assert state() == before
    # The same file without the approved rows imports: operators keep everything else (R44).
    assert confirm(client, upload(client, HEADER + "Plain,plain@plain.example,,,none,,\n")).status_code == 302
    assert Account.objects.get(name="Plain").postpay_permission == PostpayPermission.NONE


# --- 3. the account page ------------------------------------------------------------------------


def test_r43_the_account_page_in_manually_shows_terms_commitment_available_and_their_history(
    admin_client_for, manager_max, credit_review
):
    account = credit_review.account
    account_payment_hold_set(actor=manager_max, account_id=account.pk, payment_hold=True, reason="invoice 42 unpaid")
    response = admin_client_for(manager_max).get(change_url(account))
    html = response.content.decode()
    card = text(html.split('id="credit-terms"')[1].split('id="customer-logins"')[0])
    assert "Postpaid limit 100.00 USD" in card
    assert "Commitment 200.00 USD" in card  # the subscription and the held order (R38)
    assert "Available -100.00 USD ⚠ over the limit" in card
    assert "Review date none" in card and "Payment hold On: reported by billing" in card
    assert "postpaid_limit" in card and "opening terms" in card  # the history (R29)
    assert "payment_hold" in card and "invoice 42 unpaid" in card
    assert f'href="{terms_url(account)}"' in html and "Change credit terms" in html
    assert f'href="{hold_url(account)}"' in html and "Clear payment hold" in html


def test_r43_the_account_page_tells_terms_wait_for_approval_and_offers_no_change(
    admin_client_for, manager_max, manual_mode
):
    account = AccountFactory(name="Plain Co")
    html = admin_client_for(manager_max).get(change_url(account)).content.decode()
    assert "A limit and a review date can be set once the account is approved" in html
    assert terms_url(account) not in html


def test_r26_r43_in_automatically_the_account_page_shows_no_terms_only_the_payment_hold(
    admin_client_for, manager_max, credit_review, staff_sam
):
    account = credit_review.account
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    for user in (manager_max, staff_sam):
        html = admin_client_for(user).get(change_url(account)).content.decode()
        shown = text(html)
        for words in ("Credit terms", "Postpaid limit", "Commitment", "Available", "Change credit terms", LABEL):
            assert words not in shown, (user, words)
        assert terms_url(account) not in html
        assert "Payment hold" in shown and f'href="{hold_url(account)}"' in html


def test_r37_change_credit_terms_sets_them_with_a_reason(admin_client_for, manager_max, credit_review):
    account = credit_review.account
    client = admin_client_for(manager_max)
    form = client.get(terms_url(account)).context["form"]
    assert form.initial == {"postpaid_limit": Decimal("100.00"), "credit_review_on": None}
    missing = client.post(terms_url(account), {"postpaid_limit": "300", "credit_review_on": "", "reason": ""})
    assert "reason" in missing.context["form"].errors and fresh(account).postpaid_limit == Decimal("100.00")
    unchanged = client.post(terms_url(account), {"postpaid_limit": "100", "credit_review_on": "", "reason": "x"})
    assert "Nothing was changed" in unchanged.content.decode()
    response = client.post(
        terms_url(account), {"postpaid_limit": "300", "credit_review_on": "2030-03-31", "reason": "grew"}
    )
    assert response.status_code == 302
    account = fresh(account)
    assert (account.postpaid_limit, account.credit_review_on) == (Decimal("300.00"), date(2030, 3, 31))
    entries = AuditLogEntry.objects.filter(object_type="account", object_id=account.pk, reason="grew")
    assert sorted(entries.values_list("field", "from_value", "to_value")) == [
        ("credit_review_on", None, "2030-03-31"),
        ("postpaid_limit", "100.00", "300.00"),
    ]
    # Emptying the limit removes it (no limit); the date is kept.
    client.post(terms_url(account), {"postpaid_limit": "", "credit_review_on": "2030-03-31", "reason": "trusted"})
    assert (fresh(account).postpaid_limit, fresh(account).credit_review_on) == (None, date(2030, 3, 31))


def test_r37_change_credit_terms_of_an_account_not_approved_is_refused_on_the_form(admin_client_for, manager_max):
    account = AccountFactory(name="Plain Co")
    before = state()
    response = admin_client_for(manager_max).post(
        terms_url(account), {"postpaid_limit": "10", "credit_review_on": "", "reason": "x"}
    )
    assert response.status_code == 200
    assert "can be set only on an account approved for postpaid ordering" in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("mode", ["manual", "automatic"])
def test_r37_staff_who_change_accounts_set_and_clear_the_payment_hold_in_either_mode(admin_client_for, staff_sam, mode):
    postpay_settings_update(actor=None, postpaid_permission_mode=mode)
    account = AccountFactory(name="Billing Co")
    client = admin_client_for(staff_sam)
    assert "Set payment hold" in client.get(hold_url(account)).content.decode()
    response = client.post(hold_url(account), {"payment_hold": "on", "reason": "invoice 7 overdue"})
    assert response.status_code == 302 and fresh(account).payment_hold is True
    assert f'Payment hold set on "{account}".' in messages_of(response)
    again = client.post(hold_url(account), {"payment_hold": "on", "reason": ""})  # a second submit repeats it
    assert again.status_code == 302 and fresh(account).payment_hold is True
    client.post(hold_url(account), {"payment_hold": "off", "reason": "paid"})
    assert fresh(account).payment_hold is False
    trail = AuditLogEntry.objects.filter(object_type="account", object_id=account.pk, field="payment_hold")
    assert list(trail.order_by("id").values_list("to_value", "reason")) == [
        ("true", "invoice 7 overdue"),
        ("false", "paid"),
    ]


def test_r37_staff_who_may_not_change_accounts_cannot_set_the_payment_hold(admin_client_for, operator_sam):
    account = AccountFactory(name="Billing Co")
    client = admin_client_for(operator_sam)
    assert hold_url(account) not in client.get(change_url(account)).content.decode()
    before = state()
    response = client.post(hold_url(account), {"payment_hold": "on"})
    assert response.status_code == 302 and state() == before


# --- 4. the accounts list -----------------------------------------------------------------------


@pytest.fixture
def listed(manual_mode, flex, manager_max):
    """Three approved accounts with subscriptions: under, at and over their limit; one without."""
    accounts = {}
    for name, limit, subscriptions in (("Under", "300", 1), ("At", "200", 2), ("Over", "300", 2), ("Free", None, 1)):
        customer = customer_of(name, preapproved=True)
        for _ in range(subscriptions):
            order_provision(order_id=place(customer, flex).pk)
        if limit is not None:
            account_credit_terms_update(
                actor=manager_max, account_id=customer.account_id, postpaid_limit=limit, reason="x"
            )
        accounts[name] = customer.account
    account_credit_terms_update(actor=manager_max, account_id=accounts["Over"].pk, postpaid_limit="150", reason="cut")
    return accounts


def test_r43_the_list_in_manually_shows_limit_and_commitment_and_filters_over_limit(
    admin_client_for, superuser, listed
):
    client = admin_client_for(superuser)
    response = client.get(ACCOUNTS)
    assert {"postpaid_limit_amount", "commitment"} <= set(response.context["cl"].list_display)
    html = response.content.decode()
    assert "Postpaid limit" in html and "Commitment" in html and "over limit" in html.lower()
    rows = {row.name: row for row in response.context["cl"].result_list}
    assert rows["Over"].postpaid_commitment == Decimal("200.00") and rows["Free"].postpaid_commitment == Decimal(
        "100.00"
    )
    assert "150.00 USD" in html and "200.00 USD ⚠" in html
    over = client.get(ACCOUNTS + "?over_limit=yes")
    assert [account.name for account in over.context["cl"].result_list] == ["Over"]


def test_r26_r43_in_automatically_the_list_has_no_limit_commitment_or_over_limit_filter(
    admin_client_for, superuser, listed
):
    postpay_settings_update(actor=superuser, postpaid_permission_mode="automatic")
    response = admin_client_for(superuser).get(ACCOUNTS)
    assert not {"postpaid_limit_amount", "commitment", "postpay_permission"} & set(response.context["cl"].list_display)
    shown = text(response.content.decode())
    for words in ("Postpaid limit", "Commitment", "over limit", "Over limit", LABEL):
        assert words not in shown
    assert not hasattr(response.context["cl"].result_list[0], "postpaid_commitment")


@pytest.mark.parametrize("rows", [10, 120])
def test_r43_the_list_reads_the_commitment_in_the_pages_one_query(
    admin_client_for, superuser, listed, rows, django_assert_max_num_queries
):
    Account.objects.bulk_create(  # query-count setup only: no history is read
        [Account(name=f"Bulk {i}", postpaid_limit=Decimal(i)) for i in range(rows)]
    )
    client = admin_client_for(superuser)
    for query in ("", "?over_limit=yes"):
        with django_assert_max_num_queries(12):
            response = client.get(ACCOUNTS + query)
        assert response.status_code == 200


def test_r43_the_list_export_holds_limit_and_commitment_in_manually(admin_client_for, superuser, listed):
    response = admin_client_for(superuser).get(reverse("admin:accounts_account_export") + "?over_limit=yes")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[-3:] == ["Postpaid limit", "Commitment", "Created at"]
    assert len(lines) == 2 and ",150.00,200.00," in lines[1]


# --- 5. the queue and a credit review's page ---------------------------------------------------


def test_r43_the_queue_filters_by_operation_type(admin_client_for, manager_max, credit_review, held_permission):
    client = admin_client_for(manager_max)
    listed = client.get(QUEUE + "?operation__exact=credit_review").context["cl"].result_list
    assert [operation.pk for operation in listed] == [credit_review.pk]
    listed = client.get(QUEUE + "?operation__exact=postpay_permission").context["cl"].result_list
    assert [operation.pk for operation in listed] == [held_permission.pk]


def test_r43_a_credit_reviews_page_shows_its_reasons_the_snapshot_beside_today_and_what_approval_releases(
    admin_client_for, manager_max, credit_review
):
    html = admin_client_for(manager_max).get(operation_url(credit_review)).content.decode()
    why = text(html.split('id="why-held"')[1].split('id="exposure"')[0])
    assert "Hold reasons: Over the postpaid limit" in why
    assert "Held for a credit review because the order goes over the postpaid limit" in why
    assert "commitment was 100.00 USD before the order, the order adds 100.00 USD, and its limit was 100.00 USD" in why
    assert "first gated order" not in why and "Verification not performed" not in why  # not R9's words
    compare = text(html.split('id="credit-compare"')[1].split("</table>")[0])
    assert "Postpaid limit 100.00 USD 100.00 USD" in compare
    assert "Commitment 100.00 USD before the order 200.00 USD open orders included, this one too" in compare
    assert "The order adds 100.00 USD" in compare
    assert "Available — -100.00 USD" in compare and "Payment hold — Off" in compare
    decision = text(html.split('id="decision"')[1])
    assert f"Approving releases order #{credit_review.order_id} (Flex, 100.00 USD per billing period)" in decision
    assert "the account stays approved" in decision
    assert operation_url(credit_review, "approve") in html and operation_url(credit_review, "decline") in html


def test_r41_a_credit_reviews_approval_is_prefilled_with_todays_terms_and_raises_the_limit(
    admin_client_for, manager_max, credit_review
):
    client = admin_client_for(manager_max)
    page = client.get(operation_url(credit_review, "approve"))
    assert page.context["form"].initial == {"postpaid_limit": Decimal("100.00"), "credit_review_on": None}
    assert "Today the account's commitment is 200.00 USD (this order included)" in text(page.content.decode())
    response = client.post(
        operation_url(credit_review, "approve"), {"postpaid_limit": "250", "credit_review_on": "", "note": "ok"}
    )
    assert response.status_code == 302
    assert fresh(credit_review.account).postpaid_limit == Decimal("250.00")
    order = Order.objects.get(pk=credit_review.order_id)
    assert order.status in (OrderStatus.PROVISIONING, OrderStatus.COMPLETED) and order.approved_by == manager_max
    assert fresh(credit_review.account).postpay_permission == PostpayPermission.APPROVED


def test_r41_a_credit_reviews_approval_with_its_terms_untouched_keeps_them(
    admin_client_for, manager_max, credit_review
):
    client = admin_client_for(manager_max)
    response = client.post(
        operation_url(credit_review, "approve"), {"postpaid_limit": "100.00", "credit_review_on": "", "note": ""}
    )
    assert response.status_code == 302
    assert ManualOperation.objects.get(pk=credit_review.pk).status == OperationStatus.APPROVED
    assert fresh(credit_review.account).postpaid_limit == Decimal("100.00")
    assert not AuditLogEntry.objects.filter(
        reason=f"manual operation #{credit_review.pk} approved", field="postpaid_limit"
    )


def test_r41_a_new_limit_below_the_commitment_on_a_credit_review_is_shown_on_the_field(
    admin_client_for, manager_max, credit_review
):
    before = state()
    response = admin_client_for(manager_max).post(
        operation_url(credit_review, "approve"), {"postpaid_limit": "199.99", "credit_review_on": "", "note": ""}
    )
    assert response.status_code == 200
    assert "commitment of 200.00" in response.context["form"].errors["postpaid_limit"][0]
    assert state() == before


def test_r41_approving_a_review_due_offers_an_empty_date_and_clears_it(
    admin_client_for, manager_max, manual_mode, flex
):
    customer = customer_of("Due Co", preapproved=True)
    account_credit_terms_update(
        actor=manager_max, account_id=customer.account_id, credit_review_on=timezone.localdate(), reason="yearly"
    )
    review = ManualOperation.objects.get(order=place(customer, flex))
    assert review.hold_reasons == ["review_due"]
    client = admin_client_for(manager_max)
    page = client.get(operation_url(review, "approve"))
    assert page.context["form"].initial == {"postpaid_limit": None}
    assert "approving clears it (the review took place)" in page.content.decode()
    client.post(operation_url(review, "approve"), {"postpaid_limit": "", "credit_review_on": "", "note": ""})
    assert fresh(customer.account).credit_review_on is None


def test_r41_declining_a_credit_review_fails_only_the_order(admin_client_for, manager_max, credit_review):
    client = admin_client_for(manager_max)
    page = client.get(operation_url(credit_review, "decline")).content.decode()
    assert "The account stays approved with its credit terms." in page
    client.post(operation_url(credit_review, "decline"), {"reason": "credit_risk", "note": ""})
    order = Order.objects.get(pk=credit_review.order_id)
    assert (order.status, order.failure_reason) == (OrderStatus.PROVISIONING_FAILED, "credit_review_declined")
    account = fresh(credit_review.account)
    assert (account.postpay_permission, account.postpaid_limit) == (PostpayPermission.APPROVED, Decimal("100.00"))


def test_r41_bulk_approval_offers_no_terms(admin_client_for, manager_max, credit_review):
    page = admin_client_for(manager_max).post(
        QUEUE, {"action": "approve_selected", "_selected_action": [credit_review.pk]}
    )
    html = page.content.decode()
    assert "Approve 1 operation(s)?" in html and 'name="note"' in html
    assert 'name="postpaid_limit"' not in html and 'name="credit_review_on"' not in html


def test_r43_the_account_page_explains_an_order_held_for_a_credit_review_in_its_words(
    admin_client_for, manager_max, credit_review
):
    html = text(admin_client_for(manager_max).get(change_url(credit_review.account)).content.decode())
    assert (
        f"Order #{credit_review.order_id} — Held for a credit review because the order goes over the postpaid limit"
        in html
    )
    assert "first gated order" not in html


def test_r43_in_automatically_an_open_credit_review_says_terms_are_not_checked(
    admin_client_for, manager_max, credit_review
):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    html = admin_client_for(manager_max).get(operation_url(credit_review)).content.decode()
    assert "credit terms are not checked, but this order stays held until a manager decides" in html


# --- 6. the report, the home and the mode-switch preview count both types ----------------------


def test_r30_r43_the_report_counts_open_operations_by_type(
    admin_client_for, manager_max, credit_review, held_permission
):
    response = admin_client_for(manager_max).get(REPORT)
    by_type = {row["value"]: row["count"] for row in response.context["report"]["open_by_type"]}
    assert by_type == {OperationType.POSTPAY_PERMISSION: 1, OperationType.CREDIT_REVIEW: 1}
    assert response.context["report"]["open_total"] == 2
    html = text(response.content.decode())
    assert "Allow an account has postpaid subscriptions 1" in html and "Credit review 1" in html
    assert "Of which held for a credit review 1 (100.00 USD)" in html


def test_r43_the_home_counts_open_credit_reviews_beside_permission_operations(
    admin_client_for, manager_max, credit_review, held_permission
):
    html = text(admin_client_for(manager_max).get(reverse("admin:index")).content.decode())
    assert "Open manual operations 2" in html
    assert "1 Allow an account has postpaid subscriptions" in html and "1 Credit review" in html


@pytest.mark.parametrize("target", ["automatic", "manual"])
def test_r3_r43_the_mode_switch_preview_counts_accounts_with_terms_and_open_credit_reviews(
    admin_client_for, superuser, credit_review, target
):
    account_payment_hold_set(
        actor=None, account_id=AccountFactory(name="Hold Co", preapproved=True).pk, payment_hold=True
    )
    account_payment_hold_set(actor=None, account_id=AccountFactory(name="Unreviewed Co").pk, payment_hold=True)
    AccountFactory(name="Plain approved", preapproved=True)
    if target == "manual":
        postpay_settings_update(actor=superuser, postpaid_permission_mode="automatic")
    response = admin_client_for(superuser).post(SETTINGS, {"postpaid_permission_mode": target})
    preview = response.context["preview"]
    assert (preview["accounts_with_terms"], preview["open_credit_reviews"]) == (2, 1)
    html = response.content.decode()
    assert '<td id="accounts-with-terms">2</td>' in html and '<td id="open-credit-reviews">1</td>' in html
    note = "kept but not checked" if target == "automatic" else "checked again from the next order"
    assert note in html


def test_r43_the_audit_log_filters_by_the_credit_fields(admin_client_for, superuser, credit_review):
    response = admin_client_for(superuser).get(
        reverse("admin:audit_auditlogentry_changelist") + "?field=postpaid_limit"
    )
    entries = response.context["cl"].result_list
    assert [entry.field for entry in entries] == ["postpaid_limit"]


def test_r31_the_credit_forms_take_their_longest_reason_and_refuse_a_longer_one(
    admin_client_for, manager_max, credit_review
):
    account = credit_review.account
    client = admin_client_for(manager_max)
    saved = client.post(terms_url(account), {"postpaid_limit": "400", "credit_review_on": "", "reason": "r" * 500})
    held = client.post(hold_url(account), {"payment_hold": "on", "reason": "h" * 500})
    assert (saved.status_code, held.status_code) == (302, 302)
    assert AuditLogEntry.objects.filter(reason="r" * 500).exists() and fresh(account).payment_hold is True
    before = state()
    too_long = client.post(terms_url(account), {"postpaid_limit": "500", "credit_review_on": "", "reason": "r" * 501})
    assert "reason" in too_long.context["form"].errors and state() == before
