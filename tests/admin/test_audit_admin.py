"""R29: the audit log is readable in the portal, and nobody can add, change or delete."""

import pytest
from django.urls import reverse

from audit.models import AuditLogEntry


@pytest.mark.django_db
def test_r29_audit_log_list_is_read_only_for_everyone(admin_client_for, superuser, manual_mode, held_operation_for):
    held_operation_for("Logged Co")
    entry = AuditLogEntry.objects.first()
    before = AuditLogEntry.objects.count()
    client = admin_client_for(superuser)

    listing = client.get(reverse("admin:audit_auditlogentry_changelist"))
    assert listing.status_code == 200 and "under_review" in listing.content.decode()
    assert client.get(reverse("admin:audit_auditlogentry_change", args=[entry.pk])).status_code == 200

    assert client.get(reverse("admin:audit_auditlogentry_add")).status_code == 403
    client.post(reverse("admin:audit_auditlogentry_change", args=[entry.pk]), {"reason": "edited"})
    assert client.post(reverse("admin:audit_auditlogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:audit_auditlogentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert AuditLogEntry.objects.count() == before
    entry_after = AuditLogEntry.objects.get(pk=entry.pk)
    assert entry_after.reason == entry.reason


@pytest.mark.django_db
def test_r29_each_object_page_shows_its_audit_trail(admin_client_for, superuser, manual_mode, held_operation_for):
    op = held_operation_for("Trail Co")
    client = admin_client_for(superuser)
    pages = {
        "account": reverse("admin:accounts_account_change", args=[op.account_id]),
        "order": reverse("admin:subscriptions_order_change", args=[op.order_id]),
        "operation": reverse("admin:manual_operations_manualoperation_change", args=[op.pk]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert "postpay-audit" in html, name
    assert "waiting_for_approval" in client.get(pages["order"]).content.decode()
    assert "approval_required" in client.get(pages["operation"]).content.decode()
