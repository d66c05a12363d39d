"""Both portals in a real browser, on the demo data in Manually mode (held, approved and
declined accounts): every operator changelist keeps its columns whole at 1280 px.
(Issue 9, finding 10.)
"""

import json

import pytest
from django.core.management import call_command

from accounts.models import Account
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


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
      problems.push(`outside the visible results box (${Math.round(rect.right)} > ${Math.round(visible.right)}): ${label(cell)}`);
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
    return {
        "held": Account.objects.get(name="Globex"),
        "declined": Account.objects.get(name="Umbrella"),
        "approved": Account.objects.get(name="Initech"),
    }


def admin_log_in(page, base_url, username, password):
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


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
