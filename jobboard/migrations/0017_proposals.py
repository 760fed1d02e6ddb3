"""`proposal`: an open offer proposed to a pooled candidate (issue 18), one per candidate and
offer, with its outbox e-mail and its outcome. A new table: nothing is rebuilt.

Tortoise's CREATE TABLE leaves out the CHECK of `options` (see 0002): the status check is
added here as 0002 adds the others, a constraint on PostgreSQL, two triggers on SQLite.
"""

import importlib

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint


_CHECKS = importlib.import_module("jobboard.migrations.0002_check_constraints")
STATUS_CHECK = ("proposal", "proposal_status_valid", "status IN ('sent', 'opened', 'applied', 'declined')")


async def add_status_check(apps, schema_editor):
    await _CHECKS.add_checks_of([STATUS_CHECK], schema_editor)


async def drop_status_check(apps, schema_editor):
    await _CHECKS.drop_checks_of([STATUS_CHECK], schema_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0016_staff_territory")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Proposal",
            fields=[
                ("id", fields.IntField(primary_key=True, unique=True, db_index=True)),
                (
                    "offer",
                    fields.ForeignKeyField(
                        "models.Offer",
                        source_field="offer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="proposals",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "candidate",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="candidate_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="proposals",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "proposed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="proposed_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="proposals_made",
                        null=True,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("message", fields.TextField(default="")),
                ("status", fields.CharField(default="sent", max_length=10)),
                ("sent_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "opened_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "answered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "application",
                    fields.ForeignKeyField(
                        "models.Application",
                        source_field="application_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="proposals",
                        null=True,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "email",
                    fields.ForeignKeyField(
                        "models.EmailOutbox",
                        source_field="email_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="proposals",
                        null=True,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "proposal",
                "app": "models",
                "unique_together": (("offer", "candidate"),),
                "constraints": [
                    CheckConstraint(
                        check="status IN ('sent', 'opened', 'applied', 'declined')",
                        name="proposal_status_valid",
                    ),
                ],
                "indexes": [Index(fields=["candidate_id", "sent_at"])],
                "pk_attr": "id",
                "table_description": "An open offer proposed to a pooled candidate "
                "(`domain.talent_pool`): one per candidate and",
            },
            bases=["Model"],
        ),
        ops.RunPython(add_status_check, reverse_code=drop_status_check),
    ]
