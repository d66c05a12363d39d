"""The operator portal's home (/admin/): what waits — open operations per type and the oldest's
age against the target (R17), the held value (R30), failed provisionings that can be retried
(R22), failing webhook endpoints (R34) — each linking to its filtered list and shown only to
who may view it; and the reader's own recent decisions from the audit log (R29)."""

import pytest
from django.urls import reverse

from events.models import WebhookDelivery
from events.services import webhook_delivery_attempt, webhook_endpoint_create
from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve, manual_operation_decline
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from subscriptions.services import order_place
from tests.factories import AccountFactory, CustomerFactory, ManagerFactory, StaffFactory

pytestmark = pytest.mark.django_db

HOME = reverse("admin:index")
QUEUE = reverse("admin:manual_operations_manualoperation_changelist")
ORDERS = reverse("admin:subscriptions_order_changelist")
ENDPOINTS = reverse("admin:events_webhookendpoint_changelist")


def figures(response):
    return {figure.label: figure for figure in response.context["figures"]}


@pytest.fixture
def failed_provisioning(settings, prepaid_plan, django_capture_on_commit_callbacks):
    """An order whose provisioning failed for good (R22), not by a decline."""
    settings.PROVISIONER = "tests.support.provisioners.Broken"
    customer = CustomerFactory(username="fay", account=AccountFactory(name="Failing Co"))
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(actor=customer, account_id=customer.account_id, plan_id=prepaid_plan.pk, period="trial")
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING_FAILED
    return order


