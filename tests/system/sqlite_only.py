"""SQLite only — the embedded default's own backend — run by
``test_order_tally.py::test_order_tally_on_sqlite`` (the session's database is PostgreSQL
when it is installed)."""

import pytest
from django.core.management import call_command
from django.db import connection, models

from subscriptions import order_tally
from subscriptions.models import Order
from tests.factories import ManagerFactory
from tests.system.test_order_tally import _held_and_released, assert_tally_exact

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_table_rebuild_loses_the_triggers_and_migrate_restores_them(manual_mode, postpaid_plan):
    assert connection.vendor == "sqlite"
    manager = ManagerFactory()
    _held_and_released(manager, postpaid_plan, 3)

    # What an AlterField on Order does on SQLite: copy the table, drop the old one, rename.
    old = Order._meta.get_field("failure_reason")
    new = models.TextField(blank=True, default="", db_comment="rebuilt")
    new.set_attributes_from_name("failure_reason")
    new.model = Order
    with connection.schema_editor() as editor:
        editor.alter_field(Order, old, new)
    assert not set(order_tally.TRIGGERS) & order_tally.installed_triggers(connection)
    _held_and_released(manager, postpaid_plan, 2)  # written while nothing counts

    call_command("migrate", verbosity=0)

    assert set(order_tally.TRIGGERS) <= order_tally.installed_triggers(connection)
    assert_tally_exact(manager)
    _held_and_released(manager, postpaid_plan, 2)
    assert_tally_exact(manager)
