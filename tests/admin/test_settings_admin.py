"""The postpay settings page: R1–R4."""

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry
from settings_app.admin import MODE_SWITCH_WARNING
from settings_app.selectors import postpay_settings_get
from subscriptions.models import Order, OrderStatus

PAGE = reverse("admin:settings_app_postpaysettings_change", args=[1])


@pytest.mark.django_db
def test_r1_settings_list_leads_to_the_single_row(admin_client_for, superuser):
    response = admin_client_for(superuser).get(reverse("admin:settings_app_postpaysettings_changelist"))
    assert response.status_code == 302 and response["Location"] == PAGE


@pytest.mark.django_db
def test_r3_change_of_mode_shows_the_impact_before_saving(admin_client_for, superuser, manual_mode, held_operation_for):
    held_operation_for("Held One")
    client = admin_client_for(superuser)

    preview = client.post(PAGE, {"postpaid_permission_mode": "automatic"})

    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="impact-preview"' in html and MODE_SWITCH_WARNING in html
    impact = dict(preview.context["preview"]["accounts"])
    assert impact["Approval required"] == 1 and preview.context["preview"]["held_orders"] == 1
    assert postpay_settings_get().is_manual  # nothing saved yet

    client.post(PAGE, {"postpaid_permission_mode": "automatic", "confirm": "Confirm and save"})

    assert not postpay_settings_get().is_manual
    entry = AuditLogEntry.objects.filter(object_type="postpay_settings").first()
    assert (entry.field, entry.from_value, entry.to_value, entry.actor) == (
        "postpaid_permission_mode",
        "manual",
        "automatic",
        superuser,
    )
    # R4: the held order stays held
    assert Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count() == 1
    history = client.get(PAGE).content.decode()
    assert "postpaid_permission_mode" in history and "root" in history


@pytest.mark.django_db
def test_r2_trial_option_saves_without_a_mode_preview(admin_client_for, superuser):
    response = admin_client_for(superuser).post(
        PAGE, {"postpaid_permission_mode": "automatic", "trial_requires_approval": "on"}
    )
    assert response.status_code == 302
    assert postpay_settings_get().trial_requires_approval is True


@pytest.mark.django_db
def test_r3_operator_with_view_permission_only_cannot_change_settings(admin_client_for, operator_sam):
    client = admin_client_for(operator_sam)
    assert client.get(PAGE).status_code == 200
    response = client.post(PAGE, {"postpaid_permission_mode": "manual", "confirm": "Confirm and save"})
    assert response.status_code == 403
    assert not postpay_settings_get().is_manual
    assert not AuditLogEntry.objects.filter(object_type="postpay_settings").exists()
