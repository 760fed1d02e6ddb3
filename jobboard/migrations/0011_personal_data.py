"""Personal data: the download archive, the marks the retention purge needs, and a log that may
be erased but never rewritten.

`data_export` holds the « Télécharger mes données » archives (offered again for a while).
`app_user.inactivity_warned_at`, `application.anonymised_reason` and
`application.talent_pool_withdrawn_at` are what the purge and the consent withdrawal record.
`offer_event.actor_role` keeps the role of an actor whose account is later deleted (filled in
for the existing rows). `email_outbox.erase_when_sent` marks the last e-mail to a deleted
account.

The application log (0007) refused every UPDATE of its columns; an anonymised application must
lose the comments of its history (a refusal's reason may name the candidate), so `comment` may
now be set to '' and to nothing else. Status, dates and ids still never change.
Values are literal: this file must mean the same whatever the models become.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

MESSAGE = "application_event is append-only"
FIXED = '"id", "application_id", "from_status", "to_status", "created_at"'
OLD_COLUMNS = '"id", "application_id", "from_status", "to_status", "comment", "created_at"'


async def allow_comment_erasure(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script('DROP TRIGGER IF EXISTS "application_event_append_only"')
        await client.execute_script(
            'CREATE TRIGGER "application_event_append_only" '
            f'BEFORE UPDATE OF {FIXED} ON "application_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        await client.execute_script(
            'CREATE TRIGGER IF NOT EXISTS "application_event_comment_erased_only" '
            'BEFORE UPDATE OF "comment" ON "application_event" '
            'WHEN NEW."comment" <> \'\' AND NEW."comment" IS NOT OLD."comment" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        await client.execute_script(
            "CREATE OR REPLACE FUNCTION application_event_append_only() RETURNS trigger AS $$ "
            "BEGIN "
            f"IF TG_OP = 'DELETE' THEN RAISE EXCEPTION '{MESSAGE}'; END IF; "
            "IF (NEW.id, NEW.application_id, NEW.from_status, NEW.to_status, NEW.created_at) "
            "IS DISTINCT FROM (OLD.id, OLD.application_id, OLD.from_status, OLD.to_status, "
            "OLD.created_at) OR (NEW.comment <> '' AND NEW.comment IS DISTINCT FROM OLD.comment) "
            f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; "
            "RETURN NEW; END; $$ LANGUAGE plpgsql;"
        )


async def forbid_comment_erasure(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(
            'DROP TRIGGER IF EXISTS "application_event_comment_erased_only"'
        )
        await client.execute_script('DROP TRIGGER IF EXISTS "application_event_append_only"')
        await client.execute_script(
            'CREATE TRIGGER "application_event_append_only" '
            f'BEFORE UPDATE OF {OLD_COLUMNS} ON "application_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        await client.execute_script(
            "CREATE OR REPLACE FUNCTION application_event_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
        )


async def fill_actor_roles(apps, schema_editor):
    await schema_editor.client.execute_script(
        'UPDATE "offer_event" SET "actor_role" = '
        '(SELECT "role" FROM "app_user" WHERE "app_user"."id" = "offer_event"."actor_id") '
        'WHERE "actor_id" IS NOT NULL'
    )


async def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("models", "0010_saved_offers")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DataExport",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="data_exports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("session_hash", fields.CharField(max_length=64)),
                ("path", fields.CharField(default="", max_length=200)),
                ("size", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("ready_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "data_export",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A « Télécharger mes données » archive, offered again for a while (domain/retention).",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Application",
            name="anonymised_reason",
            field=fields.CharField(null=True, max_length=20),
        ),
        ops.AddField(
            model_name="Application",
            name="talent_pool_withdrawn_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name="ApplicationEvent",
            options={
                "table": "application_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Append-only log of application transitions, like OfferEvent (triggers: migration 0007).",
            },
        ),
        ops.AddField(
            model_name="EmailOutbox",
            name="erase_when_sent",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="OfferEvent",
            name="actor_role",
            field=fields.CharField(null=True, max_length=10),
        ),
        ops.AddField(
            model_name="User",
            name="inactivity_warned_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(fill_actor_roles, reverse_code=nothing),
        ops.RunPython(allow_comment_erasure, reverse_code=forbid_comment_erasure),
    ]
