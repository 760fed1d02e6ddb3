"""Deadline reminders, and an offer log that no UPDATE can rewrite.

The log (`offer_event`) is append-only: the app never updates it, and the database refuses to
(triggers on both engines refuse UPDATE and DELETE), so a decision once recorded stays as it
was. Only `actor_id` may change, to NULL, when an account is deleted (the foreign key's ON
DELETE SET NULL). Deleting an offer is therefore refused too: the app never does.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

MESSAGE = "offer_event is append-only"
COLUMNS = ", ".join(
    f'"{c}"'
    for c in ("id", "offer_id", "from_status", "to_status", "comment", "snapshot", "created_at")
)


async def protect_log(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(
            'CREATE TRIGGER IF NOT EXISTS "offer_event_append_only" '
            f'BEFORE UPDATE OF {COLUMNS} ON "offer_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        await client.execute_script(
            'CREATE TRIGGER IF NOT EXISTS "offer_event_no_delete" BEFORE DELETE ON "offer_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        await client.execute_script(
            "CREATE OR REPLACE FUNCTION offer_event_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
            'DROP TRIGGER IF EXISTS "offer_event_append_only" ON "offer_event";'
            f'CREATE TRIGGER "offer_event_append_only" BEFORE UPDATE OF {COLUMNS} OR DELETE '
            'ON "offer_event" FOR EACH ROW EXECUTE FUNCTION offer_event_append_only();'
        )


async def unprotect_log(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script('DROP TRIGGER IF EXISTS "offer_event_append_only"')
        await client.execute_script('DROP TRIGGER IF EXISTS "offer_event_no_delete"')
    else:
        await client.execute_script(
            'DROP TRIGGER IF EXISTS "offer_event_append_only" ON "offer_event";'
            "DROP FUNCTION IF EXISTS offer_event_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0005_offer_form_data")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Offer",
            name="deadline_reminder_sent_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(protect_log, reverse_code=unprotect_log),
    ]
