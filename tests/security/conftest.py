"""Fixtures of the second factor and API token tests (SPEC R45, R46)."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def require_2fa(settings):
    """``POSTPAY_REQUIRE_2FA=1``, as in production (the suite's default is 0)."""
    settings.POSTPAY_REQUIRE_2FA = True
    return settings


@pytest.fixture
def enrol():
    """``enrol(user)`` → a confirmed TOTP device, as the enrolment wizard leaves one."""

    def make(user):
        return TOTPDevice.objects.create(user=user, name="default", confirmed=True)

    return make


@pytest.fixture
def decider_admin_urls(manager_max, alice_account, manual_mode):
    """Pages of every kind: the index, a changelist, a change page, custom admin views."""
    return [
        reverse("admin:index"),
        reverse("admin:accounts_account_changelist"),
        reverse("admin:accounts_account_change", args=[alice_account.pk]),
        reverse("admin:manual_operations_manualoperation_report"),
        reverse("admin:accounts_apitoken_create"),
        reverse("admin:password_change"),
    ]
