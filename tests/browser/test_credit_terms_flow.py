"""Credit terms in a real browser (Debian's Chromium), SPEC R37–R43: a manager approves a
permission operation with a limit pre-filled from the account class; the customer's next order
goes over it and is held for a credit review (the confirm step says it will be reviewed first);
the managers' home counts the open credit review beside permission operations; the manager
raises the limit from the credit review's page and the order completes; the account page and
the customer's dashboard show the new terms. Saves the user guide's screenshots, and checks
the new pages for serious accessibility violations and the accounts list at 1280 px.
"""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Account, AccountClass
from manual_operations.models import ManualOperation, OperationStatus, OperationType
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from subscriptions.services import order_place, order_provision
from tests.browser.test_layout_and_accessibility import CLIPPED_CELLS_JS
from tests.factories import AccountFactory, CustomerFactory, ManagerFactory, PlanFactory
from tests.support.browser import customer_log_in, log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme():
    """Mode Manually; Acme Corp (class Standard, default limit 50.00) has its first postpaid
    order of 29.00 held for a permission operation (R9)."""
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    ManagerFactory(username="manager", first_name="Max")
    AccountClass.objects.create(name="Standard", default_postpaid_limit=Decimal("50.00"))
    flex = PlanFactory(name="Cloud Flex", billing_model="postpay", price=Decimal("29.00"), trial_days=30)
    PlanFactory(name="Starter", billing_model="prepay", price=Decimal("9.90"), trial_days=14)
    account = AccountFactory(name="Acme Corp", email="billing@acme.example", account_class="Standard")
    customer = CustomerFactory(account=account, username="alice")
    first = order_place(actor=customer, account_id=account.pk, plan_id=flex.pk, period="commercial")
    return account, ManualOperation.objects.get(order=first)


def test_r39_r41_r43_a_limit_set_on_approval_holds_the_next_order_until_a_manager_raises_it(
    live_server, page, acme, screenshot
):
    account, permission = acme
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})

    # R15, R43: the approval page takes a limit, pre-filled from the account class.
    log_in(page, base, "manager", f"/admin/manual_operations/manualoperation/{permission.pk}/change/")
    page.click("#approve-operation")
    expect(page.locator("#id_postpaid_limit")).to_have_value("50.00")
    page.fill("#id_note", "Known customer; start with the Standard limit.")
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text(f"Operation #{permission.pk} approved.")
    order_provision(order_id=permission.order_id)  # idempotent: in-process, whatever ran already
    assert Order.objects.get(pk=permission.order_id).status == OrderStatus.COMPLETED
    assert Account.objects.get(pk=account.pk).postpaid_limit == Decimal("50.00")

    # R39, R42: the customer's second order would take the commitment to 58.00: the confirm
    # step says it is reviewed first (submit enabled), and the placed order reads "Under review".
    customer = page.context.browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    customer_log_in(customer, base, "alice")
    customer.goto(f"{base}/portal/catalog/")
    flex = customer.get_by_role("article").filter(has_text="Cloud Flex")
    expect(flex).to_contain_text("Your provider reviews this order before it is set up")
    flex.get_by_role("button", name="Order a commercial period").click()
    expect(customer.locator("#confirm-review-first")).to_contain_text("Your provider reviews this order")
    expect(customer.get_by_role("button", name="Confirm")).to_be_enabled()
    customer.get_by_role("button", name="Confirm").click()
    expect(customer.locator(".status.large")).to_have_text("Under review")
    review = ManualOperation.objects.get(account=account, operation=OperationType.CREDIT_REVIEW)
    assert review.hold_reasons == ["over_limit"]
    held = Order.objects.get(pk=review.order_id)
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL

    # The managers' home counts the open credit review beside permission operations.
    page.goto(f"{base}/admin/")
    waits = page.locator("#what-waits")
    expect(waits).to_contain_text("Open manual operations")
    expect(waits.locator("li").filter(has_text="Credit review")).to_have_text(re.compile(r"^\s*1\s+Credit review"))
    expect(waits.locator("li").filter(has_text="Allow an account")).to_have_text(re.compile(r"^\s*0\s+Allow"))

    # The credit review's page: its hold reasons, the snapshot beside today's figures, and
    # what approval releases.
    waits.locator("li").filter(has_text="Credit review").get_by_role("link").click()
    page.click(f"#result_list a[href*='/manualoperation/{review.pk}/change/']")
    expect(page.locator("#hold-reasons")).to_contain_text("Over the postpaid limit")
    expect(page.locator("#why-held")).to_contain_text(
        "Held for a credit review because the order goes over the postpaid limit"
    )
    expect(page.locator("#snapshot-commitment")).to_contain_text("29.00 USD")
    expect(page.locator("#today-commitment")).to_contain_text("58.00 USD")
    expect(page.locator("#today-available")).to_have_text("-8.00 USD")
    expect(page.locator("#approval-releases")).to_contain_text(f"Approving releases order #{held.pk} (Cloud Flex")
    screenshot(page, "operator-credit-review")
    review_violations = serious_violations(page)

    # R41: approve and raise the limit in the same decision; the order completes.
    page.click("#approve-operation")
    expect(page.locator("#id_postpaid_limit")).to_have_value("50.00")
    expect(page.locator("#decision-consequence")).to_contain_text("commitment is 58.00 USD")
    page.fill("#id_postpaid_limit", "100.00")
    page.fill("#id_note", "Growing; raised to 100.")
    approve_violations = serious_violations(page)
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text(f"Operation #{review.pk} approved.")
    assert ManualOperation.objects.get(pk=review.pk).status == OperationStatus.APPROVED
    order_provision(order_id=held.pk)
    held.refresh_from_db()
    assert (held.status, held.approved_by.username) == (OrderStatus.COMPLETED, "manager")

    # R43: the account page shows the terms, commitment, what remains and their history.
    page.goto(f"{base}/admin/accounts/account/{account.pk}/change/")
    card = page.locator("#credit-terms")
    expect(card.locator("#credit-limit")).to_have_text("100.00 USD")
    expect(card.locator("#credit-commitment")).to_contain_text("58.00 USD")
    expect(card.locator("#credit-available")).to_have_text("42.00 USD")
    expect(card).to_contain_text(f"manual operation #{review.pk} approved")  # the history of its terms
    screenshot(page, "operator-account-credit-terms")
    account_violations = serious_violations(page)
    page.click("#change-credit-terms")
    expect(page.locator("#id_postpaid_limit")).to_have_value("100.00")
    terms_violations = serious_violations(page)

    # R42: the customer sees the limit, the commitment and what remains.
    customer.goto(f"{base}/portal/")
    credit = customer.locator("#postpaid-credit")
    expect(credit).to_contain_text("58.00 USD per billing period")
    expect(credit).to_contain_text("100.00 USD")
    expect(credit).to_contain_text("42.00 USD")
    screenshot(customer, "customer-dashboard-credit")

    # The accounts list's new columns keep every cell whole at 1280 px.
    page.goto(f"{base}/admin/accounts/account/")
    expect(page.locator("#result_list")).to_contain_text("Commitment")
    clipped = page.evaluate(CLIPPED_CELLS_JS)

    violations = {
        "credit review": review_violations,
        "approve": approve_violations,
        "account": account_violations,
        "change terms": terms_violations,
    }
    customer.context.close()  # its keep-alive connection would hold a database session open
    assert not any(violations.values()), json.dumps(violations, indent=1)
    assert not clipped, json.dumps(clipped, indent=1)
