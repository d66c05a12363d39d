"""The group "Postpay managers" holds the decide permission (SPEC §1).

Created on ``post_migrate`` rather than in a data migration: Django creates the
permissions of ``Meta.permissions`` only after all migrations ran (RECIPES).
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

MANAGERS_GROUP = "Postpay managers"
DECIDE_PERMISSION = "manual_operations.decide_manualoperation"


# What a manager reads while deciding: the linked account, its orders and subscriptions,
# the plans and the audit log (view only; deciding is its own permission).
MANAGER_VIEW_PERMISSIONS = [
    ("accounts", "account"),
    ("accounts", "accountclass"),
    ("subscriptions", "order"),
    ("subscriptions", "subscription"),
    ("subscriptions", "plan"),
    ("audit", "auditlogentry"),
    ("manual_operations", "manualoperation"),
]


def ensure_postpay_managers_group(sender=None, using="default", **kwargs):
    """Idempotent; runs after every ``migrate``, when all permissions exist."""
    from django.apps import apps as global_apps

    from .models import ManualOperation

    permissions = Permission.objects.db_manager(using)
    content_types = ContentType.objects.db_manager(using)
    decide, _ = permissions.get_or_create(
        content_type=content_types.get_for_model(ManualOperation),
        codename="decide_manualoperation",
        defaults={"name": "Can decide manual operations"},
    )
    group, _ = Group.objects.db_manager(using).get_or_create(name=MANAGERS_GROUP)
    granted = [decide]
    for app_label, model in MANAGER_VIEW_PERMISSIONS:
        model_class = global_apps.get_model(app_label, model)
        view, _ = permissions.get_or_create(
            content_type=content_types.get_for_model(model_class),
            codename=f"view_{model}",
            defaults={"name": f"Can view {model_class._meta.verbose_name_raw}"},  # Django's own wording
        )
        granted.append(view)
    group.permissions.add(*granted)
    return group


def can_decide(user):
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(DECIDE_PERMISSION))
