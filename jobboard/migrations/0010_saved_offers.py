"""Saved offers (« Sauvegarder »): one row per candidate and offer, with its reminder's time."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0009_applications_seen")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SavedOffer",
            fields=[
                ("id", fields.IntField(primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="saved_offers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "offer",
                    fields.ForeignKeyField(
                        "models.Offer",
                        source_field="offer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="saved_by",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "reminder_sent_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "saved_offer",
                "app": "models",
                "unique_together": (("user", "offer"),),
                "pk_attr": "id",
                "table_description": "An offer a candidate keeps (« Sauvegarder »), and the one "
                "deadline reminder it earns.",
            },
            bases=["Model"],
        ),
    ]
