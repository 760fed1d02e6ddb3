"""An application log that no UPDATE can rewrite, as the offer log (0006).

`application_event` is append-only: the app never updates it (every application change goes
through `services/applications.transition_application`, which only inserts), and the database
refuses UPDATE and DELETE (triggers on both engines). Only `actor_id` may change, to NULL, when
an account is deleted (the foreign key's ON DELETE SET NULL). Deleting an application that has
a log is therefore refused too: the app never does (retention anonymises).
Values are literal: this file must mean the same whatever the models become.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

MESSAGE = "application_event is append-only"
COLUMNS = '"id", "application_id", "from_status", "to_status", "comment", "created_at"'


async def protect_log(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script(
            'CREATE TRIGGER IF NOT EXISTS "application_event_append_only" '
            f'BEFORE UPDATE OF {COLUMNS} ON "application_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        await client.execute_script(
            'CREATE TRIGGER IF NOT EXISTS "application_event_no_delete" '
            'BEFORE DELETE ON "application_event" '
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        await client.execute_script(
            "CREATE OR REPLACE FUNCTION application_event_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
            'DROP TRIGGER IF EXISTS "application_event_append_only" ON "application_event";'
            f'CREATE TRIGGER "application_event_append_only" BEFORE UPDATE OF {COLUMNS} OR DELETE '
            'ON "application_event" FOR EACH ROW EXECUTE FUNCTION application_event_append_only();'
        )


async def unprotect_log(apps, schema_editor):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        await client.execute_script('DROP TRIGGER IF EXISTS "application_event_append_only"')
        await client.execute_script('DROP TRIGGER IF EXISTS "application_event_no_delete"')
    else:
        await client.execute_script(
            'DROP TRIGGER IF EXISTS "application_event_append_only" ON "application_event";'
            "DROP FUNCTION IF EXISTS application_event_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0006_moderation")]

    initial = False

    operations = [ops.RunPython(protect_log, reverse_code=unprotect_log)]
