"""The operator and customer portals in a real browser: logging in, the accessibility check,
and the data the screenshots show."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.support.actions import held_for_new_account

# What an accessibility check (axe) may not find on any page.
BLOCKING_IMPACTS = {"serious", "critical"}


def named_held_operation(name, plan, **account_kwargs):
    """R9 through the services: the first gated order of a new account whose billing e-mail
    and customer's login are named after it, as the screenshots show them."""
    first = name.split()[0].lower()
    order = held_for_new_account(plan, name, username=first, email=f"billing@{first}.example", **account_kwargs)
    return order.manual_operation


def log_in(page, base_url, username, next_path):
    """The operator portal's login form, then ``next_path``."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("Log out")


def customer_log_in(page, base_url, username):
    """The customer portal's login form, then the dashboard."""
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def serious_violations(page):
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [
        f"{violation['id']} ({violation['impact']}): " + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
