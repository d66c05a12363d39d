"""The operator portal: payment instructions on the settings page (through
``postpay_settings_update``, audited, R29) and prices with the currency (CONTRACT §2)."""

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from settings_app.selectors import postpay_settings_get
from subscriptions.models import Order

PAGE = reverse("admin:settings_app_postpaysettings_change", args=[1])
INSTRUCTIONS = "Bank transfer to IBAN DE02 1203 0000 0000 2020 51.\nReference: your order number."


@pytest.mark.django_db
def test_r29_operators_edit_the_payment_instructions_on_the_settings_page(admin_client_for, superuser):
    client = admin_client_for(superuser)
    html = client.get(PAGE).content.decode()
    assert '<textarea name="payment_instructions"' in html and "Payment instructions" in html
    response = client.post(PAGE, {"postpaid_permission_mode": "automatic", "payment_instructions": INSTRUCTIONS})
    assert response.status_code == 302
    assert postpay_settings_get().payment_instructions == INSTRUCTIONS
    [entry] = AuditLogEntry.objects.filter(object_type="postpay_settings")
    assert (entry.field, entry.to_value, entry.actor) == ("payment_instructions", INSTRUCTIONS, superuser)
    history = client.get(PAGE).content.decode()
    assert "<code>payment_instructions</code>" in history and "Reference: your order number." in history


@pytest.mark.django_db
def test_r3_a_mode_preview_keeps_the_instructions_being_saved(admin_client_for, superuser):
    client = admin_client_for(superuser)
    preview = client.post(PAGE, {"postpaid_permission_mode": "manual", "payment_instructions": INSTRUCTIONS})
    assert 'id="impact-preview"' in preview.content.decode()
    assert postpay_settings_get().payment_instructions == ""  # nothing saved before the confirmation
    client.post(
        PAGE,
        {"postpaid_permission_mode": "manual", "payment_instructions": INSTRUCTIONS, "confirm": "Confirm and save"},
    )
    row = postpay_settings_get()
    assert (row.is_manual, row.payment_instructions) == (True, INSTRUCTIONS)


@pytest.mark.django_db
def test_r3_an_operator_who_may_only_view_reads_the_instructions_and_cannot_change_them(admin_client_for, operator_sam):
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, payment_instructions=INSTRUCTIONS)
    client = admin_client_for(operator_sam)
    html = client.get(PAGE).content.decode()
    assert "Reference: your order number." in html and "<textarea" not in html
    assert client.post(PAGE, {"postpaid_permission_mode": "automatic", "payment_instructions": ""}).status_code == 403
    assert postpay_settings_get().payment_instructions == INSTRUCTIONS


@pytest.mark.django_db
def test_prices_in_the_operator_portal_carry_the_currency(
    admin_client_for, superuser, manual_mode, held_operation_for, settings
):
    settings.POSTPAY_CURRENCY = "CHF"
    operation = held_operation_for("Held Co")
    order = Order.objects.get(pk=operation.order_id)
    client = admin_client_for(superuser)
    pages = {
        "plans": reverse("admin:subscriptions_plan_changelist"),
        "plan": reverse("admin:subscriptions_plan_change", args=[order.plan_id]),
        "orders": reverse("admin:subscriptions_order_changelist"),
        "order": reverse("admin:subscriptions_order_change", args=[order.pk]),
        "operation": reverse("admin:manual_operations_manualoperation_change", args=[operation.pk]),
        "report": reverse("admin:manual_operations_manualoperation_report"),
        "add plan": reverse("admin:subscriptions_plan_add"),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert "CHF" in response.content.decode(), name
    assert "199.00 CHF" in client.get(pages["orders"]).content.decode()
    assert "Per billing period, in CHF." in client.get(pages["add plan"]).content.decode()
