"""R45: who must pass a second factor, and checking one.

A decider (a staff login with the decide permission, superusers included) passes a TOTP code
or one of their single-use backup codes before entering the operator portal or getting an API
token, while ``POSTPAY_REQUIRE_2FA`` is on. Devices are django-otp's: a TOTP device made by the
enrolment wizard and a static device holding the backup codes.
"""

import django_otp
from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.utils import totp_digits

from manual_operations.groups import can_decide

BACKUP_CODE_COUNT = 10
BACKUP_DEVICE_NAME = "backup"
# Longer than any TOTP or backup code: a longer answer is refused without touching a device.
CODE_MAX_LENGTH = 16


def second_factor_required(user):
    """R45: while ``POSTPAY_REQUIRE_2FA`` is on, every staff login with the decide permission."""
    return bool(settings.POSTPAY_REQUIRE_2FA) and can_decide(user)


def second_factor_enrolled(user):
    """Has the login a confirmed device (a TOTP device, or backup codes left over)?"""
    return django_otp.user_has_device(user, confirmed=True)


def second_factor_match(*, user, code):
    """The device that accepts ``code`` — the current TOTP code, or an unused backup code,
    which is consumed — else ``None``. django-otp refuses a TOTP code it accepted before and
    slows each device down after failures (1 s, 2 s, 4 s…), so a code cannot be replayed or
    guessed quickly. A code goes only to the devices of its kind (six digits: the app's; else
    the backup codes), so that a mistyped app code does not slow down the backup codes."""
    code = "".join(str(code or "").split())
    if not code or len(code) > CODE_MAX_LENGTH:
        return None
    app_code = code.isdigit() and len(code) == totp_digits()
    with transaction.atomic():
        for device in django_otp.devices_for_user(user, for_verify=True):
            if isinstance(device, TOTPDevice) == app_code and device.verify_token(code):
                return device
    return None


def backup_codes_issue(*, user):
    """R45: a new set of single-use backup codes, replacing any left; returns them to be shown."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
