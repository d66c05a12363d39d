"""The customer's whole job in a browser (R9, R15, R24, R27): in Manually mode a customer
orders a postpaid plan and sees "Under review"; a manager approves; the customer sees the
subscription active. Saves the README's screenshots."""

import re

import pytest
from playwright.sync_api import expect

from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve
from tests.support.browser import customer_log_in

UNDER_REVIEW = re.compile("under review", re.IGNORECASE)


def nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


@pytest.mark.django_db(transaction=True)
def test_r9_r15_r27_customer_orders_postpaid_is_reviewed_then_sees_it_active(
    live_server,
    page,
    screenshot,
    manual_mode,
    customer_alice,
    postpaid_plan,
    prepaid_plan,
    manager_max,
    django_capture_on_commit_callbacks,
):
    page.set_viewport_size({"width": 1200, "height": 800})
    customer_log_in(page, live_server.url, "alice")

    # The catalog lists the postpaid plan; the customer orders a commercial period, and
    # confirms it on a summary that says the order will be held for a review.
    nav(page, "Catalog")
    cloud_flex = page.get_by_role("article").filter(has_text="Cloud Flex")
    cloud_flex.get_by_role("button", name="Order a commercial period").click()
    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    expect(page.locator("#confirm-price")).to_have_text("29.00 USD per billing period of 30 days")
    expect(page.locator("#confirm-next")).to_contain_text("Your order is held for review")
    screenshot(page, "customer-confirm")
    page.get_by_role("button", name="Confirm").click()

    # R9, R24: the order is held and reads "Under review"; the banner shows (R27).
    expect(page.get_by_role("heading", name=re.compile(r"Order #\d+"))).to_be_visible()
    expect(page.locator(".status.large")).to_have_text("Under review")
    expect(page.locator(".banner")).to_contain_text("under review for postpaid ordering")
    screenshot(page, "customer-order")

    # R27: a second postpaid order shows why before submit, with its button disabled.
    nav(page, "Catalog")
    order_button = (
        page.get_by_role("article")
        .filter(has_text="Cloud Flex")
        .get_by_role("button", name="Order a commercial period")
    )
    expect(order_button).to_be_disabled()
    expect(page.get_by_role("article").filter(has_text="Cloud Flex")).to_contain_text(UNDER_REVIEW)
    screenshot(page, "customer-catalog")

    nav(page, "Dashboard")
    expect(page.get_by_role("region", name="Latest orders")).to_contain_text("Under review")
    screenshot(page, "customer-dashboard")

    # R15: a manager approves through the service; provisioning runs after commit.
    operation = ManualOperation.objects.get(account=customer_alice.account)
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=operation.pk)

    nav(page, "Subscriptions")
    row = page.get_by_role("row").filter(has_text="Cloud Flex")
    expect(row).to_contain_text("Active")
    expect(page.locator(".banner")).to_have_count(0)
    screenshot(page, "customer-subscriptions")

    nav(page, "Dashboard")
    expect(page.get_by_role("region", name="Latest orders")).to_contain_text("Completed")
    expect(page.get_by_role("region", name="Your account")).to_contain_text("Postpaid ordering enabled")
