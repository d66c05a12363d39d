"""The customer portal's day-one pages in a real browser (Debian's Chromium): the confirm step,
password reset by e-mail, the error pages, an order page that refreshes itself while it
provisions, the orders list's status filter, and the lists as cards on a 375 px phone
(tables at 1280 px). Saves ``customer-phone-orders.png``."""

import json
import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from settings_app.services import postpay_settings_update
from subscriptions import views as subscription_views
from subscriptions.models import Order, OrderStatus
from subscriptions.services import order_fail_provisioning, order_pay, order_place, order_provision
from tests.factories import PASSWORD, AccountFactory, CustomerFactory, OperatorFactory, PlanFactory
from tests.support.browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUCTIONS = "Bank transfer to IBAN DE02 1203 0000 0000 2020 51, quoting your order number."
LONG_PLAN = "CLOUDFLEX_ENTERPRISE_UNLIMITED_STORAGE"


@pytest.fixture
def shop(monkeypatch):
    """Mode Manually, R2 off. Alice has an order in each status a customer can see: a held
    one (her account is under review), one waiting for payment, one whose provisioning
    failed, completed trials (two subscriptions) — one on a plan with a long one-word name."""
    staff = OperatorFactory(username="olga")
    plans = {
        "flex": PlanFactory(name="Cloud Flex", billing_model="postpay", price="29.00", trial_days=30),
        "starter": PlanFactory(name="Starter", billing_model="prepay", price="9.90", trial_days=14),
        "long": PlanFactory(name=LONG_PLAN, billing_model="prepay", price="12345.00", trial_days=14),
    }
    account = AccountFactory(name="Alice Ltd", email="billing@alice.example")
    alice = CustomerFactory(username="alice", account=account, email="alice@alice.example")

    def place_and_provision(plan, period):
        order = order_place(actor=alice, account_id=account.pk, plan_id=plans[plan].pk, period=period)
        if order.status == OrderStatus.PROVISIONING:
            order_provision(order_id=order.pk)  # no worker in this test: provision in-process
        return order

    place_and_provision("starter", "trial")
    place_and_provision("long", "trial")
    failed = place_and_provision("long", "commercial")
    with monkeypatch.context() as unsent:  # its provisioning is never run: it fails instead
        unsent.setattr("subscriptions.services.orders.enqueue_on_commit", lambda uow, order_id: None)
        order_pay(actor=staff, order_id=failed.pk)
    order_fail_provisioning(order_id=failed.pk, error="tenant quota reached")
    place_and_provision("starter", "commercial")  # waits for payment
    place_and_provision("long", "commercial")  # waits for payment
    postpay_settings_update(actor=None, postpaid_permission_mode="manual", payment_instructions=INSTRUCTIONS)
    held = place_and_provision("flex", "commercial")
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    return {"alice": alice, "plans": plans}


