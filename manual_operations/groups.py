"""The group "Postpay managers" holds the decide permission (SPEC §1).

Created on ``post_migrate`` rather than in a data migration: Django creates the
permissions of ``Meta.permissions`` only after all migrations ran (RECIPES).
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

MANAGERS_GROUP = "Postpay managers"
DECIDE_PERMISSION = "manual_operations.decide_manualoperation"


def ensure_postpay_managers_group(sender=None, using="default", **kwargs):
    from .models import ManualOperation

    content_type = ContentType.objects.db_manager(using).get_for_model(ManualOperation)
    permission, _ = Permission.objects.db_manager(using).get_or_create(
        content_type=content_type,
        codename="decide_manualoperation",
        defaults={"name": "Can decide manual operations"},
    )
    view, _ = Permission.objects.db_manager(using).get_or_create(
        content_type=content_type,
        codename="view_manualoperation",
        defaults={"name": "Can view manual operation"},
    )
    group, _ = Group.objects.db_manager(using).get_or_create(name=MANAGERS_GROUP)
    group.permissions.add(permission, view)
    return group


def can_decide(user):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(DECIDE_PERMISSION))
