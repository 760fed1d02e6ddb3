"""`search_state.seen_at`: when the newest change row a replica's last pass read was made.

The rows made up to then have been applied to that replica, so any process of the host (a web
worker answering `/sante` as well as the `jobboard worker` that applies the changes) can tell
the index lag from the database. A new nullable column: no table is rebuilt.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0014_cv_blob")]

    initial = False

    operations = [
        ops.AddField(
            model_name="SearchState",
            name="seen_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
