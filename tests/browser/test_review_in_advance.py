"""R36 in a real browser (Debian's Chromium): a reseller about to switch to Manually follows
the preview's link to the accounts with postpaid subscriptions and approves them in advance
in bulk; a customer asks for postpaid ordering before any order. Screenshots for the README.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation, OperationOrigin
from settings_app.selectors import postpay_settings_get
from settings_app.services import postpay_settings_update
from subscriptions.services import order_place
from tests.factories import PASSWORD, AccountFactory, CustomerFactory, ManagerFactory, PlanFactory
from tests.support.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customers_on_postpaid_plans():
    """Mode Automatically: three customers already on postpaid plans, one only on a prepaid
    trial, one approved already (created pre-approved)."""
    ManagerFactory(username="manager", first_name="Max", is_superuser=True)
    flex = PlanFactory(name="Cloud Flex", billing_model="postpay", price="29.00", trial_days=30)
    starter = PlanFactory(name="Starter", billing_model="prepay", price="9.90", trial_days=14)
    placed = {}
    for name, plan, period in (
        ("Acme Corp", flex, "commercial"),
        ("Globex", flex, "trial"),
        ("Initech", flex, "commercial"),
        ("Soylent", starter, "trial"),
    ):
        account = AccountFactory(name=name, account_class="Standard")
        customer = CustomerFactory(account=account, username=name.split()[0].lower())
        placed[name] = order_place(actor=customer, account_id=account.pk, plan_id=plan.pk, period=period)
    AccountFactory(name="Vandelay Industries", preapproved=True)
    from subscriptions.services import order_provision

    for order in placed.values():
        order_provision(order_id=order.pk)  # no worker in this test: provision in-process
    return placed


def test_r36b_the_preview_links_to_the_accounts_to_approve_and_the_bulk_action_approves_them(
    live_server, page, customers_on_postpaid_plans, screenshot
):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "manager", "/admin/settings_app/postpaysettings/")
    page.check("input[name=postpaid_permission_mode][value=manual]")
    page.click("input[type=submit][name=_save]")
    expect(page.locator("#to-approve-in-advance")).to_contain_text("3 accounts not reviewed yet")
    screenshot(page, "operator-settings-approve-in-advance")
    assert not postpay_settings_get().is_manual  # the preview saves nothing

    page.click("#to-approve-link")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#result_list")).not_to_contain_text("Soylent")  # prepaid only
    expect(page.locator("#result_list")).not_to_contain_text("Vandelay")  # approved already
    page.check("#action-toggle")
    page.select_option("select[name=action]", "approve_in_advance_selected")
    screenshot(page, "operator-accounts-to-approve")
    page.click("button[name=index]")
    expect(page.locator("h1")).to_contain_text("Approve 3 account(s) in advance?")
    page.fill("#id_note", "Existing postpaid customers before the switch to manual approval.")
    screenshot(page, "operator-accounts-approve-in-advance-confirmation")
    page.click("input[type=submit][value='Approve in advance']")
    expect(page.locator(".messagelist")).to_contain_text("Approved 3 account(s) in advance.")

    approved = dict(Account.objects.values_list("name", "postpay_permission"))
    assert approved == {
        "Acme Corp": "approved",
        "Globex": "approved",
        "Initech": "approved",
        "Soylent": "none",
        "Vandelay Industries": "approved",
    }
    assert ManualOperation.objects.filter(origin=OperationOrigin.APPROVED_IN_ADVANCE, order=None).count() == 3

    # Back to the preview: nobody is left to approve; the switch holds no renewal of theirs.
    page.goto(f"{live_server.url}/admin/settings_app/postpaysettings/")
    page.check("input[name=postpaid_permission_mode][value=manual]")
    page.click("input[type=submit][name=_save]")
    expect(page.locator("#impact-preview")).to_be_visible()
    expect(page.locator("#to-approve-in-advance")).to_have_count(0)


def test_r36a_a_customer_asks_for_postpaid_ordering_before_ordering(live_server, page, screenshot):
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    PlanFactory(name="Cloud Flex", billing_model="postpay", price="29.00", trial_days=30)
    account = AccountFactory(name="Acme Corp")
    CustomerFactory(account=account, username="alice")
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/portal/catalog/")
    page.click("text=Ask for postpaid ordering")
    expect(page.locator("h1")).to_have_text("Ask for postpaid ordering")
    screenshot(page, "customer-ask-in-advance")
    page.click("button:has-text('Ask for the review')")
    expect(page.locator(".banner")).to_contain_text("Your account is under review for postpaid ordering")
    account.refresh_from_db()
    assert account.postpay_permission == PostpayPermission.UNDER_REVIEW
    assert ManualOperation.objects.get(account=account).order is None
