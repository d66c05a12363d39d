"""The permission sets the product ships as groups (SPEC §1, R33).

The operator portal and the REST API check the same Django permissions (R33), so a group is
the one place an operator's role is defined. Created on ``post_migrate`` rather than in a
data migration: Django creates the permissions of ``Meta.permissions`` only after all
migrations ran (RECIPES).
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

MANAGERS_GROUP = "Postpay managers"
OPERATORS_GROUP = "Operators"
WEBHOOK_MANAGERS_GROUP = "Webhook managers"

# group → [(app_label, model, verbs)]; a verb is Django's ``view``/``add``/``change``/
# ``delete`` or a ``Meta.permissions`` codename's prefix (``decide``).
GROUPS = {
    # Decides manual operations, and reads what an operation links to (view only).
    MANAGERS_GROUP: [
        ("manual_operations", "manualoperation", ("view", "decide")),
        ("accounts", "account", ("view",)),
        ("accounts", "accountclass", ("view",)),
        ("subscriptions", "order", ("view",)),
        ("subscriptions", "subscription", ("view",)),
        ("subscriptions", "plan", ("view",)),
        ("audit", "auditlogentry", ("view",)),
        ("events", "event", ("view",)),
    ],
    # Runs the day-to-day: accounts and their logins, orders placed for a customer (API),
    # payments and retries, the settings. Not plans (the catalog) and not decisions.
    OPERATORS_GROUP: [
        ("accounts", "account", ("view", "add", "change")),
        ("accounts", "accountclass", ("view",)),
        ("manual_operations", "manualoperation", ("view",)),
        ("subscriptions", "order", ("view", "add", "change")),
        ("subscriptions", "subscription", ("view",)),
        ("subscriptions", "plan", ("view",)),
        ("settings_app", "postpaysettings", ("view", "change")),
        ("audit", "auditlogentry", ("view",)),
        # CONTRACT §4: "Events — staff read"; API reads ask for the admin's view permission.
        ("events", "event", ("view",)),
    ],
    # R34: webhook endpoints (their URLs and secrets say where the platform's data goes) and
    # their deliveries (redeliver, replay): given to no other group. The event log too.
    WEBHOOK_MANAGERS_GROUP: [
        ("events", "webhookendpoint", ("view", "add", "change", "delete")),
        ("events", "webhookdelivery", ("view", "change")),
        ("events", "event", ("view",)),
    ],
}

VERB_NAMES = {"view": "Can view", "add": "Can add", "change": "Can change", "delete": "Can delete"}


def ensure_groups(sender=None, using="default", **kwargs):
    """Idempotent; runs after every ``migrate``, and adds what a group lacks (it never takes
    a permission away: an installation may have granted more)."""
    permissions = Permission.objects.db_manager(using)
    content_types = ContentType.objects.db_manager(using)
    groups = {}
    for name, grants in GROUPS.items():
        group, _ = Group.objects.db_manager(using).get_or_create(name=name)
        granted = []
        for app_label, model, verbs in grants:
            model_class = global_apps.get_model(app_label, model)
            content_type = content_types.get_for_model(model_class)
            for verb in verbs:
                label = VERB_NAMES.get(verb, f"Can {verb}")
                permission, _ = permissions.get_or_create(
                    content_type=content_type,
                    codename=f"{verb}_{model}",
                    defaults={"name": f"{label} {model_class._meta.verbose_name_raw}"},
                )
                granted.append(permission)
        group.permissions.add(*granted)
        groups[name] = group
    return groups
