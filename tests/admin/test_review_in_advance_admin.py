"""R36b in the operator portal: approve in advance on an account's page and as a bulk action
on the accounts list; the mode-switch preview links to the accounts to approve; operations
without an order read "asked in advance" / "approved in advance" in the queue and on their
page."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation, OperationOrigin, OperationStatus
from manual_operations.services import manual_operation_ask_in_advance, manual_operation_decline
from postpay_portal.admin_site import SELECTION_FIELD
from tests.admin.bulk import signed_selection
from tests.factories import AccountFactory, CustomerFactory
from tests.support.actions import place
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

ACCOUNTS = reverse("admin:accounts_account_changelist")


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_r36b_a_manager_approves_an_account_in_advance_from_its_page(admin_client_for, manager_max, alice_account):
    client = admin_client_for(manager_max)
    page = client.get(reverse("admin:accounts_account_change", args=[alice_account.pk])).content.decode()
    url = reverse("admin:accounts_account_approve_in_advance", args=[alice_account.pk])
    assert f'href="{url}"' in page
    assert "Approve in advance" in client.get(url).content.decode()  # the confirmation
    assert Account.objects.get(pk=alice_account.pk).postpay_permission == PostpayPermission.NONE
    response = client.post(url, {"note": "long-standing customer"})
    assert response["Location"] == reverse("admin:accounts_account_change", args=[alice_account.pk])
    assert Account.objects.get(pk=alice_account.pk).postpay_permission == PostpayPermission.APPROVED
    operation = ManualOperation.objects.get(account=alice_account)
    assert (operation.status, operation.note, operation.decided_by) == (
        "approved",
        "long-standing customer",
        manager_max,
    )
    page = client.get(reverse("admin:accounts_account_change", args=[alice_account.pk])).content.decode()
    assert f'href="{url}"' not in page  # only for accounts not reviewed


def test_r36b_staff_without_the_decide_permission_see_no_button_and_are_refused(
    admin_client_for, staff_sam, alice_account
):
    client = admin_client_for(staff_sam)
    url = reverse("admin:accounts_account_approve_in_advance", args=[alice_account.pk])
    assert url not in client.get(reverse("admin:accounts_account_change", args=[alice_account.pk])).content.decode()
    before = snapshot()
    assert client.post(url, {"note": ""}).status_code == 403
    assert snapshot() == before
    response = client.post(
        ACCOUNTS, {"action": "approve_in_advance_selected", "_selected_action": [alice_account.pk], "confirm": "1"}
    )
    assert snapshot() == before and response.status_code in (200, 302)


def test_r36b_bulk_approval_changes_only_none_accounts_and_counts_the_skipped_by_reason(
    admin_client_for, manager_max, manual_mode, postpaid_plan
):
    fresh = [AccountFactory(name=f"Fresh {i}") for i in range(3)]
    held = CustomerFactory(account=AccountFactory(name="Held"))
    place(held, postpaid_plan)
    declined = CustomerFactory(account=AccountFactory(name="Declined"))
    manual_operation_decline(
        actor=manager_max, operation_id=place(declined, postpaid_plan).manual_operation.pk, reason="other"
    )
    approved = AccountFactory(name="Approved", preapproved=True)
    ids = [a.pk for a in fresh] + [held.account_id, declined.account_id, approved.pk]
    client = admin_client_for(manager_max)
    confirm = client.post(ACCOUNTS, {"action": "approve_in_advance_selected", "_selected_action": ids})
    assert "Approve 6 account(s) in advance?" in confirm.content.decode()
    assert ManualOperation.objects.filter(origin=OperationOrigin.APPROVED_IN_ADVANCE).count() == 0
    response = client.post(
        ACCOUNTS,
        {
            "action": "approve_in_advance_selected",
            "_selected_action": ids,
            "confirm": "1",
            "note": "before the switch",
            SELECTION_FIELD: signed_selection(confirm),
        },
    )
    assert response.status_code == 302
    messages = texts(response)
    assert "Approved 3 account(s) in advance." in messages
    skipped = next(m for m in messages if m.startswith("Skipped"))
    assert skipped.startswith("Skipped 3 account(s): ")
    assert "1 × The account is under review: decide its open manual operation instead." in skipped
    assert "1 × The account is already approved for postpaid ordering." in skipped
    assert "1 × The account's permission to order postpaid subscriptions was declined." in skipped
    statuses = dict(Account.objects.filter(pk__in=ids).values_list("name", "postpay_permission"))
    assert statuses == {
        "Fresh 0": "approved",
        "Fresh 1": "approved",
        "Fresh 2": "approved",
        "Held": "under_review",
        "Declined": "declined",
        "Approved": "approved",
    }
    assert (
        ManualOperation.objects.filter(
            origin=OperationOrigin.APPROVED_IN_ADVANCE, status="approved", note="before the switch"
        ).count()
        == 3
    )


def test_r36b_the_mode_switch_preview_links_to_the_accounts_with_postpaid_subscriptions(
    admin_client_for, superuser, customer_alice, postpaid_plan, prepaid_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        place(customer_alice, postpaid_plan)  # Automatically mode: a postpaid subscription, account none
        prepaid_only = CustomerFactory(account=AccountFactory(name="Prepaid only"))
        place(prepaid_only, prepaid_plan, "trial")
    client = admin_client_for(superuser)
    preview = client.post(
        "/admin/settings_app/postpaysettings/1/change/", {"postpaid_permission_mode": "manual"}
    ).content.decode()
    assert "1 account not reviewed yet already\n      has postpaid subscriptions" in preview
    link = f"{ACCOUNTS}?postpaid_subscriptions=not_approved"
    assert f'href="{link}"' in preview
    listed = client.get(link)
    assert [a.pk for a in listed.context["cl"].result_list] == [customer_alice.account_id]
    assert "Work permit for postpaid" not in listed.content.decode()  # R26: mode still Automatically


def test_r36_the_queue_and_the_page_say_asked_or_approved_in_advance(
    admin_client_for, manager_max, manual_mode, customer_alice
):
    manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id)
    asked = ManualOperation.objects.get()
    client = admin_client_for(manager_max)
    queue = client.get(reverse("admin:manual_operations_manualoperation_changelist")).content.decode()
    assert "Alice Ltd: postpaid ordering asked in advance by alice" in queue
    page = client.get(reverse("admin:manual_operations_manualoperation_change", args=[asked.pk])).content.decode()
    assert "Why this operation is open" in page
    assert "Asked in advance by alice" in page
    assert "— (no order held)" in page
    confirm = client.get(reverse("admin:manual_operations_manualoperation_approve", args=[asked.pk]))
    assert "no order: asked in advance by alice" in confirm.content.decode()
    client.post(reverse("admin:manual_operations_manualoperation_approve", args=[asked.pk]), {"note": ""})
    assert ManualOperation.objects.get().status == OperationStatus.APPROVED
    other = AccountFactory(name="Other Co")
    client.post(reverse("admin:accounts_account_approve_in_advance", args=[other.pk]), {"note": "vip"})
    approved = ManualOperation.objects.get(account=other)
    page = client.get(reverse("admin:manual_operations_manualoperation_change", args=[approved.pk])).content.decode()
    assert "Approved in advance by max" in page and "Note: vip" in page
    report = client.get(reverse("admin:manual_operations_manualoperation_report"))
    assert report.status_code == 200
