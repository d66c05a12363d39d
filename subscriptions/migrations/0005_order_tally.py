"""Orders counted by status, kept by triggers (issue 11 item 7; ``subscriptions/order_tally.py``).

The API's exact ``count`` of three million orders took 300 ms a page; the tally's few rows
give it at once. Creating the triggers counts the orders already there, in the same
transaction.
"""

from django.db import migrations, models


def install(apps, schema_editor):
    from subscriptions import order_tally

    order_tally.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from subscriptions import order_tally

    order_tally.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_order_status_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=50)),
                ("delta", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
