"""R19: managers are mailed when an operation is created; the customer when the order
completes; nothing is mailed to the customer on a decline (R16)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve, manual_operation_decline
from subscriptions.services import order_place
from tests.support.actions import place_committed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def notified_operation(manual_mode, customer_alice, postpaid_plan_no_trial, manager_max):
    """R9, R19: the operation of alice's held order, committed: unlike ``held_order``, its
    on_commit work ran, so the managers' mail is in the outbox."""
    return place_committed(customer_alice, postpaid_plan_no_trial).manual_operation


@pytest.mark.django_db
def test_r19_managers_are_mailed_when_an_operation_is_created(notified_operation, manager_max):
    [message] = mail.outbox
    assert manager_max.email in message.to
    assert "alice@alice.example" not in message.to and "billing@alice.example" not in message.to
    assert "Approval required" in message.subject
    assert (
        f"{settings.POSTPAY_BASE_URL}/admin/manual_operations/manualoperation/{notified_operation.pk}/change/"
        in message.body
    )


@pytest.mark.django_db
def test_r19_the_managers_mail_links_to_the_operation_with_an_absolute_url(
    settings, manual_mode, customer_alice, postpaid_plan_no_trial, manager_max, django_capture_on_commit_callbacks
):
    """A mail client cannot open a bare path: the link starts at POSTPAY_BASE_URL."""
    settings.POSTPAY_BASE_URL = "https://postpay.example.com/"
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            actor=customer_alice,
            account_id=customer_alice.account_id,
            plan_id=postpaid_plan_no_trial.pk,
            period="commercial",
        )
    operation = ManualOperation.objects.get(order=order)
    [message] = mail.outbox
    link = f"https://postpay.example.com/admin/manual_operations/manualoperation/{operation.pk}/change/"
    assert link in message.body.split()


@pytest.mark.subprocess
def test_postpay_base_url_defaults_to_the_local_server_on_port(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("POSTPAY_BASE_URL", "PORT")}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "postpay_portal.settings", "DJANGO_DEBUG": "1", "POSTPAY_VAR_DIR": str(tmp_path)}
    )
    code = "from django.conf import settings; print(settings.POSTPAY_BASE_URL)"

    def base_url(**extra):
        return subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert base_url() == "http://127.0.0.1:8000"
    assert base_url(PORT="8123") == "http://127.0.0.1:8123"
    assert base_url(POSTPAY_BASE_URL="https://portal.example.com/") == "https://portal.example.com"


def test_docker_compose_passes_the_base_url_to_the_processes_that_send_mail():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        assert "POSTPAY_BASE_URL" in services[name]["environment"]


@pytest.mark.django_db
def test_r19_customer_is_mailed_when_the_approved_order_completes(
    notified_operation, manager_max, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=notified_operation.pk)
    [message] = mail.outbox
    assert set(message.to) == {"alice@alice.example", "billing@alice.example"}
    assert "complete" in message.subject


@pytest.mark.django_db
def test_r16_r19_nothing_is_mailed_to_the_customer_on_a_decline(
    notified_operation, manager_max, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_decline(
            actor=manager_max, operation_id=notified_operation.pk, reason="credit_risk", note="secret"
        )
    assert mail.outbox == []
