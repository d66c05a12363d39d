"""Security review, finding 7: a Content-Security-Policy (django-csp 4.0) that allows no
inline script anywhere, and under which the customer portal, the operator portal (Django's
admin) and /api/docs/ (Swagger UI) all work in a real browser with not one violation.

Violations are collected twice: the ``securitypolicyviolation`` events of each page (a
listener added before any of the page's own scripts) and Chromium's console, where every
blocked script, style or image is reported.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from events.services import webhook_endpoint_create
from manual_operations.models import ManualOperation, OperationStatus
from subscriptions.models import Order, Subscription
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "postpay-demo"  # seed_demo's
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
});
"""


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    UserFactory(username="root", is_staff=True, is_superuser=True)
    endpoint = webhook_endpoint_create(actor=None, url="https://hooks.example.com/postpay", events=["*"])
    return {
        "order": Order.objects.filter(account__name="Initech").first(),
        "subscription": Subscription.objects.filter(account__name="Initech").first(),
        "operation": ManualOperation.objects.get(status=OperationStatus.APPROVAL_REQUIRED),  # Globex's
        "endpoint": endpoint,
        "root": User.objects.get(username="root"),
    }


class Watched:
    """A page whose every CSP violation, console report and policy header is kept."""

    def __init__(self, page, base_url):
        self.page, self.base_url = page, base_url
        self.console, self.missing_policy = [], []
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{self.page.url}: {text}")

    def open(self, path):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        if "script-src 'self'" not in policy:
            self.missing_policy.append(path)
        self.page.wait_for_load_state("load")
        return response

    def violations(self):
        return self.page.evaluate("window.__cspViolations")


def test_the_policy_allows_no_inline_script_and_the_collector_sees_a_violation(live_server, page):
    """The detector of the next test works: an inline script added to a page is blocked and
    reported, and the policy is on the answer."""
    watched = Watched(page, live_server.url)
    response = watched.open("/portal/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in watched.violations())


def admin_pages(demo):
    order, subscription, operation, endpoint, root = (
        demo[k] for k in ("order", "subscription", "operation", "endpoint", "root")
    )
    return [
        "/admin/",
        "/admin/accounts/account/",
        f"/admin/accounts/account/{order.account_id}/change/",
        "/admin/accounts/account/add/",
        "/admin/accounts/account/import/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/manual_operations/manualoperation/",
        f"/admin/manual_operations/manualoperation/{operation.pk}/change/",
        "/admin/manual_operations/manualoperation/report/",
        "/admin/subscriptions/order/",
        f"/admin/subscriptions/order/{order.pk}/change/",
        "/admin/subscriptions/subscription/",
        f"/admin/subscriptions/subscription/{subscription.pk}/change/",
        "/admin/subscriptions/plan/",
        "/admin/subscriptions/plan/add/",
        "/admin/audit/auditlogentry/",
        "/admin/settings_app/postpaysettings/1/change/",
        "/admin/events/webhookendpoint/",
        f"/admin/events/webhookendpoint/{endpoint.pk}/change/",
        "/admin/events/webhookdelivery/",
        "/admin/events/event/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",  # filter_horizontal's widget
        f"/admin/accounts/user/{root.pk}/change/",
        f"/admin/accounts/user/{root.pk}/password/",
        f"/admin/accounts/account/{order.account_id}/add-login/",
        f"/admin/accounts/account/{order.account_id}/history/",
        f"/admin/manual_operations/manualoperation/{operation.pk}/approve/",
        f"/admin/manual_operations/manualoperation/{operation.pk}/decline/",
        f"/admin/events/webhookendpoint/{endpoint.pk}/delete/",
        f"/admin/events/webhookendpoint/{endpoint.pk}/rotate-secret/",
    ]


def test_both_portals_the_admin_and_the_api_docs_run_with_no_csp_violation(live_server, page, demo):
    watched = Watched(page, live_server.url)
    violations = {}

    def visit(path):
        watched.open(path)
        found = watched.violations()
        if found:
            violations[path] = found

    # The customer portal, as Initech's customer (approved, with a subscription and orders).
    visit("/portal/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("main h1")
    for path in [
        "/portal/",
        "/portal/catalog/",
        "/portal/orders/",
        f"/portal/orders/{demo['order'].pk}/",
        "/portal/subscriptions/",
        f"/portal/subscriptions/{demo['subscription'].pk}/",
        "/portal/password/",
    ]:
        visit(path)
    page.context.clear_cookies()

    # The operator portal, as a superuser: the index, changelists, change and add pages.
    visit("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    for path in admin_pages(demo):
        visit(path)
    # The page that shows a new secret once (after the rotation's confirmation).
    page.click("input[type=submit][value='Rotate secret'], button:has-text('Rotate secret')")
    expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
    found = watched.violations()
    if found:
        violations["the new secret's page"] = found
    # The admin's own scripts run: the action bar counts a ticked row.
    visit("/admin/subscriptions/order/")
    page.locator("#result_list tbody input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")

    # /api/docs/: Swagger UI renders the schema from its split init script.
    visit("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Postpay Portal API", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 24
    found = watched.violations()
    if found:
        violations["/api/docs/ (rendered)"] = found

    assert not violations, violations
    assert not watched.console, watched.console
    assert not watched.missing_policy, watched.missing_policy


def test_the_lockout_page_needs_no_inline_style(live_server, page, settings):
    UserFactory(username="olga", is_staff=True)
    watched = Watched(page, live_server.url)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", "olga")
        page.fill("#id_password", "wrong-password")
        page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Too many failed login attempts")
    # Styled by the error pages' stylesheet (a file, as the policy wants): its top bar is a flex box.
    assert page.locator("header.topbar .topbar-inner").evaluate("e => getComputedStyle(e).display") == "flex"
    assert not watched.violations() and not watched.console
