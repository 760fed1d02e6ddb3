"""When each recruiter last opened each offer's applications page (« nouvelles candidatures »).

A new table only: nothing existing is rebuilt on either engine.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_mail_uncertain")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApplicationsSeen",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("user", fields.ForeignKeyField("models.User", source_field="user_id", db_constraint=True, to_field="id", related_name="applications_seen", on_delete=OnDelete.CASCADE)),
                ("offer", fields.ForeignKeyField("models.Offer", source_field="offer_id", db_constraint=True, to_field="id", related_name="applications_seen", on_delete=OnDelete.CASCADE)),
                ("seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "applications_seen",
                "app": "models",
                "unique_together": (("user", "offer"),),
                "pk_attr": "id",
                "table_description": (
                    "When a recruiter last opened an offer's applications page: the applications "
                    "received since are « nouvelles » for them. One row per (recruiter, offer), "
                    "upserted."
                ),
            },
            bases=["Model"],
        ),
    ]