@pytest.fixture
def failing_endpoint(settings):
    """An endpoint whose delivery failed for good: nothing listens on its port."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = webhook_endpoint_create(actor=None, url="http://127.0.0.1:9/hooks", events=["*"])
    healthy = webhook_endpoint_create(actor=None, url="http://127.0.0.1:9/other", events=["order.created"])
    postpay_settings_update(actor=None, trial_requires_approval=True)  # an event for the first endpoint only
    for delivery in WebhookDelivery.objects.filter(endpoint=endpoint):
        webhook_delivery_attempt(delivery_id=delivery.pk)
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status="failed").exists()
    assert not WebhookDelivery.objects.filter(endpoint=healthy).exists()
    return endpoint


@pytest.fixture
def waiting(manual_mode, held_operation_for, manager_max, failed_provisioning, failing_endpoint):
    """Two open operations, one declined (its order failed by the decline), one failed
    provisioning, one failing endpoint."""
    ops = [held_operation_for(f"Waiting {i}") for i in range(3)]
    manual_operation_decline(actor=manager_max, operation_id=ops[2].pk, reason="credit_risk")
    return ops


def test_r17_r30_the_home_shows_what_waits_each_linked_to_its_filtered_list(
    admin_client_for, superuser, waiting, settings
):
    client = admin_client_for(superuser)
    settings.MANUAL_OPERATION_TARGET_HOURS = 1000

    response = client.get(HOME)

    shown = figures(response)
    queue = shown["Open manual operations"]
    assert (queue.value, queue.url, queue.warn) == ("2", QUEUE, False)
    assert [(part["label"], part["count"]) for part in queue.parts] == [
        ("Allow an account has postpaid subscriptions", 2),
        ("Credit review", 0),
    ]
    assert "the target is 1000 h" in queue.detail
    assert shown["Held value"].value == "398.00 USD"  # two held orders of 199.00
    assert shown["Failed provisionings"].value == "1"  # not the order failed by the decline
    assert shown["Failing webhook endpoints"].value == "1"
    html = response.content.decode()
    assert 'id="what-waits"' in html and html.index('id="what-waits"') < html.index('class="app-accounts')

    # Each figure's link opens exactly what it counts.
    def listed(url):
        return {row.pk for row in client.get(url).context["cl"].result_list}

    assert listed(queue.url) == {waiting[0].pk, waiting[1].pk}
    assert listed(queue.parts[0]["url"]) == {waiting[0].pk, waiting[1].pk}
    assert listed(shown["Held value"].url) == {waiting[0].order_id, waiting[1].order_id}
    failed = Order.objects.get(status=OrderStatus.PROVISIONING_FAILED, failure_reason__contains="mapping")
    assert listed(shown["Failed provisionings"].url) == {failed.pk}
    assert len(listed(shown["Failing webhook endpoints"].url)) == 1


def test_r17_the_oldest_open_operation_past_the_target_is_flagged(
    admin_client_for, manager_max, manual_mode, held_operation_for, settings
):
    held_operation_for()
    settings.MANUAL_OPERATION_TARGET_HOURS = -1  # every open operation is past a negative target
    queue = figures(admin_client_for(manager_max).get(HOME))["Open manual operations"]
    assert queue.warn and "the target is -1 h" in queue.detail


def test_the_currency_is_the_installations(admin_client_for, superuser, manual_mode, held_operation_for, settings):
    held_operation_for()
    settings.POSTPAY_CURRENCY = "CHF"
    assert figures(admin_client_for(superuser).get(HOME))["Held value"].value == "199.00 CHF"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("manager_max", ["Open manual operations", "Held value", "Failed provisionings"]),
        ("webhook_manager", ["Failing webhook endpoints"]),
        ("bare_staff_bea", []),
    ],
)
def test_each_figure_is_shown_only_to_who_may_view_what_it_counts(
    request, admin_client_for, waiting, persona, expected
):
    if persona == "webhook_manager":
        from postpay_portal.groups import WEBHOOK_MANAGERS_GROUP
        from tests.factories import join_groups

        user = StaffFactory(username="wes")
        join_groups(user, WEBHOOK_MANAGERS_GROUP)
    else:
        user = request.getfixturevalue(persona)
    response = admin_client_for(user).get(HOME)
    assert response.status_code == 200
    assert list(figures(response)) == expected
    if not expected:
        assert 'id="what-waits"' not in response.content.decode()


def test_r29_your_recent_decisions_replace_recent_actions(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    approved, declined, other = (held_operation_for(f"Decided {i}") for i in range(3))
    manual_operation_approve(actor=manager_max, operation_id=approved.pk, note="fine")
    manual_operation_decline(actor=manager_max, operation_id=declined.pk, reason="fraud_suspected")
    manual_operation_approve(actor=ManagerFactory(username="mia"), operation_id=other.pk)

    response = admin_client_for(manager_max).get(HOME)

    html = response.content.decode()
    assert "Recent actions" not in html and "Your recent decisions" in html
    rows = [(str(row["object"]), str(row["change"]), row["reason"]) for row in response.context["decisions"]]
    assert rows == [
        (
            f'<a href="{reverse("admin:manual_operations_manualoperation_change", args=[declined.pk])}">'
            f"Operation #{declined.pk}</a> (Decided 1)",
            '<span title="approval_required">Approval required</span> → <span title="declined">Declined</span>',
            "Fraud suspected",
        ),
        (
            f'<a href="{reverse("admin:manual_operations_manualoperation_change", args=[approved.pk])}">'
            f"Operation #{approved.pk}</a> (Decided 0)",
            '<span title="approval_required">Approval required</span> → <span title="approved">Approved</span>',
            "fine",
        ),
    ]  # newest first; mia's decision and the account and order entries the decisions wrote are not listed


def test_recent_decisions_include_settings_changes_and_account_creations(admin_client_for, superuser):
    postpay_settings_update(actor=superuser, postpaid_permission_mode="manual", reason="going live")
    from accounts.services import account_create

    account_create(actor=superuser, name="Imported Co")
    rows = admin_client_for(superuser).get(HOME).context["decisions"]
    assert [(str(row["change"]), row["reason"]) for row in rows] == [
        ("created", "account created"),
        (
            '<code>postpaid_permission_mode</code> <span title="automatic">Automatically</span> → '
            '<span title="manual">Manually</span>',
            "going live",
        ),
    ]


@pytest.mark.parametrize("rows", [2, 40])
def test_the_home_reads_its_figures_with_a_fixed_number_of_queries(
    admin_client_for, superuser, manual_mode, postpaid_plan_no_trial, rows, django_assert_max_num_queries
):
    placer = StaffFactory(username="placer", is_superuser=True)
    for i in range(rows):
        account = AccountFactory(name=f"Home {i}")
        order_place(actor=placer, account_id=account.pk, plan_id=postpaid_plan_no_trial.pk, period="commercial")
    for operation in ManualOperation.objects.order_by("pk")[: rows // 2]:
        manual_operation_decline(actor=superuser, operation_id=operation.pk, reason="other")
    client = admin_client_for(superuser)
    client.get(HOME)  # the session and the first-use caches
    with django_assert_max_num_queries(8):
        response = client.get(HOME)
    assert response.status_code == 200
    assert figures(response)["Open manual operations"].value == str(rows - rows // 2)
    assert len(response.context["decisions"]) == min(10, rows // 2)
