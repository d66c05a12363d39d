"""The operator portal in a real browser (Debian's Chromium): a manager's day — R15–R18, R3, R26.

Each test saves a screenshot to docs/screenshots/ for the README.
"""

import time

import pytest
from playwright.sync_api import expect

from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_decline
from settings_app.selectors import postpay_settings_get
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from tests.factories import AccountFactory, ManagerFactory, PlanFactory, UserFactory
from tests.support.browser import log_in, named_held_operation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue_data():
    """A queue worth looking at: several accounts, classes, managers and statuses."""
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    manager = ManagerFactory(username="manager", first_name="Max")
    ManagerFactory(username="mia")
    plan = PlanFactory(name="Cloud Flex", billing_model="postpay", price="29.00", trial_days=30)
    big = PlanFactory(name="Enterprise Metered", billing_model="postpay", price="199.00")
    operations = {
        "globex": named_held_operation("Globex Corporation", big, account_class="Standard", manager="manager"),
        "initech": named_held_operation("Initech", plan, account_class="Enterprise", manager="mia"),
        "umbrella": named_held_operation("Umbrella Health", big, account_class="Enterprise", manager="manager"),
        "hooli": named_held_operation("Hooli", plan, account_class="Standard"),
    }
    manual_operation_approve(actor=manager, operation_id=operations["hooli"].pk, note="Known customer.")
    AccountFactory(name="Vandelay Industries", account_class="Standard", preapproved=True)
    AccountFactory(name="Stark Retail", account_class="Enterprise", manager="mia")
    return manager, operations


def wait_for_status(order_id, status, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = Order.objects.get(pk=order_id)
        if order.status == status:
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} is {order.status}, not {status}, after {timeout} s")


@pytest.mark.worker
def test_r15_manager_approves_in_the_queue_and_the_worker_completes_the_order(
    live_server, page, embedded_broker, start_worker, queue_data, screenshot
):
    manager, operations = queue_data
    broker_url, transport_options = embedded_broker
    start_worker(broker_url=broker_url, transport_options=transport_options)
    operation = operations["globex"]
    page.set_viewport_size({"width": 1700, "height": 800})

    log_in(page, live_server.url, "manager", "/admin/manual_operations/manualoperation/")
    expect(page.locator("#result_list")).to_contain_text("Globex Corporation")
    expect(page.locator("#result_list")).not_to_contain_text("Hooli")  # decided: not in the open queue
    screenshot(page, "operator-queue")

    page.click(f"#result_list a[href$='/manualoperation/{operation.pk}/change/']")
    expect(page.locator("#exposure")).to_contain_text("Held order's price")
    expect(page.locator("#why-held")).to_contain_text("postpay mode was Manually")
    screenshot(page, "operator-operation-detail")

    page.click("#approve-operation")
    page.fill("#id_note", "Known customer, good payment history.")
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text(f"Operation #{operation.pk} approved.")

    order = wait_for_status(operation.order_id, OrderStatus.COMPLETED)
    assert order.approved_by == manager and order.subscription is not None
    assert ManualOperation.objects.get(pk=operation.pk).status == OperationStatus.APPROVED


def test_r16_manager_declines_with_a_reason(live_server, page, queue_data, screenshot):
    _, operations = queue_data
    operation = operations["umbrella"]
    page.set_viewport_size({"width": 1200, "height": 800})
    log_in(page, live_server.url, "manager", f"/admin/manual_operations/manualoperation/{operation.pk}/change/")

    page.click("#decline-operation")
    page.select_option("#id_reason", "credit_risk")
    page.fill("#id_note", "Unpaid invoices with another reseller.")
    screenshot(page, "operator-decline-confirmation")
    page.click("input[type=submit][value=Decline]")

    expect(page.locator(".messagelist")).to_contain_text(f"Operation #{operation.pk} declined.")
    declined = ManualOperation.objects.get(pk=operation.pk)
    assert (declined.status, declined.reason) == (OperationStatus.DECLINED, "credit_risk")
    assert Order.objects.get(pk=operation.order_id).status == OrderStatus.PROVISIONING_FAILED


def test_r14_second_manager_sees_already_decided_not_a_traceback(live_server, page, queue_data):
    _, operations = queue_data
    operation = operations["initech"]
    log_in(page, live_server.url, "manager", f"/admin/manual_operations/manualoperation/{operation.pk}/approve/")
    manual_operation_decline(actor=ManagerFactory(username="mia"), operation_id=operation.pk, reason="other")
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text("already declined by mia at")


def test_r3_settings_page_previews_the_impact_of_a_mode_change(live_server, page, queue_data, screenshot):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page.set_viewport_size({"width": 1200, "height": 900})
    log_in(page, live_server.url, "root", "/admin/settings_app/postpaysettings/")

    page.check("input[name=postpaid_permission_mode][value=automatic]")
    page.click("input[type=submit][name=_save]")
    expect(page.locator("#impact-preview")).to_contain_text("Switching the mode back and forth")
    expect(page.locator("#held-orders")).to_have_text("3")
    screenshot(page, "operator-settings-impact")
    assert postpay_settings_get().is_manual  # not saved before the confirmation

    page.click("input[type=submit][name=confirm]")
    expect(page.locator(".messagelist")).to_contain_text("saved")
    expect(page.locator("#settings-history")).to_contain_text("postpaid_permission_mode")
    assert not postpay_settings_get().is_manual


def test_r26_accounts_list_in_manually_mode(live_server, page, queue_data, screenshot):
    page.set_viewport_size({"width": 1700, "height": 800})
    UserFactory(username="root", is_staff=True, is_superuser=True)
    log_in(page, live_server.url, "root", "/admin/accounts/account/")
    expect(page.locator("#result_list")).to_contain_text("Work permit for postpaid")
    expect(page.locator("#changelist-filter")).to_contain_text("Work permit for postpaid")
    screenshot(page, "operator-accounts")
