"""Issue 11 item 7: operator lists over big tables count their rows only up to a cap, and
their pages stay whole (the selection checkbox rendered without Django's widget template)."""

import pytest

from manual_operations.models import ManualOperation, OperationStatus
from postpay_portal.admin_site import CappedCountPaginator
from tests.admin.bulk import preview_then_confirm
from tests.factories import AccountFactory

ACCOUNTS = "/admin/accounts/account/"
QUEUE = "/admin/manual_operations/manualoperation/"


@pytest.fixture
def cap_of_two(monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)


def test_a_list_counts_up_to_the_cap_and_says_more_than(admin_client_for, superuser, cap_of_two):
    for n in range(4):
        AccountFactory(name=f"Capped {n}")
    page = admin_client_for(superuser).get(ACCOUNTS).content.decode()
    assert "more than 2 accounts" in page
    assert "Select all accounts matching the filters (more than 2)" in page
    assert page.count('class="action-select"') == 4  # every row of the page is listed


def test_a_list_under_the_cap_reads_its_exact_count(admin_client_for, superuser):
    for n in range(3):
        AccountFactory(name=f"Exact {n}")
    page = admin_client_for(superuser).get(ACCOUNTS).content.decode()
    assert "3 accounts" in page and "more than" not in page
    assert '<input type="checkbox" name="_selected_action" value="' in page


def test_r18_select_all_past_the_cap_still_decides_every_matching_operation(
    admin_client_for, manager_max, manual_mode, held_operation_for, cap_of_two
):
    operations = [held_operation_for(name=f"Held {n}") for n in range(3)]
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", "select_across": "1", "index": "0", "_selected_action": [operations[0].pk]}
    _, response = preview_then_confirm(client, QUEUE, data, confirm="Approve", note="")
    assert response.status_code == 302
    assert ManualOperation.objects.filter(status=OperationStatus.APPROVED).count() == 3


def test_a_filtered_list_links_each_row_with_its_filters(admin_client_for, superuser, manual_mode, held_operation_for):
    """The row links keep the list's filters, as Django's own changelist builds them."""
    operation = held_operation_for(name="Linked Co")
    page = admin_client_for(superuser).get(QUEUE + "?status=approval_required").content.decode()
    assert (
        f'/admin/manual_operations/manualoperation/{operation.pk}/change/?_changelist_filters=status%3Dapproval_required"'
        in page
    )
    unfiltered = admin_client_for(superuser).get(QUEUE).content.decode()
    assert f'/admin/manual_operations/manualoperation/{operation.pk}/change/"' in unfiltered