def log_in(page, base_url, username="alice", password=PASSWORD):
    page.goto(f"{base_url}/portal/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_ordering_goes_through_a_summary_that_says_what_happens_next(live_server, page, shop):
    page.set_viewport_size({"width": 1200, "height": 900})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/portal/catalog/")
    starter = page.get_by_role("article").filter(has_text="Starter")
    expect(starter).to_contain_text("Trial used")
    expect(starter.get_by_role("button", name=re.compile("trial"))).to_have_count(0)  # R47: not offered
    starter.get_by_role("button", name="Order a commercial period").click()

    expect(page.get_by_role("heading", name="Confirm your order")).to_be_visible()
    expect(page.locator("#confirm-price")).to_have_text("9.90 USD per billing period of 30 days")
    expect(page.locator("#confirm-next")).to_contain_text("waits for your payment")
    expect(page.locator("#payment-instructions")).to_contain_text(INSTRUCTIONS)
    assert serious_violations(page) == []
    orders = Order.objects.count()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
    assert Order.objects.count() == orders  # the summary placed nothing

    page.get_by_role("article").filter(has_text="Starter").get_by_role(
        "button", name="Order a commercial period"
    ).click()
    page.get_by_role("button", name="Confirm").click()
    order = Order.objects.order_by("-pk").first()
    expect(page.get_by_role("heading", name=f"Order #{order.pk}")).to_be_visible()
    expect(page.locator(".messages")).to_have_text(f"Order #{order.pk} placed.")
    expect(page.locator(".status.large")).to_have_text("Waiting for payment")
    expect(page.locator("#payment-instructions")).to_contain_text(INSTRUCTIONS)

    # A postpaid order of an account under review: the reason shows and Confirm is disabled (R27).
    page.goto(f"{live_server.url}/portal/orders/new/?plan={shop['plans']['flex'].pk}&period=commercial")
    expect(page.locator("#confirm-why")).to_have_text("Your account is under review for postpaid ordering.")
    expect(page.get_by_role("button", name="Confirm")).to_be_disabled()


def test_a_customer_resets_a_forgotten_password_by_e_mail(live_server, page, shop):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/portal/login/")
    mail.outbox.clear()  # the trials' completion e-mails
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Email").fill("alice@alice.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    [message] = mail.outbox
    [link] = re.findall(r"https?://\S+/portal/password/reset/\S+/", message.body)
    page.goto(live_server.url + link.removeprefix(settings.POSTPAY_BASE_URL))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    assert serious_violations(page) == []
    page.fill("#id_new_password1", "a-fresh-horse-42")
    page.fill("#id_new_password2", "a-fresh-horse-42")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Your password is set")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    log_in(page, live_server.url, password="a-fresh-horse-42")


def test_error_pages_are_styled_and_lead_back(live_server, page, shop, monkeypatch):
    page.set_viewport_size({"width": 1200, "height": 900})
    response = page.goto(f"{live_server.url}/portal/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    assert page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(31, 95, 191)"
    assert serious_violations(page) == []
    page.get_by_role("link", name="Customer portal").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    log_in(page, live_server.url)
    monkeypatch.setattr(subscription_views, "plan_list", broken)
    response = page.goto(f"{live_server.url}/portal/catalog/")
    assert response.status == 500
    expect(page.get_by_role("heading", name="Something went wrong on our side")).to_be_visible()
    expect(page.get_by_role("link", name="Operator portal")).to_have_attribute("href", "/admin/")
    assert serious_violations(page) == []
    monkeypatch.undo()

    page.get_by_role("link", name="Customer portal").click()
    page.get_by_role("button", name="Log out").click()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        if page.locator("#id_username").count() == 0:
            break  # locked out
        page.fill("#id_username", "alice")
        page.fill("#id_password", "wrong-password")
        page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Too many failed login attempts")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="reset it by e-mail").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()


def test_an_order_page_refreshes_itself_until_the_subscription_is_ready(live_server, page, shop, monkeypatch):
    """No worker here: the order stays provisioning until the test provisions it, and the
    open page shows "Completed" by itself."""
    monkeypatch.setattr(subscription_views, "REFRESH_SECONDS", 1)
    monkeypatch.setattr("subscriptions.services.orders.enqueue_on_commit", lambda uow, order_id: None)
    alice = shop["alice"]
    order = order_place(actor=alice, account_id=alice.account_id, plan_id=shop["plans"]["flex"].pk, period="trial")
    page.set_viewport_size({"width": 1200, "height": 900})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.locator(".status.large")).to_have_text("Provisioning")
    expect(page.locator("#provisioning-note")).to_contain_text("refreshes itself")
    assert page.locator("script").count() == 0
    order_provision(order_id=order.pk)
    expect(page.locator(".status.large")).to_have_text("Completed", timeout=10_000)
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)


def test_the_status_filter_lists_orders_by_the_status_the_customer_sees(live_server, page, shop):
    page.set_viewport_size({"width": 1200, "height": 900})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/portal/orders/")
    rows = page.locator("table.cards tbody tr")
    expect(rows).to_have_count(6)
    for label, word, count in (
        ("Under review", "under_review", 1),
        ("Waiting for payment", "waiting_for_payment", 2),
        ("Provisioning failed", "failed", 1),
        ("Completed", "completed", 2),
        ("Cancelled", "cancelled", 0),
    ):
        page.get_by_label("Status").select_option(label=label)
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(rf"\?status={word}$"))
        expect(rows).to_have_count(count)
        for status in rows.locator(".status").all():
            expect(status).to_have_text(label)
    expect(page.locator("main")).to_contain_text("No orders with this status.")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Show all").click()
    expect(rows).to_have_count(6)


