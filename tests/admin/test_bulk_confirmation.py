"""R18: a bulk decision's confirmation page decides exactly the objects it showed — signed into
the page, never read again from the list's filters — and every selected operation ends decided
or listed as skipped with who decided it and when."""

import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation, OperationOrigin, OperationStatus
from manual_operations.services import manual_operation_ask_in_advance, manual_operation_decline
from postpay_portal.admin_site import SELECTION_FIELD
from tests.admin.bulk import preview_then_confirm, signed_selection
from tests.factories import AccountFactory, CustomerFactory, ManagerFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:manual_operations_manualoperation_changelist")
ACCOUNTS = reverse("admin:accounts_account_changelist")
ALL_MATCHING = {"select_across": "1", "index": "0"}


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def statuses(*operations):
    return [ManualOperation.objects.get(pk=op.pk).status for op in operations]


def test_r18_select_all_matching_never_decides_an_operation_opened_after_the_preview(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    first = held_operation_for("First Co")
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", **ALL_MATCHING, "_selected_action": [first.pk]}
    preview = client.post(QUEUE, data)
    assert "Approve 1 operation(s)?" in preview.content.decode()

    later = held_operation_for("Later Co")  # an order placed meanwhile opens an operation
    refused = client.post(QUEUE, {**data, "confirm": "Approve", SELECTION_FIELD: signed_selection(preview)})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "The selection changed since this page was shown, so nothing was done" in page
    assert f"#{later.pk} matched the list meanwhile" in page
    assert statuses(first, later) == [OperationStatus.APPROVAL_REQUIRED] * 2
    # The page is shown again with the current selection: both are listed, freshly signed.
    assert "Approve 2 operation(s)?" in page and "Later Co" in page and "First Co" in page
    decided = client.post(QUEUE, {**data, "confirm": "Approve", SELECTION_FIELD: signed_selection(refused)})
    assert decided.status_code == 302
    assert statuses(first, later) == [OperationStatus.APPROVED] * 2
    assert f"Approved 2 operation(s): #{first.pk}, #{later.pk}." in texts(decided)


def test_r18_a_ticked_selection_with_an_id_added_to_the_form_decides_nothing(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    shown, other = held_operation_for("Shown Co"), held_operation_for("Other Co")
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", "_selected_action": [shown.pk]}
    preview = client.post(QUEUE, data)

    response = client.post(
        QUEUE,
        {
            **data,
            "_selected_action": [shown.pk, other.pk],
            "confirm": "Approve",
            SELECTION_FIELD: signed_selection(preview),
        },
    )

    assert response.status_code == 200 and "The selection changed" in response.content.decode()
    assert statuses(shown, other) == [OperationStatus.APPROVAL_REQUIRED] * 2


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token, preview: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature
        lambda token, preview: "",  # none at all
        lambda token, preview: token.replace(token.split(":")[0], token.split(":")[0][:-1] + "x"),  # the ids
    ],
    ids=["signature", "missing", "payload"],
)
def test_r18_a_tampered_selection_is_refused_and_nothing_is_decided(
    admin_client_for, manager_max, manual_mode, held_operation_for, tamper
):
    ops = [held_operation_for(f"Tamper {i}") for i in range(2)]
    client = admin_client_for(manager_max)
    data = {"action": "decline_selected", "_selected_action": [ops[0].pk]}
    preview = client.post(QUEUE, data)
    token = tamper(signed_selection(preview), preview)

    response = client.post(QUEUE, {**data, "confirm": "Decline", "reason": "other", SELECTION_FIELD: token})

    assert response.status_code == 200
    assert "could not be verified, so nothing was done" in response.content.decode()
    assert statuses(*ops) == [OperationStatus.APPROVAL_REQUIRED] * 2


def test_r18_a_selection_signed_for_another_manager_or_action_is_refused(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Salted Co")
    client = admin_client_for(manager_max)
    approve = {"action": "approve_selected", "_selected_action": [op.pk]}
    token = signed_selection(client.post(QUEUE, approve))

    as_decline = client.post(
        QUEUE,
        {
            "action": "decline_selected",
            "_selected_action": [op.pk],
            "confirm": "1",
            "reason": "other",
            SELECTION_FIELD: token,
        },
    )
    mia = admin_client_for(ManagerFactory(username="mia"))
    as_mia = mia.post(QUEUE, {**approve, "confirm": "Approve", SELECTION_FIELD: token})

    for response in (as_decline, as_mia):
        assert response.status_code == 200 and "could not be verified" in response.content.decode()
    assert statuses(op) == [OperationStatus.APPROVAL_REQUIRED]


def test_r18_a_confirmation_page_older_than_an_hour_is_shown_again(
    admin_client_for, manager_max, manual_mode, held_operation_for, monkeypatch
):
    op = held_operation_for("Old Co")
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", "_selected_action": [op.pk]}
    token = signed_selection(client.post(QUEUE, data))
    later = time.time() + 2 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)

    response = client.post(QUEUE, {**data, "confirm": "Approve", SELECTION_FIELD: token})

    assert response.status_code == 200 and "more than an hour old" in response.content.decode()
    assert statuses(op) == [OperationStatus.APPROVAL_REQUIRED]


