"""An account's page lists what belongs to it (customer logins, orders, subscriptions, each
with an "all" link to its filtered list); adding a customer login is audited (R29) and R26
still holds; the audit log names its objects and finds an account's entries by its name."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.services import account_user_create
from audit.models import AuditLogEntry
from manual_operations.services import manual_operation_approve
from postpay_portal.errors import InvalidInput
from settings_app.services import postpay_settings_update
from subscriptions.models import Order
from tests.factories import PASSWORD, AccountFactory, StaffFactory

pytestmark = pytest.mark.django_db

LABEL = "Work permit for postpaid"  # R26
AUDIT = reverse("admin:audit_auditlogentry_changelist")


def account_page(account):
    return reverse("admin:accounts_account_change", args=[account.pk])


@pytest.fixture
def busy_account(manual_mode, held_operation_for, manager_max, django_capture_on_commit_callbacks):
    """An approved account with a subscription, its orders and two customer logins."""
    op = held_operation_for("Busy Co")
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=op.pk)
    account = op.account
    account_user_create(actor=None, account_id=account.pk, username="busy2", password=PASSWORD)
    return account


def test_an_account_page_lists_its_logins_orders_and_subscriptions_with_all_links(
    admin_client_for, superuser, busy_account
):
    AccountFactory(name="Elsewhere Co")
    client = admin_client_for(superuser)
    response = client.get(account_page(busy_account))
    html = response.content.decode()
    order = Order.objects.get(account=busy_account)

    assert [user.get_username() for _, user in response.context["logins"]] == [
        "busy2",
        busy_account.users.first().username,
    ]
    assert f'href="{reverse("admin:subscriptions_order_change", args=[order.pk])}"' in html
    subscription = busy_account.subscriptions.get()
    assert f'href="{reverse("admin:subscriptions_subscription_change", args=[subscription.pk])}"' in html
    for name in ("orders_url", "subscriptions_url", "logins_url"):
        url = response.context[name]
        assert url.endswith(f"?account={busy_account.pk}") and url in html.replace("&amp;", "&")
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert {getattr(row, "account_id", None) for row in listed.context["cl"].result_list} == {busy_account.pk}
        assert "Busy Co" in listed.content.decode()  # the filter names the account


def test_readers_who_may_not_open_logins_see_usernames_without_links(admin_client_for, staff_sam, busy_account):
    response = admin_client_for(staff_sam).get(account_page(busy_account))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:accounts_user_changelist") not in html and "/admin/accounts/user/" not in html
    assert "busy2" in html and response.context["logins_url"] == ""


def test_r29_adding_a_customer_login_is_audited_on_the_account(admin_client_for, superuser, manual_mode):
    account = AccountFactory(name="Logins Co")
    client = admin_client_for(superuser)
    url = reverse("admin:accounts_account_add_login", args=[account.pk])

    response = client.post(url, {"username": "newbie", "password": PASSWORD})
    duplicate = client.post(url, {"username": "newbie", "password": PASSWORD})

    assert response.status_code == 302 and duplicate.status_code == 200
    [entry] = AuditLogEntry.objects.filter(field="customer_login")  # the refused one wrote nothing
    assert (entry.object_type, entry.object_id, entry.from_value, entry.to_value, entry.actor) == (
        "account",
        account.pk,
        None,
        "newbie",
        superuser,
    )
    page = client.get(account_page(account)).content.decode()
    assert "<code>customer_login</code>" in page and "newbie" in page


def test_r29_a_refused_customer_login_leaves_no_entry():
    account = AccountFactory(name="Refused Co")
    with pytest.raises(InvalidInput):
        account_user_create(actor=None, account_id=account.pk, username="weak", password="1")
    assert not AuditLogEntry.objects.filter(field="customer_login").exists()


def test_r26_in_automatic_mode_the_account_page_still_never_shows_the_label(admin_client_for, superuser, busy_account):
    postpay_settings_update(actor=superuser, postpaid_permission_mode="automatic")
    client = admin_client_for(superuser)
    client.post(
        reverse("admin:accounts_account_add_login", args=[busy_account.pk]), {"username": "later", "password": PASSWORD}
    )

    page = client.get(account_page(busy_account)).content.decode()

    assert "later" in page and "customer_login" in page
    assert LABEL not in page


def test_the_audit_log_names_its_objects_and_links_them_for_who_may_open_them(
    admin_client_for, superuser, busy_account
):
    order = Order.objects.get(account=busy_account)
    operation = order.manual_operation
    as_root = admin_client_for(superuser).get(AUDIT).content.decode()
    assert (
        f'<a href="{reverse("admin:accounts_account_change", args=[busy_account.pk])}">Account Busy Co</a>' in as_root
    )
    assert f'<a href="{reverse("admin:subscriptions_order_change", args=[order.pk])}">Order #{order.pk}</a>' in as_root
    operation_url = reverse("admin:manual_operations_manualoperation_change", args=[operation.pk])
    assert f'<a href="{operation_url}">Operation #{operation.pk}</a>' in as_root
    assert f'<a href="{reverse("admin:settings_app_postpaysettings_change", args=[1])}">Postpay settings</a>' in as_root

    auditor = StaffFactory(username="audrey")  # may read the log, and open nothing else
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditlogentry"))
    as_auditor = admin_client_for(auditor).get(AUDIT).content.decode()
    assert "Postpay settings" in as_auditor and f"Order #{order.pk}" in as_auditor
    for page in (
        reverse("admin:settings_app_postpaysettings_change", args=[1]),
        reverse("admin:subscriptions_order_change", args=[order.pk]),
    ):
        assert page not in as_auditor


def test_the_audit_log_finds_an_account_by_its_name_with_its_orders_and_operations(
    admin_client_for, superuser, busy_account, held_operation_for
):
    other = held_operation_for("Unrelated Ltd")
    order = Order.objects.get(account=busy_account)

    found = admin_client_for(superuser).get(AUDIT + "?q=busy").context["cl"].result_list

    objects = {(entry.object_type, entry.object_id) for entry in found}
    assert {
        ("account", busy_account.pk),
        ("order", order.pk),
        ("manual_operation", order.manual_operation.pk),
    } <= objects
    assert not objects & {("account", other.account_id), ("order", other.order_id), ("manual_operation", other.pk)}
