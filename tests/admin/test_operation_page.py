"""An operation's page (R17, R18, R29): information first and the decision last, "Decided by"
for a decline and "Approved by manager" for an approval, labels rather than stored codes, one
date format, user links only for who may open them, and a history that is the audit trail."""

import re

import pytest
from django.urls import reverse

from manual_operations.services import manual_operation_approve, manual_operation_decline

pytestmark = pytest.mark.django_db

RULE_REFERENCE = re.compile(r"\((?:[^()]*\b)?R\d+[a-z]?\b[^()]*\)|CONTRACT §|SPEC R")


def detail(op):
    return reverse("admin:manual_operations_manualoperation_change", args=[op.pk])


def history(op):
    return reverse("admin:manual_operations_manualoperation_history", args=[op.pk])


def visible_text(html):
    """The page as read: no tags, no attribute values (a stored value kept on hover is fine)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def facts(response):
    return dict(response.context["facts"])


def test_r17_the_decision_comes_after_what_a_manager_reads(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Order Co")
    html = admin_client_for(manager_max).get(detail(op)).content.decode()
    order = [html.index(f'id="{card}"') for card in ("operation-facts", "why-held", "exposure", "audit-trail")]
    assert order == sorted(order)
    decision = html.index('id="decision"')
    assert decision > order[-1]
    assert decision < html.index('id="approve-operation"') < html.index('id="decline-operation"')


def test_r17_a_declined_operation_reads_decided_by_with_labels_and_one_date_format(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Declined Co")
    manual_operation_decline(actor=manager_max, operation_id=op.pk, reason="credit_risk", note="Unpaid")
    response = admin_client_for(manager_max).get(detail(op))

    shown = facts(response)
    assert "Approved by manager" not in shown and shown["Decided by"] == "max"
    assert (shown["Status"], shown["Reason"]) == ("Declined", "Credit risk")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", shown["Decided at"])
    text = visible_text(response.content.decode())
    for code in ("credit_risk", "approval_required", "waiting_for_approval", "provisioning_failed"):
        assert code not in text, code
    assert "Approval required" in text and "Credit risk" in text
    assert not re.search(r"\b(a\.m\.|p\.m\.)", text)  # Django's default "Dec. 7, 2026, 5:46 a.m." is gone


def test_r17_an_approved_operation_keeps_approved_by_manager(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Approved Co")
    manual_operation_approve(actor=manager_max, operation_id=op.pk)
    shown = facts(admin_client_for(manager_max).get(detail(op)))
    assert shown["Approved by manager"] == "max" and "Decided by" not in shown


def test_the_deciding_manager_links_to_a_page_only_for_who_may_open_it(
    admin_client_for, manager_max, superuser, manual_mode, held_operation_for
):
    op = held_operation_for("Linked Co", manager="max")  # max is also the account's linked manager
    manual_operation_decline(actor=manager_max, operation_id=op.pk, reason="other")
    user_page = reverse("admin:accounts_user_change", args=[manager_max.pk])

    as_manager = admin_client_for(manager_max).get(detail(op))
    assert (facts(as_manager)["Decided by"], facts(as_manager)["Manager"]) == ("max", "max")
    assert user_page not in as_manager.content.decode()
    assert admin_client_for(manager_max).get(user_page).status_code == 403  # what a link would have led to

    as_root = admin_client_for(superuser).get(detail(op))
    assert str(facts(as_root)["Decided by"]) == str(facts(as_root)["Manager"]) == f'<a href="{user_page}">max</a>'


def test_r29_history_shows_the_audit_entries_of_the_operation_its_order_and_its_account_decision(
    admin_client_for, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("History Co")
    other = held_operation_for("Other Co")
    manual_operation_decline(actor=manager_max, operation_id=op.pk, reason="fraud_suspected")
    manual_operation_decline(actor=manager_max, operation_id=other.pk, reason="other")

    response = admin_client_for(manager_max).get(history(op))

    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert "doesn’t have a change history" not in text and "No entries" not in text
    assert f"Operation #{op.pk}" in text and f"Order #{op.order_id}" in text and "Account History Co" in text
    assert f"manual operation #{op.pk} declined" in text and f"first gated order #{op.order_id}" in text
    assert "Fraud suspected" in text and "Other Co" not in text
    # Ids of operations and orders share a sequence on PostgreSQL: name the other one's rows exactly.
    assert f"Operation #{other.pk} " not in text and f"operation #{other.pk} " not in text
    assert f"Order #{other.order_id} " not in text
    assert "Declined" in text and "Provisioning failed" in text


def test_no_rule_reference_is_shown_in_the_operator_portal(
    admin_client_for, superuser, manual_mode, held_operation_for, manager_max
):
    op = held_operation_for("Plain Co")
    manual_operation_decline(actor=manager_max, operation_id=op.pk, reason="other")
    client = admin_client_for(superuser)
    pages = [
        reverse("admin:index"),
        detail(op),
        history(op),
        reverse("admin:manual_operations_manualoperation_changelist"),
        reverse("admin:manual_operations_manualoperation_report"),
        reverse("admin:accounts_account_changelist"),
        reverse("admin:accounts_account_add"),
        reverse("admin:accounts_account_change", args=[op.account_id]),
        reverse("admin:subscriptions_order_change", args=[op.order_id]),
        reverse("admin:settings_app_postpaysettings_change", args=[1]),
        reverse("admin:events_webhookendpoint_add"),
    ]
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        hits = RULE_REFERENCE.findall(visible_text(response.content.decode()))
        if hits:
            found[url] = hits
    settings_preview = client.post(pages[9], {"postpaid_permission_mode": "automatic"})
    hits = RULE_REFERENCE.findall(visible_text(settings_preview.content.decode()))
    assert "Switching the mode back and forth" in settings_preview.content.decode()
    assert not found and not hits, (found, hits)
