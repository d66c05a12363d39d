"""Demo data for a first run (CONTRACT §5); idempotent: a second run adds nothing.

Everything goes through the services, as a real operator and customers would, so the demo
accounts reach each permission status by the same path as production data.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account
from accounts.services import account_create, account_user_create
from manual_operations.models import DeclineReason, ManualOperation
from manual_operations.services import manual_operation_approve, manual_operation_decline
from postpay_portal.groups import MANAGERS_GROUP, OPERATORS_GROUP, WEBHOOK_MANAGERS_GROUP, ensure_groups
from settings_app.services import postpay_settings_update
from subscriptions.models import Period, Plan
from subscriptions.services import order_place, plan_create

DEMO_PASSWORD = "postpay-demo"

PLANS = [
    ("Starter", "prepay", Decimal("9.90"), 14),
    ("Cloud Flex", "postpay", Decimal("29.00"), 30),
    ("Enterprise Metered", "postpay", Decimal("199.00"), 0),
]

# account name, class, customer login, what happens to it
ACCOUNTS = [
    ("Acme Corp", "Standard", "alice", "none"),
    ("Globex", "Standard", "bob", "under_review"),
    ("Initech", "Enterprise", "carol", "approved"),
    ("Umbrella", "Enterprise", "dave", "declined"),
]

DEMO_LOGINS = [
    ("/admin/", "manager", "operator who decides manual operations (Postpay managers)"),
    ("/admin/", "operator", "operator without the decide permission (read-only queue)"),
    ("/admin/", "integrator", "manages webhook endpoints and their deliveries (Webhook managers)"),
    ("/portal/", "alice", "customer of Acme Corp (not verified yet)"),
    ("/portal/", "bob", "customer of Globex (under review, held order)"),
    ("/portal/", "carol", "customer of Initech (approved, active subscription)"),
    ("/portal/", "dave", "customer of Umbrella (declined; sees 'under review')"),
]


class Command(BaseCommand):
    help = "Create demo plans, accounts in each permission status, and logins (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            created = self.seed()
        self.stdout.write(f"Demo data: {created} object(s) created. Password of every demo login: {DEMO_PASSWORD}")

    def user(self, username, **fields):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults=fields)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user, created

    def seed(self):
        created = 0
        groups = ensure_groups()
        operators = groups[OPERATORS_GROUP]

        manager, new = self.user("manager", is_staff=True, email="manager@example.com", first_name="Max")
        created += new
        manager.groups.add(groups[MANAGERS_GROUP], operators)
        operator, new = self.user("operator", is_staff=True, email="operator@example.com", first_name="Olga")
        created += new
        operator.groups.add(operators)
        integrator, new = self.user("integrator", is_staff=True, email="integrator@example.com", first_name="Ines")
        created += new
        integrator.groups.add(groups[WEBHOOK_MANAGERS_GROUP])  # CONTRACT §5: webhook endpoints, no decisions

        plans = {}
        for name, billing_model, price, trial_days in PLANS:
            plan = Plan.objects.filter(name=name).first()
            if plan is None:
                plan = plan_create(
                    actor=None, name=name, billing_model=billing_model, price=price, trial_days=trial_days
                )
                created += 1
            plans[name] = plan

        if not Account.objects.exists():
            postpay_settings_update(actor=manager, postpaid_permission_mode="manual", reason="demo data")

        for name, klass, login, fate in ACCOUNTS:
            if Account.objects.filter(name=name).exists():
                continue
            account = account_create(
                actor=manager,
                name=name,
                email=f"billing@{name.split()[0].lower()}.example",
                account_class=klass,
                manager="manager",
            )
            customer = account_user_create(
                actor=manager,
                account_id=account.pk,
                username=login,
                password=DEMO_PASSWORD,
                email=f"{login}@example.com",
            )
            created += 2
            order_place(actor=customer, account_id=account.pk, plan_id=plans["Starter"].pk, period=Period.TRIAL)
            if fate == "none":
                continue
            order_place(actor=customer, account_id=account.pk, plan_id=plans["Cloud Flex"].pk, period=Period.COMMERCIAL)
            operation = ManualOperation.objects.get(account=account)
            if fate == "approved":
                manual_operation_approve(actor=manager, operation_id=operation.pk, note="Known customer since 2019.")
            elif fate == "declined":
                manual_operation_decline(
                    actor=manager,
                    operation_id=operation.pk,
                    reason=DeclineReason.CREDIT_RISK,
                    note="Unpaid invoices elsewhere.",
                )
        return created
