"""Accounts in the operator portal: R7, R8, R26, R29."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Account, PostpayPermission, User
from audit.models import AuditLogEntry
from manual_operations.models import DeclineReason
from manual_operations.services import manual_operation_decline
from settings_app.services import postpay_settings_update
from tests.factories import PASSWORD, AccountFactory

LABEL = "Work permit for postpaid"
LIST_URL = reverse("admin:accounts_account_changelist")


def change_url(account):
    return reverse("admin:accounts_account_change", args=[account.pk])


@pytest.mark.django_db
def test_r26_column_and_filter_only_in_manually_mode(admin_client_for, superuser):
    AccountFactory(name="Visible Co")
    client = admin_client_for(superuser)

    automatic = client.get(LIST_URL)
    assert automatic.status_code == 200
    assert LABEL not in automatic.content.decode()
    assert "postpay_permission" not in [c for c in automatic.context["cl"].list_display]

    postpay_settings_update(actor=superuser, postpaid_permission_mode="manual")
    manual = client.get(LIST_URL)
    assert LABEL in manual.content.decode()
    assert "postpay_permission" in manual.context["cl"].list_display
    assert "?postpay_permission=under_review" in manual.content.decode()  # the filter


@pytest.mark.django_db
def test_r26_automatic_mode_account_page_never_shows_the_label_even_with_audit_entries(
    admin_client_for, superuser, manual_mode, held_operation_for, manager_max
):
    operation = held_operation_for("Was Held")
    manual_operation_decline(actor=manager_max, operation_id=operation.pk, reason=DeclineReason.CREDIT_RISK)
    assert AuditLogEntry.objects.filter(object_type="account", object_id=operation.account_id).count() == 3
    postpay_settings_update(actor=superuser, postpaid_permission_mode="automatic")
    client = admin_client_for(superuser)

    page = client.get(change_url(operation.account)).content.decode()
    listing = client.get(LIST_URL).content.decode()

    assert "Was Held" in page and "Was Held" in listing
    assert "postpay_permission" in page  # the audit trail is there, by field name
    assert LABEL not in page
    assert LABEL not in listing
    assert "Declined" not in listing


@pytest.mark.django_db
def test_r26_manually_mode_account_page_shows_status_operation_and_why_refused(
    admin_client_for, superuser, manual_mode, held_operation_for, manager_max
):
    operation = held_operation_for("Refused Co")
    manual_operation_decline(actor=manager_max, operation_id=operation.pk, reason=DeclineReason.FRAUD_SUSPECTED)

    page = admin_client_for(superuser).get(change_url(operation.account)).content.decode()

    assert LABEL in page
    assert f"#{operation.pk} Allow an account has postpaid subscriptions" in page
    assert f"Order #{operation.order_id}" in page
    assert "refused: declined by max at" in page
    assert "Fraud suspected" in page


@pytest.mark.django_db
def test_r26_held_order_is_explained_on_the_account_page(admin_client_for, superuser, manual_mode, held_operation_for):
    operation = held_operation_for("Waiting Co")
    page = admin_client_for(superuser).get(change_url(operation.account)).content.decode()
    assert "Held because the postpay mode was Manually, the plan is postpaid and the period is commercial" in page
    assert "Approval required" in page


@pytest.mark.django_db
def test_r7_permission_is_read_only_on_the_account_page(admin_client_for, superuser, manual_mode):
    account = AccountFactory(name="Fixed Co")
    client = admin_client_for(superuser)
    form = client.get(change_url(account)).context["adminform"].form
    assert "postpay_permission" not in form.fields

    response = client.post(
        change_url(account),
        {
            "name": "Renamed Co",
            "email": "",
            "postpay_permission": "approved",
            "_save": "Save",
            "users-TOTAL_FORMS": "0",
            "users-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed Co"
    assert account.postpay_permission == PostpayPermission.NONE


@pytest.mark.django_db
def test_r7_operator_creates_an_account_pre_approved_through_the_service(admin_client_for, superuser, manager_max):
    client = admin_client_for(superuser)
    assert client.get(reverse("admin:accounts_account_add")).status_code == 200

    response = client.post(
        reverse("admin:accounts_account_add"),
        {
            "name": "Trusted Co",
            "email": "ops@trusted.example",
            "manager": manager_max.pk,
            "preapproved": "on",
        },
    )

    account = Account.objects.get(name="Trusted Co")
    assert response.status_code == 302 and response["Location"] == change_url(account)
    assert account.postpay_permission == PostpayPermission.APPROVED
    assert account.manager == manager_max
    reasons = list(
        AuditLogEntry.objects.filter(object_type="account", object_id=account.pk).values_list("reason", flat=True)
    )
    assert "created pre-approved" in reasons  # R29: through account_create, audited


@pytest.mark.django_db
def test_r8_account_created_without_pre_approval_starts_at_none(admin_client_for, superuser):
    admin_client_for(superuser).post(reverse("admin:accounts_account_add"), {"name": "Plain Co"})
    assert Account.objects.get(name="Plain Co").postpay_permission == PostpayPermission.NONE


@pytest.mark.django_db
def test_invalid_account_is_refused_with_a_form_error_and_nothing_created(admin_client_for, superuser):
    response = admin_client_for(superuser).post(reverse("admin:accounts_account_add"), {"name": "  ", "email": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_customer_logins_are_listed_and_added_through_the_service(admin_client_for, superuser, customer_alice):
    client = admin_client_for(superuser)
    account = customer_alice.account
    assert "alice" in client.get(change_url(account)).content.decode()

    url = reverse("admin:accounts_account_add_login", args=[account.pk])
    response = client.post(url, {"username": "alice2", "password": PASSWORD, "email": "a2@alice.example"})
    assert response.status_code == 302
    assert User.objects.get(username="alice2").account == account

    duplicate = client.post(url, {"username": "alice2", "password": PASSWORD})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()
    assert User.objects.filter(username="alice2").count() == 1


@pytest.mark.django_db
def test_operator_without_add_permission_cannot_create_accounts(admin_client_for, operator_sam):
    response = admin_client_for(operator_sam).post(reverse("admin:accounts_account_add"), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Account.objects.filter(name="Sneaky").exists()


def _bulk_accounts(n):
    """Query-count setup only: bulk_create is enough here, nothing reads a status history."""
    Account.objects.bulk_create([Account(name=f"Bulk {i}") for i in range(n)])


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 1000])
def test_accounts_list_runs_a_constant_number_of_queries(
    admin_client_for, superuser, manual_mode, rows, django_assert_max_num_queries
):
    _bulk_accounts(rows)
    client = admin_client_for(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(LIST_URL)
    assert response.status_code == 200


@pytest.mark.django_db
def test_accounts_list_does_not_count_the_whole_table_when_filtered(
    admin_client_for, superuser, manual_mode, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    _bulk_accounts(30)
    client = admin_client_for(superuser)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST_URL + "?q=Bulk+1")
    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "accounts_account" in q["sql"]]
    assert counts and all("WHERE" in sql.upper() for sql in counts)
