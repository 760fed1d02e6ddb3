"""E-mail alerts on a board search, the first publication of each offer, and outbox headers.

`alert` is a new table. `offer.first_published_at` is filled in for the existing offers from
their log (the first move to « published »), else from `published_at`. `email_outbox.headers`
is nullable: added on both engines without rebuilding the table.
Values are literal: this file must mean the same whatever the models become.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint


async def fill_first_publications(apps, schema_editor):
    await schema_editor.client.execute_script(
        'UPDATE "offer" SET "first_published_at" = COALESCE('
        '(SELECT MIN("offer_event"."created_at") FROM "offer_event" '
        'WHERE "offer_event"."offer_id" = "offer"."id" '
        "AND \"offer_event\".\"to_status\" = 'published'), \"published_at\") "
        'WHERE "first_published_at" IS NULL'
    )


async def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("models", "0012_saved_cv")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Alert",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("email", fields.CharField(db_index=True, max_length=254)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("query", fields.CharField(max_length=1000)),
                ("frequency", fields.CharField(max_length=10)),
                ("status", fields.CharField(default="pending", max_length=10)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "confirmed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_sent_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("watermark", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_period", fields.CharField(default="", max_length=12)),
                (
                    "unsubscribed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "alert",
                "app": "models",
                "constraints": [
                    CheckConstraint(
                        check="frequency IN ('daily', 'weekly')", name="alert_frequency_valid"
                    ),
                    CheckConstraint(
                        check="status IN ('pending', 'active', 'paused')",
                        name="alert_status_valid",
                    ),
                ],
                "indexes": [Index(fields=["status", "last_period"])],
                "pk_attr": "id",
                "table_description": "An e-mail alert: a saved board search (its canonical query "
                "string), an address and a",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="EmailOutbox",
            name="headers",
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name="Offer",
            name="first_published_at",
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_first_publications, reverse_code=nothing),
    ]
