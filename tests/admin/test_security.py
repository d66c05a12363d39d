"""Security of the operator portal: login lockout, CSRF, the managers' group, check --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from postpay_portal.groups import MANAGERS_GROUP, OPERATORS_GROUP
from tests.factories import PASSWORD, StaffFactory

LOGIN = reverse("admin:login")
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_operator_logs_in_through_the_admin_login_page(client):
    StaffFactory(username="olga")
    response = client.post(LOGIN, {"username": "olga", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_failed_logins_lock_the_username_with_a_clear_message_never_a_500(client):
    StaffFactory(username="olga")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "olga", "password": "wrong-password"})

    locked = client.post(LOGIN, {"username": "olga", "password": PASSWORD})

    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed login attempts" in html and "locked" in html
    assert "_auth_user_id" not in client.session  # even the right password does not get in
    # another username from the same address is not locked
    StaffFactory(username="ivan")
    assert Client().post(LOGIN, {"username": "ivan", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_admin_forms_require_csrf(superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:settings_app_postpaysettings_change", args=[1]),
        {"postpaid_permission_mode": "manual", "confirm": "x"},
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_postpay_managers_group_exists_after_migrate_with_the_decide_permission():
    """RECIPES: created on post_migrate, so it exists on a fresh database (no fixture made it)."""
    group = Group.objects.get(name=MANAGERS_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"decide_manualoperation", "view_manualoperation"} <= codenames


@pytest.mark.django_db
def test_r33_operators_group_exists_after_migrate_without_plans_or_decisions():
    codenames = set(Group.objects.get(name=OPERATORS_GROUP).permissions.values_list("codename", flat=True))
    assert {"add_account", "change_account", "add_order", "change_order", "change_postpaysettings"} <= codenames
    assert not codenames & {"add_plan", "decide_manualoperation"}


@pytest.mark.subprocess
def test_check_deploy_passes_with_debug_off_and_a_secret(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "POSTPAY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    for test_only in ("DJANGO_SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by tests.settings
        env.pop(test_only, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
