"""Both portals in a real browser, on the demo data in Manually mode (held, approved and
declined accounts): every operator changelist keeps its columns whole at 1280 px; both
portals have no serious or critical axe-core violation; the customer portal fits a 375 px
screen. (Issue 9, findings 10 and 13.)

axe-core comes from the PyPI package ``axe-playwright-python`` (requirements-dev.txt), which
bundles its ``axe.min.js``: nothing is fetched at run time.
"""

import json

import pytest
from django.core.management import call_command

from accounts.models import Account, User
from manual_operations.models import ManualOperation
from subscriptions.models import Order, Subscription
from tests.factories import PASSWORD
from tests.support.browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "postpay-demo"  # seed_demo's

# Besides every changelist the index links to: the queue's other statuses.
EXTRA_CHANGELISTS = ["/admin/manual_operations/manualoperation/?status=all"]

# Every header and cell of the results table (and whatever is inside them) shows its whole
# content, and sits inside the visible part of the results box: a column that only appears
# when the box is scrolled sideways is a hidden column.
CLIPPED_CELLS_JS_BODY = """() => {
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
  const width = table.getBoundingClientRect().width;
  if (width > visible.width + 1) {
    problems.push(`results table wider than its box (${Math.round(width)} > ${Math.round(visible.width)})`);
  }
  return problems.concat(brokenWords(table));
}"""

# A word of a cell — a code, a date, a name, a username — laid out on more than one line is
# broken inside. Words are separated by white space; a long compound name may also wrap where
# the page offers a break (<wbr>), between its parts, each part whole.
BROKEN_WORDS_JS = """function brokenWords(root) {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const words = /\\S+/g;
    for (let m = words.exec(node.textContent); m; m = words.exec(node.textContent)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(`word broken over ${lines.size} lines: "${m[0]}"`);
    }
  }
  return broken;
}"""
CLIPPED_CELLS_JS = f"() => {{ {BROKEN_WORDS_JS}; return ({CLIPPED_CELLS_JS_BODY})(); }}"


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


def changelists_linked_from_the_index(page, base_url):
    """Every list a superuser's index links to (third-party ones included), and the extras."""
    page.goto(base_url + "/admin/")
    links = page.eval_on_selector_all(
        "#content-main .module th[scope=row] a", "els => els.map(a => a.getAttribute('href'))"
    )
    assert len(links) >= 15, links
    return [*links, *EXTRA_CHANGELISTS]


def lists_data(live_server):
    """Something in every list: a webhook endpoint with a pending and a failed delivery (the
    test's failed and successful logins fill django-axes' lists)."""
    from django.conf import settings

    from events.models import WebhookDelivery
    from events.services import webhook_delivery_attempt, webhook_endpoint_create

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = webhook_endpoint_create(
        actor=None,
        url="http://127.0.0.1:9/postpay/webhooks/receiver-with-a-rather-long-path?tenant=globex-international",
        events=["*"],
        description="Billing system (staging), receives every event",
    )
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, trial_requires_approval=True)
    for delivery in WebhookDelivery.objects.filter(endpoint=endpoint)[:1]:
        webhook_delivery_attempt(delivery_id=delivery.pk)
    # The API tokens and the second-factor devices of a staff login (R45, R46).
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.tokens import api_token_create
    from tests.factories import StaffFactory

    integrator = StaffFactory(username="integration-account-for-the-billing-system")
    api_token_create(actor=None, user=integrator, name="nightly-billing-export-to-the-erp")
    TOTPDevice.objects.create(user=integrator, name="Authenticator app", confirmed=True)
    StaticDevice.objects.create(user=integrator, name="Backup codes", confirmed=True)


def test_every_operator_changelist_keeps_its_columns_whole_at_1280_px(live_server, page, demo):
    lists_data(live_server)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")  # a failed login: django-axes' access attempts
    page.fill("#id_username", "mallory")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    admin_log_in(page, live_server.url, "root", PASSWORD)

    clipped = {}
    for url in changelists_linked_from_the_index(page, live_server.url):
        page.goto(live_server.url + url)
        if page.locator("#result_list").count() == 0 and page.locator("#changelist").count() == 0:
            continue  # not a list (the settings page is one form)
        assert page.locator("#result_list tbody tr").count() > 0, f"{url} has no rows to check"
        problems = page.evaluate(CLIPPED_CELLS_JS)
        if problems:
            clipped[url] = problems
    assert not clipped, json.dumps(clipped, indent=1)


def test_the_queue_breaks_no_word_on_a_phone(live_server, page, demo):
    page.set_viewport_size({"width": 375, "height": 800})
    admin_log_in(page, live_server.url, "manager", DEMO_PASSWORD)
    broken = {}
    for url in ["/admin/manual_operations/manualoperation/", "/admin/manual_operations/manualoperation/?status=all"]:
        page.goto(live_server.url + url)
        assert page.locator("#result_list tbody tr").count() > 0
        found = page.evaluate(
            f"() => {{ {BROKEN_WORDS_JS}; return brokenWords(document.querySelector('#result_list')); }}"
        )
        if found:
            broken[url] = found
    assert not broken, json.dumps(broken, indent=1)


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
        f"/admin/manual_operations/manualoperation/{declined_operation.pk}/history/",
        "/admin/audit/auditlogentry/?q=Globex",
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