@pytest.mark.parametrize("select_across", [False, True], ids=["ticked", "all-matching"])
def test_r14_r18_an_operation_decided_in_another_tab_is_listed_as_skipped_with_who_and_when(
    admin_client_for, manager_max, manual_mode, held_operation_for, select_across
):
    mine, theirs = held_operation_for("Mine Co"), held_operation_for("Theirs Co")
    client = admin_client_for(manager_max)
    data = {"action": "decline_selected", "_selected_action": [mine.pk, theirs.pk]}
    if select_across:
        data.update(ALL_MATCHING, _selected_action=[mine.pk])
    preview = client.post(QUEUE, data)  # the open queue: both listed
    assert "Decline 2 operation(s)?" in preview.content.decode()
    manual_operation_decline(actor=ManagerFactory(username="mia"), operation_id=theirs.pk, reason="credit_risk")

    response = client.post(
        QUEUE, {**data, "confirm": "Decline", "reason": "other", SELECTION_FIELD: signed_selection(preview)}
    )

    assert response.status_code == 302
    messages = texts(response)
    assert f"Declined 1 operation(s): #{mine.pk}." in messages
    decided_at = ManualOperation.objects.get(pk=theirs.pk).decided_at
    [skipped] = [m for m in messages if m.startswith("Skipped")]
    assert skipped.startswith(f"Skipped 1 operation(s): #{theirs.pk}: This operation was already declined by mia at ")
    assert decided_at.strftime("%Y-%m-%d %H:%M") in skipped
    theirs = ManualOperation.objects.get(pk=theirs.pk)
    assert (theirs.decided_by.username, theirs.reason) == ("mia", "credit_risk")  # R14: mia's decision stands


def test_r18_the_confirmation_lists_account_and_amount_and_styles_decline_as_dangerous(
    admin_client_for, manager_max, manual_mode, held_operation_for, settings
):
    settings.POSTPAY_CURRENCY = "EUR"
    held = held_operation_for("Held Gmbh")
    asker = CustomerFactory(username="asker", account=AccountFactory(name="Asker Ltd"))
    manual_operation_ask_in_advance(actor=asker, account_id=asker.account_id)
    asked = ManualOperation.objects.get(account_id=asker.account_id)
    client = admin_client_for(manager_max)

    page = client.post(QUEUE, {"action": "decline_selected", "_selected_action": [held.pk, asked.pk]})

    html = page.content.decode()
    rows = page.context["table"]["rows"]
    assert rows[0] == (f"#{held.pk}", "Held Gmbh", f"#{held.order_id} Metered", "199.00 EUR", "Approval required")
    assert rows[1][:2] == (f"#{asked.pk}", "Asker Ltd") and rows[1][3] == "no order"
    assert 'class="postpay-danger" name="confirm" value="Decline"' in html
    approve = client.post(QUEUE, {"action": "approve_selected", "_selected_action": [held.pk]}).content.decode()
    assert 'class="default" name="confirm" value="Approve"' in approve


def test_r36b_r18_approve_in_advance_of_all_matching_never_approves_an_account_added_after_the_preview(
    admin_client_for, manager_max, manual_mode
):
    first = AccountFactory(name="First Account")
    client = admin_client_for(manager_max)
    data = {"action": "approve_in_advance_selected", **ALL_MATCHING, "_selected_action": [first.pk]}
    preview = client.post(ACCOUNTS + "?q=Account", data)
    assert "Approve 1 account(s) in advance?" in preview.content.decode()
    assert preview.context["table"]["rows"] == [("First Account", "—", "—", "no order")]

    added = AccountFactory(name="Added Account")
    response = client.post(
        ACCOUNTS + "?q=Account", {**data, "confirm": "1", SELECTION_FIELD: signed_selection(preview)}
    )

    assert response.status_code == 200 and "The selection changed" in response.content.decode()
    assert set(Account.objects.values_list("postpay_permission", flat=True)) == {PostpayPermission.NONE}
    assert not ManualOperation.objects.filter(origin=OperationOrigin.APPROVED_IN_ADVANCE).exists()
    _, confirmed = preview_then_confirm(client, ACCOUNTS + "?q=Account", data, confirm="1")
    assert confirmed.status_code == 302
    assert Account.objects.get(pk=added.pk).postpay_permission == PostpayPermission.APPROVED
