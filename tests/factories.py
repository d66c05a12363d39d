"""factory_boy factories. Objects with a status are reached through services, never by
writing the status (STYLE §7): accounts are created by ``account_create``."""

from decimal import Decimal

import factory

from accounts.models import User
from postpay_portal.groups import MANAGERS_GROUP, OPERATORS_GROUP, ensure_groups
from subscriptions.models import Plan

PASSWORD = "correct-horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    """Staff status and no permission at all (R33: staff status alone allows no write)."""

    is_staff = True


def join_groups(user, *names):
    groups = ensure_groups()
    user.groups.add(*(groups[name] for name in names))


class OperatorFactory(StaffFactory):
    """An operator of the "Operators" group: accounts, payments, retries, settings; no decisions."""

    @factory.post_generation
    def operators_group(self, create, extracted, **kwargs):
        join_groups(self, OPERATORS_GROUP)


class ManagerFactory(StaffFactory):
    """Like the demo manager: "Postpay managers" and "Operators"."""

    @factory.post_generation
    def managers_group(self, create, extracted, **kwargs):
        join_groups(self, MANAGERS_GROUP, OPERATORS_GROUP)


class SuperuserFactory(StaffFactory):
    is_superuser = True


class AccountFactory(factory.Factory):
    """Through the service: ``AccountFactory(preapproved=True)`` starts approved (R7)."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Account {n}")
    email = ""
    account_class = None
    manager = None
    preapproved = False

    @classmethod
    def _create(cls, model_class, **kwargs):
        from accounts.services import account_create

        return account_create(actor=None, **kwargs)

    _build = _create


class CustomerFactory(UserFactory):
    account = factory.SubFactory(AccountFactory)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"Plan {n}")
    billing_model = "postpay"
    price = Decimal("10.00")
    trial_days = 0


def api_token_for(user, name="api"):
    """A new API token of ``user`` through the service (R46); returns the raw token."""
    from accounts.tokens import api_token_create

    return api_token_create(actor=None, user=user, name=name)[1]
