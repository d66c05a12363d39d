"""Logging in to the operator portal with a second factor (SPEC R45)."""

from django.urls import reverse
from django_otp.oath import totp

from tests.factories import PASSWORD


def current_code(device):
    """The code the authenticator app shows now (RECIPES)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def admin_login(client, username, next_url="/admin/"):
    """CONTRACT §3: Django's form at /admin/login/, username and password alone."""
    return client.post(reverse("admin:login"), {"username": username, "password": PASSWORD, "next": next_url})
