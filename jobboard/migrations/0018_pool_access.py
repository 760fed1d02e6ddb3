"""`pool_access`: the départements whose verified recruiters may search the pool and propose
their offers (issue 18), opened by staff. A new table: nothing is rebuilt."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0017_proposals")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PoolAccess",
            fields=[
                (
                    "departement_code",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=3),
                ),
                (
                    "opened_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="opened_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pool_accesses",
                        null=True,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("opened_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "pool_access",
                "app": "models",
                "pk_attr": "departement_code",
                "table_description": "A département whose verified recruiters may search the pool "
                "and propose their own open",
            },
            bases=["Model"],
        ),
    ]
