"""R33 (SPEC R44's last sentence): only superusers grant groups or permissions — the group
admin included — and no permission an operator holds lets them mint or touch another login's
API token (R46) or second factor device (R45)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken
from accounts.tokens import api_token_create
from postpay_portal.groups import MANAGERS_GROUP
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def staff_with_every_permission_of(*models):
    """Staff, no superuser, holding add, change, delete and view of each (app_label, model)."""
    user = StaffFactory(username="gus")
    for app_label, model in models:
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, content_type__model=model)
        )
    assert user.user_permissions.count() >= 4 * len(models)
    return user


def group_state():
    return sorted(
        (group.name, sorted(group.permissions.values_list("codename", flat=True))) for group in Group.objects.all()
    )


def test_r33_a_staff_member_with_every_group_permission_cannot_add_change_or_delete_a_group(client, manager_max):
    gus = staff_with_every_permission_of(("auth", "group"))
    managers = Group.objects.get(name=MANAGERS_GROUP)
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    before = group_state()
    client.force_login(gus)

    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200  # viewing is fine
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    added = client.post(reverse("admin:auth_group_add"), {"name": "Gus's own", "permissions": every_permission})
    changed = client.post(
        reverse("admin:auth_group_change", args=[managers.pk]),
        {"name": MANAGERS_GROUP, "permissions": every_permission},
    )
    deleted = client.post(reverse("admin:auth_group_delete", args=[managers.pk]), {"post": "yes"})

    assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert group_state() == before


def test_r33_a_superuser_still_manages_groups(client, admin_ada):
    client.force_login(admin_ada)
    response = client.post(reverse("admin:auth_group_add"), {"name": "Auditors", "permissions": []})
    assert response.status_code == 302
    assert Group.objects.filter(name="Auditors").exists()


def test_r33_a_staff_member_with_every_token_permission_cannot_mint_a_token_for_another_login(client, admin_ada):
    gus = staff_with_every_permission_of(("accounts", "apitoken"))
    client.force_login(gus)

    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    add = client.post(
        "/admin/accounts/apitoken/add/", {"user": admin_ada.pk, "name": "ada", "expiry": "2099-01-01 00:00:00"}
    )
    assert add.status_code == 403
    # The operator's own page mints for the operator only, whatever the request says.
    client.post(reverse("admin:accounts_apitoken_create"), {"name": "mine", "user": admin_ada.pk})

    assert not ApiToken.objects.filter(user=admin_ada).exists()
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["gus"]


def test_r33_a_staff_member_cannot_change_or_delete_another_logins_token(client, admin_ada):
    adas = api_token_create(actor=None, user=admin_ada, name="ada-script")[0]
    gus = staff_with_every_permission_of(("accounts", "apitoken"))
    client.force_login(gus)

    change = client.post(f"/admin/accounts/apitoken/{adas.pk}/change/", {"user": gus.pk, "name": "mine"})
    delete = client.post(f"/admin/accounts/apitoken/{adas.pk}/delete/", {"post": "yes"})

    assert change.status_code in (302, 403) and delete.status_code == 403
    adas.refresh_from_db()
    assert (adas.user, adas.name) == (admin_ada, "ada-script")


def test_r33_only_a_superuser_sees_or_resets_second_factor_devices(client, admin_ada, manager_max):
    device = TOTPDevice.objects.create(user=manager_max, name="default", confirmed=True)
    gus = staff_with_every_permission_of(("otp_totp", "totpdevice"), ("otp_static", "staticdevice"))
    client.force_login(gus)

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").status_code == 403
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/otp_totp/totpdevice/add/", {"user": gus.pk, "name": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    client.force_login(admin_ada)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key not in page.content.decode()  # the key is never shown
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()  # reset: enrols again at next login
