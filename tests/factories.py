"""factory_boy factories. Objects with a status are reached through services, never by
writing the status (STYLE §7): accounts are created by ``account_create``."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from manual_operations.groups import MANAGERS_GROUP, ensure_postpay_managers_group
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
    is_staff = True


class ManagerFactory(StaffFactory):
    @factory.post_generation
    def managers_group(self, create, extracted, **kwargs):
        ensure_postpay_managers_group()
        self.groups.add(Group.objects.get(name=MANAGERS_GROUP))


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
