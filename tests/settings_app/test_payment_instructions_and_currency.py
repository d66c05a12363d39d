"""Payment instructions on the postpay settings (changed through ``postpay_settings_update``,
audited per field, R29) and the currency beside every price (CONTRACT §2
``POSTPAY_CURRENCY``): the setting, the one format, the e-mails."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from audit.models import AuditLogEntry
from events.models import Event
from postpay_portal.errors import InvalidInput, PermissionDenied
from settings_app.selectors import postpay_settings_get
from settings_app.services import postpay_settings_update
from subscriptions.money import format_price
from subscriptions.notifications import notify_customer_order_completed
from tests.support.actions import place

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
INSTRUCTIONS = "Pay by bank transfer to IBAN DE02 1203 0000 0000 2020 51.\nQuote the order number as the reference."


def test_r29_payment_instructions_change_through_the_service_and_are_audited_whole(staff_sam):
    postpay_settings_update(actor=staff_sam, payment_instructions=INSTRUCTIONS + "  \r\n")
    assert postpay_settings_get().payment_instructions == INSTRUCTIONS
    [entry] = AuditLogEntry.objects.filter(object_type="postpay_settings")
    assert (entry.field, entry.from_value, entry.to_value, entry.actor) == (
        "payment_instructions",
        "",
        INSTRUCTIONS,
        staff_sam,
    )
    # Not a change of the settings the API shows: no postpay_settings.changed (decision 123).
    assert Event.objects.filter(type="postpay_settings.changed").count() == 0

    postpay_settings_update(actor=staff_sam, payment_instructions=INSTRUCTIONS)  # the same text: no change
    postpay_settings_update(actor=staff_sam, trial_requires_approval=True)  # another field: the text stays
    assert postpay_settings_get().payment_instructions == INSTRUCTIONS
    assert list(AuditLogEntry.objects.filter(object_type="postpay_settings").values_list("field", flat=True)) == [
        "trial_requires_approval",
        "payment_instructions",
    ]


@pytest.mark.parametrize("bad", [42, "x" * 4001])
def test_r31_instructions_that_are_not_a_short_enough_text_are_refused_and_nothing_changes(staff_sam, bad):
    with pytest.raises(InvalidInput) as refusal:
        postpay_settings_update(actor=staff_sam, payment_instructions=bad)
    assert list(refusal.value.fields) == ["payment_instructions"]
    assert postpay_settings_get().payment_instructions == ""
    assert not AuditLogEntry.objects.exists()


def test_r33_a_customer_cannot_change_the_instructions(customer_alice):
    with pytest.raises(PermissionDenied):
        postpay_settings_update(actor=customer_alice, payment_instructions=INSTRUCTIONS)
    assert postpay_settings_get().payment_instructions == ""


def test_one_price_format_amount_and_currency(settings):
    assert format_price(Decimal("29")) == "29.00 USD"
    assert format_price(Decimal("12345.5")) == "12,345.50 USD"
    assert format_price(None) == "—"
    settings.POSTPAY_CURRENCY = "EUR"
    assert format_price("9.90") == "9.90 EUR"


@pytest.mark.subprocess
def test_postpay_currency_is_read_from_the_environment_and_must_be_a_code(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "POSTPAY_CURRENCY"}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "postpay_portal.settings", "DJANGO_DEBUG": "1", "POSTPAY_VAR_DIR": str(tmp_path)}
    )
    code = "from django.conf import settings; print(settings.POSTPAY_CURRENCY)"

    def currency(**extra):
        return subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, cwd=ROOT, capture_output=True, text=True
        )

    assert currency().stdout.strip() == "USD"
    assert currency(POSTPAY_CURRENCY="eur").stdout.strip() == "EUR"
    refused = currency(POSTPAY_CURRENCY="EURO")
    assert refused.returncode != 0 and "POSTPAY_CURRENCY must be an ISO 4217 code" in refused.stderr


# --- e-mails -------------------------------------------------------------------------------------


def completion_mail(order):
    mail.outbox.clear()
    notify_customer_order_completed(order.pk)
    [message] = mail.outbox
    return message.body


def test_r19_the_completion_mail_tells_the_price_with_its_currency_and_how_to_pay(customer_alice, postpaid_plan):
    order = place(customer_alice, postpaid_plan)
    body = completion_mail(order)
    assert "Price: 29.00 USD per billing period of 30 days." in body
    assert "How to pay" not in body  # no instructions set
    postpay_settings_update(actor=None, payment_instructions=INSTRUCTIONS)
    assert f"How to pay:\n{INSTRUCTIONS}\n" in completion_mail(order)


def test_r19_a_trial_mail_says_free_and_carries_no_payment_instructions(customer_alice, postpaid_plan):
    postpay_settings_update(actor=None, payment_instructions=INSTRUCTIONS)
    body = completion_mail(place(customer_alice, postpaid_plan, "trial"))
    assert "Price: free for 30 days (a trial period)." in body
    assert INSTRUCTIONS not in body


def test_r19_the_managers_mail_tells_the_held_price_with_its_currency(
    manual_mode, customer_alice, postpaid_plan, manager_max, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(customer_alice, postpaid_plan)
    [message] = mail.outbox
    assert f"Order: #{order.pk} — Cloud Flex, 29.00 USD" in message.body
