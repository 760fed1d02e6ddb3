"""E-mail confirmation date on users, and one organisation per commune or EPCI.

`unique_together = (commune, epci)` cannot stop two organisations for one commune, because
epci_id is NULL for communes and NULLs never collide; partial unique indexes can, on both
PostgreSQL and SQLite (public signup made that race reachable).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

INDEXES = [
    ("organisation_one_per_commune", "commune_id", "kind = 'commune'"),
    ("organisation_one_per_epci", "epci_id", "kind = 'epci'"),
]


async def add_indexes(apps, schema_editor):
    for name, column, condition in INDEXES:
        await schema_editor.client.execute_script(
            f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" ON "organisation" ("{column}") '
            f"WHERE {condition}"
        )


async def drop_indexes(apps, schema_editor):
    for name, _column, _condition in INDEXES:
        await schema_editor.client.execute_script(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("models", "0003_user_session")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="email_confirmed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(add_indexes, reverse_code=drop_indexes),
    ]
