"""Both portals in a real browser, on the demo data in Manually mode (held, approved and
declined accounts): every operator changelist keeps its columns whole at 1280 px; both
portals have no serious or critical axe-core violation; the customer portal fits a 375 px
screen. (Issue 9, findings 10 and 13.)

axe-core comes from the PyPI package ``axe-playwright-python`` (requirements-dev.txt), which
bundles its ``axe.min.js``: nothing is fetched at run time.
"""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from accounts.models import Account, User
from manual_operations.models import ManualOperation
from subscriptions.models import Order, Subscription
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "postpay-demo"  # seed_demo's
BLOCKING_IMPACTS = {"serious", "critical"}

CHANGELISTS = [
    "/admin/accounts/account/",
    "/admin/manual_operations/manualoperation/",
    "/admin/manual_operations/manualoperation/?status=all",
    "/admin/subscriptions/order/",
    "/admin/subscriptions/subscription/",
    "/admin/subscriptions/plan/",
    "/admin/audit/auditlogentry/",
    "/admin/accounts/user/",
]

# Every header and cell of the results table (and whatever is inside them) shows its whole
# content, and sits inside the visible part of the results box: a column that only appears
# when the box is scrolled sideways is a hidden column.
CLIPPED_CELLS_JS = """() => {
  const table = document.querySelector('#result_list');
  if (!table) return ['no results table'];
  const box = table.closest('.results') || table.parentElement;
  const visible = box.getBoundingClientRect();
  const problems = [];
  const label = (el) => `${el.tagName.toLowerCase()}.${el.className || '-'} "${el.textContent.trim().slice(0, 40)}"`;
  for (const cell of table.querySelectorAll('th, td')) {
    for (const el of [cell, ...cell.querySelectorAll('*')]) {
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`content wider than its box (${el.scrollWidth} > ${el.clientWidth}): ${label(el)}`);
      }
    }
    const rect = cell.getBoundingClientRect();
    if (rect.right > visible.right + 1 || rect.left < visible.left - 1) {
      const where = `${Math.round(rect.right)} > ${Math.round(visible.right)}`;
      problems.push(`outside the visible results box (${where}): ${label(cell)}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`page wider than the window: ${document.documentElement.scrollWidth}`);
  }
  return problems;
}"""


@pytest.fixture
def demo(db):
    """The demo data: Manually mode; Acme none, Globex under review with a held order,
    Initech approved with a postpaid subscription, Umbrella declined; plans, logins, audit."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    from tests.factories import UserFactory

    UserFactory(username="root", is_staff=True, is_superuser=True)
    long_words_customer()
    return {
        "held": Account.objects.get(name="Globex"),
        "declined": Account.objects.get(name="Umbrella"),
        "approved": Account.objects.get(name="Initech"),
    }


def long_words_customer():
    """A customer whose account and plan have names made of one long word (a brand written
    together, a product code): "erin", with a subscription and an order."""
    from accounts.services import account_create, account_user_create
    from subscriptions.services import order_place, plan_create

    manager = User.objects.get(username="manager")
    plan = plan_create(
        actor=None,
        name="CLOUDFLEX_ENTERPRISE_UNLIMITED_STORAGE",
        billing_model="prepay",
        price="12345.00",
        trial_days=14,
    )
    account = account_create(
        actor=manager, name="VandelayIndustriesInternationalImportExport", account_class="Standard", manager="manager"
    )
    erin = account_user_create(actor=manager, account_id=account.pk, username="erin", password=DEMO_PASSWORD)
    order_place(actor=erin, account_id=account.pk, plan_id=plan.pk, period="trial")


def admin_log_in(page, base_url, username, password):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def portal_log_in(page, base_url, username):
    page.goto(f"{base_url}/portal/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("main h1")


def test_every_operator_changelist_keeps_its_columns_whole_at_1280_px(live_server, page, demo):
    page.set_viewport_size({"width": 1280, "height": 800})
    admin_log_in(page, live_server.url, "root", PASSWORD)

    clipped = {}
    for url in CHANGELISTS:
        page.goto(live_server.url + url)
        assert page.locator("#result_list tbody tr").count() > 0, f"{url} has no rows to check"
        problems = page.evaluate(CLIPPED_CELLS_JS)
        if problems:
            clipped[url] = problems
    assert not clipped, json.dumps(clipped, indent=1)


def serious_violations(page):
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [
        f"{violation['id']} ({violation['impact']}): " + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def customer_pages(account):
    """The main pages, with every order and subscription of the account (held, failed by the
    decline, completed; trial and commercial, prepaid and postpaid)."""
    orders = [f"/portal/orders/{pk}/" for pk in Order.objects.filter(account=account).values_list("pk", flat=True)]
    subscriptions = [
        f"/portal/subscriptions/{pk}/"
        for pk in Subscription.objects.filter(account=account).values_list("pk", flat=True)
    ]
    assert orders and subscriptions
    return [
        "/portal/",
        "/portal/catalog/",
        "/portal/orders/",
        *orders,
        "/portal/subscriptions/",
        *subscriptions,
        "/portal/password/",
        "/portal/api-tokens/",
    ]


@pytest.mark.parametrize("login", ["bob", "carol", "dave", "erin"])  # under review, approved, declined, long names
def test_customer_portal_has_no_serious_accessibility_violations_and_fits_375_px(live_server, page, demo, login):
    account = Account.objects.get(users__username=login)
    pages = customer_pages(account)

    page.set_viewport_size({"width": 1200, "height": 800})
    portal_log_in(page, live_server.url, login)
    violations = {}
    for url in pages:
        page.goto(live_server.url + url)
        found = serious_violations(page)
        if found:
            violations[url] = found

    page.set_viewport_size({"width": 375, "height": 800})
    too_wide = {}
    for url in pages:
        page.goto(live_server.url + url)
        page.evaluate("document.fonts.ready")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width

    assert not violations, json.dumps(violations, indent=1)
    assert not too_wide, json.dumps(too_wide, indent=1)


def test_operator_portal_has_no_serious_accessibility_violations(live_server, page, demo):
    held_operation = ManualOperation.objects.get(account=demo["held"])
    declined_operation = ManualOperation.objects.get(account=demo["declined"])
    pages = [
        "/admin/",
        "/admin/manual_operations/manualoperation/",
        f"/admin/manual_operations/manualoperation/{held_operation.pk}/change/",
        f"/admin/manual_operations/manualoperation/{declined_operation.pk}/change/",
        "/admin/accounts/account/",
        f"/admin/accounts/account/{demo['held'].pk}/change/",
        f"/admin/accounts/account/{demo['declined'].pk}/change/",
        "/admin/subscriptions/order/",
        f"/admin/subscriptions/order/{held_operation.order_id}/change/",
        "/admin/settings_app/postpaysettings/",
        "/admin/manual_operations/manualoperation/report/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/apitoken/create/",
        "/admin/second-factor/",
    ]
    page.set_viewport_size({"width": 1280, "height": 800})
    admin_log_in(page, live_server.url, "manager", DEMO_PASSWORD)

    violations = {}
    for url in pages:
        response = page.goto(live_server.url + url)
        assert response.status == 200, url
        found = serious_violations(page)
        if found:
            violations[url] = found
    assert not violations, json.dumps(violations, indent=1)
