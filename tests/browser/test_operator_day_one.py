"""A reseller's first day in the operator portal, in a real browser (Debian's Chromium): the
home shows what waits (R17, R30); a bulk decision's confirmation lists accounts and amounts,
styles Decline as dangerous, and its result lists an operation decided meanwhile in another
tab as skipped with who and when (R14, R18); an operation's page reads information first.
Screenshots for the README.
"""

import re

import pytest
from playwright.sync_api import expect

from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve
from tests.factories import ManagerFactory, PlanFactory
from tests.support.browser import log_in, named_held_operation

pytestmark = pytest.mark.django_db(transaction=True)

DELETE_BUTTON_RED = "rgb(186, 33, 33)"  # Django admin's --delete-button-bg


@pytest.fixture
def waiting_queue():
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    ManagerFactory(username="manager", first_name="Max")
    ManagerFactory(username="mia")
    flex = PlanFactory(name="Cloud Flex", billing_model="postpay", price="29.00", trial_days=30)
    metered = PlanFactory(name="Enterprise Metered", billing_model="postpay", price="199.00")
    return {
        "globex": named_held_operation("Globex Corporation", metered, account_class="Standard", manager="manager"),
        "initech": named_held_operation("Initech", flex, account_class="Enterprise", manager="mia"),
        "umbrella": named_held_operation("Umbrella Health", metered, account_class="Enterprise", manager="manager"),
    }


def test_the_home_shows_what_waits_and_links_to_the_queue(live_server, page, waiting_queue, screenshot):
    manual_operation_approve(actor=ManagerFactory(username="mia"), operation_id=waiting_queue["initech"].pk)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "manager", "/admin/")

    waits = page.locator("#what-waits")
    expect(waits).to_contain_text("Open manual operations")
    expect(waits.locator(".postpay-figure").first.locator(".postpay-figure-value")).to_have_text("2")
    expect(waits).to_contain_text("398.00 USD")  # two held orders of 199.00
    expect(waits).to_contain_text("the target is 24 h")
    expect(page.locator("#recent-decisions")).to_contain_text("None yet")
    assert page.locator("#recent-actions-module").count() == 0  # Django's "Recent actions" is replaced
    screenshot(page, "operator-home")

    page.locator("#what-waits .postpay-figure-value a").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text("Initech")


def test_r18_bulk_decline_confirms_accounts_and_amounts_and_lists_what_was_decided_meanwhile(
    live_server, page, waiting_queue, screenshot
):
    globex, umbrella = waiting_queue["globex"], waiting_queue["umbrella"]
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "manager", "/admin/manual_operations/manualoperation/")
    page.check(f"#result_list input.action-select[value='{globex.pk}']")
    page.check(f"#result_list input.action-select[value='{umbrella.pk}']")
    page.select_option("select[name=action]", "decline_selected")
    page.click("button[name=index]")

    expect(page.locator("h1")).to_contain_text("Decline 2 operation(s)?")
    selection = page.locator("#selection")
    expect(selection).to_contain_text("Globex Corporation")
    expect(selection).to_contain_text("Umbrella Health")
    expect(selection).to_contain_text("199.00 USD")
    decline = page.locator("input[type=submit][value=Decline]")
    assert decline.evaluate("button => getComputedStyle(button).backgroundColor") == DELETE_BUTTON_RED
    page.select_option("#id_reason", "credit_risk")
    page.fill("#id_note", "Both asked for the same large plan on their first day.")
    screenshot(page, "operator-bulk-confirmation")

    # Meanwhile, in another tab, mia approves Umbrella's operation.
    manual_operation_approve(actor=ManagerFactory(username="mia"), operation_id=umbrella.pk)
    decline.click()

    messages = page.locator(".messagelist")
    expect(messages).to_contain_text(f"Declined 1 operation(s): #{globex.pk}.")
    expect(messages).to_contain_text(
        re.compile(rf"Skipped 1 operation\(s\): #{umbrella.pk}: This operation was already approved by mia at \d{{4}}-")
    )
    screenshot(page, "operator-bulk-result")
    assert ManualOperation.objects.get(pk=globex.pk).status == OperationStatus.DECLINED
    assert ManualOperation.objects.get(pk=umbrella.pk).status == OperationStatus.APPROVED


def test_r18_select_all_matching_never_decides_an_operation_opened_after_its_confirmation_page(
    live_server, page, waiting_queue, monkeypatch
):
    from manual_operations.admin import ManualOperationAdmin

    monkeypatch.setattr(ManualOperationAdmin, "list_per_page", 2)  # "select all 3" then spans two pages
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "manager", "/admin/manual_operations/manualoperation/")
    page.check("#action-toggle")
    page.click(".actions .question a")  # "Select all 3 manual operations"
    page.select_option("select[name=action]", "approve_selected")
    page.click("button[name=index]")
    expect(page.locator("h1")).to_contain_text("Approve 3 operation(s)?")

    late = named_held_operation("Late Arrival", PlanFactory(name="Late Plan", billing_model="postpay", price="5.00"))
    page.click("input[type=submit][value=Approve]")

    expect(page.locator("#selection-error")).to_contain_text("The selection changed since this page was shown")
    expect(page.locator("#selection")).to_contain_text("Late Arrival")
    expect(page.locator("h1")).to_contain_text("Approve 4 operation(s)?")
    assert not ManualOperation.objects.filter(status=OperationStatus.APPROVED).exists()
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text("Approved 4 operation(s)")
    assert ManualOperation.objects.get(pk=late.pk).status == OperationStatus.APPROVED


def test_r17_the_operation_page_reads_information_first_then_the_decision(live_server, page, waiting_queue):
    operation = waiting_queue["globex"]
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "manager", f"/admin/manual_operations/manualoperation/{operation.pk}/change/")
    tops = {
        card: page.locator(f"#{card}").bounding_box()["y"]
        for card in ("operation-facts", "why-held", "exposure", "audit-trail", "decision")
    }
    assert list(tops) == sorted(tops, key=tops.get)
    decline = page.locator("#decline-operation")
    assert decline.evaluate("link => getComputedStyle(link).backgroundColor") == DELETE_BUTTON_RED
    expect(page.locator("#operation-facts")).to_contain_text("Approved by manager")
    expect(page.locator("#operation-facts")).to_contain_text("199.00 USD")