# Every card's status and price are visible inside the screen; nothing is wider than the
# screen and no box scrolls sideways.
PHONE_CARDS_JS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`page ${page} > ${width}`);
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      problems.push(`a list scrolls sideways: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
    }
  }
  const rows = document.querySelectorAll('table.cards tbody tr');
  if (!rows.length) problems.push('no cards');
  for (const row of rows) {
    const card = row.textContent.trim().slice(0, 30);
    for (const part of ['.card-status .status', '.card-price']) {
      const el = row.querySelector(part);
      const box = el && el.getBoundingClientRect();
      if (!box || box.width === 0 || box.height === 0) {
        problems.push(`${part} hidden in "${card}"`);
      } else if (box.left < 0 || box.right > width) {
        problems.push(`${part} outside the screen in "${card}": ${Math.round(box.left)}–${Math.round(box.right)}`);
      }
    }
    const top = (el) => el.getBoundingClientRect().top;
    const first = [...row.children].sort((a, b) => top(a) - top(b))[0];
    if (!first.matches('.card-status, .card-price')) {
      problems.push(`"${card}" starts with ${first.dataset.label}, not its status and price`);
    }
  }
  return problems;
}"""

# At a desktop width the lists are tables again, every header and cell whole and in view.
DESKTOP_TABLES_JS = """() => {
  const problems = [];
  const tables = document.querySelectorAll('table.cards');
  if (!tables.length) problems.push('no table');
  for (const table of tables) {
    if (getComputedStyle(table).display !== 'table') problems.push('a list is not a table');
    const box = table.closest('.table-wrap').getBoundingClientRect();
    for (const cell of table.querySelectorAll('th, td')) {
      const text = cell.textContent.trim().slice(0, 40);
      for (const el of [cell, ...cell.querySelectorAll('*')]) {
        if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) problems.push(`clipped: "${text}"`);
      }
      const rect = cell.getBoundingClientRect();
      if (rect.right > box.right + 1 || rect.left < box.left - 1) problems.push(`out of view: "${text}"`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) problems.push('page wider than the window');
  return problems;
}"""


def test_customer_lists_are_cards_on_a_phone_and_tables_on_a_desktop(live_server, page, shop, screenshot):
    pages = ["/portal/orders/", "/portal/subscriptions/", "/portal/"]
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server.url)
    problems = {}
    for url in pages:
        page.goto(live_server.url + url)
        page.evaluate("document.fonts.ready")
        found = page.evaluate(PHONE_CARDS_JS)
        if found:
            problems[f"375 {url}"] = found
    page.goto(f"{live_server.url}/portal/orders/")
    screenshot(page, "customer-phone-orders")

    page.set_viewport_size({"width": 1280, "height": 800})
    for url in pages:
        page.goto(live_server.url + url)
        found = page.evaluate(DESKTOP_TABLES_JS)
        if found:
            problems[f"1280 {url}"] = found
    assert not problems, json.dumps(problems, indent=1)


def test_the_new_pages_fit_a_phone(live_server, page, shop):
    flex, long_plan = shop["plans"]["flex"], shop["plans"]["long"]
    subscription = shop["alice"].account.subscriptions.filter(plan=long_plan).get()
    pages = [
        f"/portal/orders/new/?plan={long_plan.pk}&period=commercial",
        f"/portal/orders/new/?plan={flex.pk}&period=commercial",
        f"/portal/subscriptions/{subscription.pk}/renew/",
        f"/portal/subscriptions/{subscription.pk}/switch/?plan={flex.pk}",
        "/portal/orders/?status=failed",
        "/portal/no-such-page/",
        "/portal/password/reset/",
        "/portal/password/reset/sent/",
    ]
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, live_server.url)
    too_wide = {}
    for url in pages:
        page.goto(live_server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width
    assert not too_wide, json.dumps(too_wide, indent=1)
