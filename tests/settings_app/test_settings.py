"""R1–R4: the postpay settings, one row changed through ``postpay_settings_update``, every
change audited, and the impact of a mode change."""

import pytest

from audit.models import AuditLogEntry
from audit.selectors import audit_log_list
from postpay_portal.errors import InvalidInput, PermissionDenied
from settings_app.models import PostpaySettings
from settings_app.selectors import postpay_mode_impact, postpay_settings_get
from settings_app.services import postpay_settings_update
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def test_r1_r2_defaults_are_automatic_and_trials_not_gated():
    row = postpay_settings_get()
    assert (row.postpaid_permission_mode, row.trial_requires_approval) == ("automatic", False)
    assert PostpaySettings._meta.get_field("postpaid_permission_mode").verbose_name == (
        "Allow an account to order a postpaid subscription"
    )


def test_r1_settings_are_a_single_row():
    from django.db import IntegrityError, transaction

    postpay_settings_get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PostpaySettings.objects.create(pk=2)


def test_r3_every_settings_change_is_recorded(manager_max):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    postpay_settings_update(actor=manager_max, trial_requires_approval=True)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")  # no change, no entry
    entries = list(audit_log_list(object_type="postpay_settings").order_by("id"))
    assert [(e.field, e.from_value, e.to_value, e.actor) for e in entries] == [
        ("postpaid_permission_mode", "automatic", "manual", manager_max),
        ("trial_requires_approval", "false", "true", manager_max),
    ]


def test_r3_settings_refuse_bad_values_and_non_operators(manager_max, customer_alice):
    with pytest.raises(InvalidInput) as exc:
        postpay_settings_update(actor=manager_max, postpaid_permission_mode="sometimes")
    assert exc.value.code == "invalid"
    with pytest.raises(PermissionDenied) as exc:
        postpay_settings_update(actor=customer_alice, postpaid_permission_mode="manual")
    assert exc.value.code == "permission_denied"
    assert postpay_settings_get().postpaid_permission_mode == "automatic"
    assert not AuditLogEntry.objects.filter(object_type="postpay_settings").exists()


def test_r3_impact_counts_accounts_per_status_and_held_orders(
    manual_mode, customer_alice, postpaid_plan, outsider_oscar
):
    place(customer_alice, postpaid_plan)
    impact = postpay_mode_impact()
    assert impact["accounts_by_status"] == {"none": 1, "under_review": 1, "approved": 0, "declined": 0}
    assert impact["held_orders"] == 1
