"""The managers' queue: R14–R18, R30, and the read-only role."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import PostpayPermission
from manual_operations.models import DeclineReason, ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_decline
from postpay_portal.admin_site import SELECTION_FIELD
from subscriptions.models import Order, OrderStatus
from tests.admin.bulk import preview_then_confirm, signed_selection
from tests.factories import AccountFactory

QUEUE = reverse("admin:manual_operations_manualoperation_changelist")


def detail(op):
    return reverse("admin:manual_operations_manualoperation_change", args=[op.pk])


def approve_url(op):
    return reverse("admin:manual_operations_manualoperation_approve", args=[op.pk])


def decline_url(op):
    return reverse("admin:manual_operations_manualoperation_decline", args=[op.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(op):
    return ManualOperation.objects.select_related("account", "order").get(pk=op.pk)


@pytest.mark.django_db
def test_r17_queue_shows_open_operations_oldest_first_with_the_spec_columns(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    first = held_operation_for("First Co", account_class="Enterprise", manager="max")
    second = held_operation_for("Second Co")
    decided = held_operation_for("Decided Co")
    manual_operation_approve(actor=manager_max, operation_id=decided.pk)

    response = admin_client_for(manager_max).get(QUEUE)

    assert response.status_code == 200
    shown = [op.pk for op in response.context["cl"].result_list]
    assert shown == [first.pk, second.pk]  # open only, oldest first
    html = response.content.decode()
    for label in (
        "ID",
        "Description",
        "Operation",
        "Account",
        "Manager",
        "Account class",
        "Status",
        "Created at",
        "Age",
    ):
        assert f">{label}<" in html or f">{label}</a>" in html, label
    assert "Enterprise" in html and "Allow an account has postpaid subscriptions" in html


@pytest.mark.django_db
def test_r17_filters_status_manager_account_class_and_created(
    admin_client_for, manager_max, staff_sam, manual_mode, held_operation_for
):
    mine = held_operation_for("Mine Co", account_class="Enterprise", manager="max")
    other = held_operation_for("Other Co", account_class="Standard", manager="sam")
    manual_operation_decline(actor=manager_max, operation_id=other.pk, reason=DeclineReason.OTHER)
    client = admin_client_for(manager_max)

    def ids(query):
        return [op.pk for op in client.get(QUEUE + query).context["cl"].result_list]

    assert ids("?status=all") == [mine.pk, other.pk]
    assert ids("?status=declined") == [other.pk]
    assert ids(f"?status=all&account__manager__id__exact={staff_sam.pk}") == [other.pk]
    assert ids(f"?status=all&account__account_class__id__exact={mine.account.account_class_id}") == [mine.pk]
    assert ids("?status=all&created_at__gte=2000-01-01T00:00:00%2B00:00") == [mine.pk, other.pk]


@pytest.mark.django_db
def test_r17_age_is_highlighted_only_past_the_target(
    admin_client_for, manager_max, manual_mode, held_operation_for, settings
):
    held_operation_for()
    client = admin_client_for(manager_max)
    settings.MANUAL_OPERATION_TARGET_HOURS = 1000
    assert 'postpay-overdue" title' not in client.get(QUEUE).content.decode()
    settings.MANUAL_OPERATION_TARGET_HOURS = -1  # everything is past a negative target
    assert 'postpay-overdue" title' in client.get(QUEUE).content.decode()


@pytest.mark.django_db
def test_r17_detail_page_shows_why_held_exposure_and_decide_buttons(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Card Co")
    html = admin_client_for(manager_max).get(detail(op)).content.decode()
    assert 'id="why-held"' in html and "postpay mode was Manually" in html
    assert 'id="exposure"' in html and "Held order's price" in html and str(op.order.price) in html
    assert "Approved by manager" in html
    assert approve_url(op) in html and decline_url(op) in html


@pytest.mark.django_db
def test_r15_manager_approves_after_a_confirmation_page(
    admin_client_for, manager_max, manual_mode, held_operation_for, django_capture_on_commit_callbacks
):
    op = held_operation_for("Approve Co")
    client = admin_client_for(manager_max)
    confirm = client.get(approve_url(op))
    assert confirm.status_code == 200 and "csrfmiddlewaretoken" in confirm.content.decode()
    assert fresh(op).status == OperationStatus.APPROVAL_REQUIRED  # GET decides nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve_url(op), {"note": "Known customer", "confirm": "Approve"})

    assert response.status_code == 302 and response["Location"] == detail(op)
    op = fresh(op)
    assert op.status == OperationStatus.APPROVED and op.decided_by == manager_max and op.note == "Known customer"
    assert op.account.postpay_permission == PostpayPermission.APPROVED
    order = Order.objects.get(pk=op.order_id)
    assert order.status == OrderStatus.COMPLETED and order.approved_by == manager_max


@pytest.mark.django_db
def test_r16_decline_requires_a_structured_reason(admin_client_for, manager_max, manual_mode, held_operation_for):
    op = held_operation_for("Decline Co")
    client = admin_client_for(manager_max)
    page = client.get(decline_url(op)).content.decode()
    for code in DeclineReason.values:
        assert f'value="{code}"' in page

    missing = client.post(decline_url(op), {"note": "no reason", "confirm": "Decline"})
    assert missing.status_code == 200 and missing.context["form"].errors["reason"]
    assert fresh(op).status == OperationStatus.APPROVAL_REQUIRED

    client.post(decline_url(op), {"reason": "credit_risk", "note": "Unpaid elsewhere", "confirm": "Decline"})
    op = fresh(op)
    assert (op.status, op.reason, op.note) == (OperationStatus.DECLINED, "credit_risk", "Unpaid elsewhere")
    assert op.account.postpay_permission == PostpayPermission.DECLINED
    order = Order.objects.get(pk=op.order_id)
    assert (order.status, order.failure_reason) == (OrderStatus.PROVISIONING_FAILED, "postpay_declined")


@pytest.mark.django_db
def test_r14_decision_that_lost_the_race_names_who_and_when(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    from tests.factories import ManagerFactory

    op = held_operation_for("Race Co")
    client = admin_client_for(manager_max)
    assert client.get(approve_url(op)).status_code == 200  # max opens the confirmation…
    manual_operation_decline(actor=ManagerFactory(username="mia"), operation_id=op.pk, reason="other")  # …mia wins

    response = client.post(approve_url(op), {"confirm": "Approve"})

    assert response.status_code == 302
    [message] = texts(response)
    assert "already declined by mia at" in message
    assert fresh(op).status == OperationStatus.DECLINED and fresh(op).decided_by.username == "mia"


@pytest.mark.django_db
def test_r18_bulk_approve_reports_decided_and_skipped(
    admin_client_for, manager_max, manual_mode, held_operation_for, django_capture_on_commit_callbacks
):
    ops = [held_operation_for(f"Bulk {i}") for i in range(3)]
    manual_operation_decline(actor=manager_max, operation_id=ops[1].pk, reason="other")
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", "_selected_action": [op.pk for op in ops]}

    confirm = client.post(QUEUE + "?status=all", data)
    assert confirm.status_code == 200 and "Approve 3 operation(s)?" in confirm.content.decode()
    assert fresh(ops[0]).status == OperationStatus.APPROVAL_REQUIRED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            QUEUE + "?status=all",
            {**data, "confirm": "Approve", "note": "batch", SELECTION_FIELD: signed_selection(confirm)},
        )

    assert response.status_code == 302
    assert [fresh(op).status for op in ops] == [
        OperationStatus.APPROVED,
        OperationStatus.DECLINED,
        OperationStatus.APPROVED,
    ]
    messages = texts(response)
    assert f"Approved 2 operation(s): #{ops[0].pk}, #{ops[2].pk}." in messages
    assert any(
        m.startswith("Skipped 1 operation(s):") and f"#{ops[1].pk}: This operation was already declined by max" in m
        for m in messages
    )


@pytest.mark.django_db
def test_r18_bulk_decline_asks_for_the_reason(admin_client_for, manager_max, manual_mode, held_operation_for):
    ops = [held_operation_for(f"Nope {i}") for i in range(2)]
    client = admin_client_for(manager_max)
    data = {"action": "decline_selected", "_selected_action": [op.pk for op in ops]}

    _, without_reason = preview_then_confirm(client, QUEUE, data, confirm="Decline")
    assert without_reason.status_code == 200 and without_reason.context["form"].errors["reason"]
    assert all(fresh(op).status == OperationStatus.APPROVAL_REQUIRED for op in ops)

    preview_then_confirm(client, QUEUE, data, confirm="Decline", reason="incomplete_information")
    assert all(
        fresh(op).status == OperationStatus.DECLINED and fresh(op).reason == "incomplete_information" for op in ops
    )


@pytest.mark.django_db
def test_staff_without_decide_permission_sees_the_queue_read_only(
    admin_client_for, operator_sam, manual_mode, held_operation_for
):
    op = held_operation_for("ReadOnly Co")
    client = admin_client_for(operator_sam)

    queue = client.get(QUEUE)
    assert queue.status_code == 200 and [o.pk for o in queue.context["cl"].result_list] == [op.pk]
    assert "approve_selected" not in queue.content.decode()
    page = client.get(detail(op)).content.decode()
    assert approve_url(op) not in page and decline_url(op) not in page


@pytest.mark.django_db
def test_r15_staff_without_decide_permission_cannot_decide(
    admin_client_for, operator_sam, manual_mode, held_operation_for
):
    op = held_operation_for("Forbidden Co")
    client = admin_client_for(operator_sam)

    for url, data in (
        (approve_url(op), {"confirm": "Approve"}),
        (decline_url(op), {"reason": "other", "confirm": "Decline"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302
        assert "Only a manager may decide manual operations." in texts(response)
    bulk = client.post(QUEUE, {"action": "approve_selected", "_selected_action": [op.pk], "confirm": "Approve"})
    assert bulk.status_code in (200, 302)

    op = fresh(op)
    assert op.status == OperationStatus.APPROVAL_REQUIRED
    assert op.account.postpay_permission == PostpayPermission.UNDER_REVIEW
    assert Order.objects.get(pk=op.order_id).status == OrderStatus.WAITING_FOR_APPROVAL


@pytest.mark.django_db
def test_decide_pages_require_csrf(manager_max, manual_mode, held_operation_for):
    op = held_operation_for("Csrf Co")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_max)
    response = client.post(approve_url(op), {"confirm": "Approve"})
    assert response.status_code == 403
    assert fresh(op).status == OperationStatus.APPROVAL_REQUIRED


@pytest.mark.django_db
def test_operator_cannot_add_or_delete_operations(admin_client_for, superuser, manual_mode, held_operation_for):
    op = held_operation_for()
    client = admin_client_for(superuser)
    assert client.get(reverse("admin:manual_operations_manualoperation_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:manual_operations_manualoperation_delete", args=[op.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ManualOperation.objects.filter(pk=op.pk).exists()


@pytest.mark.django_db
def test_r30_queue_report(admin_client_for, manager_max, manual_mode, held_operation_for):
    ops = [held_operation_for(f"Report {i}", account_class="Enterprise") for i in range(4)]
    manual_operation_approve(actor=manager_max, operation_id=ops[0].pk)
    manual_operation_decline(actor=manager_max, operation_id=ops[1].pk, reason="other")
    manual_operation_approve(actor=manager_max, operation_id=ops[2].pk)

    response = admin_client_for(manager_max).get(reverse("admin:manual_operations_manualoperation_report"))

    assert response.status_code == 200
    report = response.context["report"]
    assert report["open_total"] == 1 and sum(row["count"] for row in report["open_by_age"]) == 1
    assert report["decided_total"] == 3 and report["median_time_to_decision"] is not None
    assert report["per_manager"] == [{"label": "max", "decided": 3, "approved": 2, "declined": 1, "rate": 66.7}]
    assert report["per_account_class"][0]["label"] == "Enterprise" and report["per_account_class"][0]["rate"] == 66.7
    assert report["held_orders_count"] == 1 and report["held_orders_value"] == ops[3].order.price


def _open_operations(n, plan):
    """n open operations through the services (R9): operators' orders obey the gate (R5)."""
    from subscriptions.services import order_place
    from tests.factories import OperatorFactory

    placer = OperatorFactory(username="placer")  # R33: staff who may add orders
    for i in range(n):
        account = AccountFactory(name=f"Q {i}", account_class="Standard", manager="placer")
        order_place(actor=placer, account_id=account.pk, plan_id=plan.pk, period="commercial")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, pytest.param(1000, marks=pytest.mark.slow)])
def test_queue_runs_a_constant_number_of_queries(
    admin_client_for, manager_max, manual_mode, postpaid_plan_no_trial, rows, django_assert_max_num_queries
):
    _open_operations(rows, postpaid_plan_no_trial)
    client = admin_client_for(manager_max)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == min(rows, 50)
    assert response.context["cl"].full_result_count is None  # show_full_result_count = False


@pytest.mark.django_db
def test_r18_bulk_approve_of_all_matching_operations_carries_no_id_list(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    """ "Select all N" carries the N ids signed in one field: no 1,000-field POST."""
    ops = [held_operation_for(f"All {i}") for i in range(3)]
    client = admin_client_for(manager_max)
    data = {"action": "approve_selected", "select_across": "1", "_selected_action": [ops[0].pk]}

    confirm = client.post(QUEUE, data)
    assert confirm.status_code == 200
    assert confirm.content.decode().count('name="_selected_action"') == 1

    client.post(
        QUEUE,
        {
            "action": "approve_selected",
            "select_across": "1",
            "confirm": "Approve",
            "index": "0",
            "_selected_action": [ops[0].pk],
            SELECTION_FIELD: signed_selection(confirm),
        },
    )
    assert all(fresh(op).status == OperationStatus.APPROVED for op in ops)
