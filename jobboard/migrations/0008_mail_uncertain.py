"""E-mails that are being sent or perhaps delivered: two more outbox states and `uncertain_since`.

`sending` marks a claimed row until its outcome is written (a row still `sending` past its lease
belonged to a sender that died mid-send); `uncertain` a message perhaps delivered twice, never
sent again. The CHECK is replaced as 0002 applied it (triggers on SQLite, a constraint on
PostgreSQL); the migration state learns the new check through AlterModelOptions, which touches
no table (on SQLite, AddConstraint would rebuild it).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint

NAME = "email_status_valid"
OLD = "status IN ('pending', 'sent', 'failed')"
NEW = "status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')"


async def _replace_check(schema_editor, check):
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        expression = check.replace("status", 'NEW."status"', 1)
        for event in ("INSERT", "UPDATE"):
            trigger = f"{NAME}_{event.lower()}"
            await client.execute_script(f'DROP TRIGGER IF EXISTS "{trigger}"')
            await client.execute_script(
                f'CREATE TRIGGER "{trigger}" BEFORE {event} ON "email_outbox" '
                f"WHEN NOT ({expression}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {NAME}'); END"
            )
    else:
        await client.execute_script(
            f'ALTER TABLE "email_outbox" DROP CONSTRAINT IF EXISTS "{NAME}";'
            f'ALTER TABLE "email_outbox" ADD CONSTRAINT "{NAME}" CHECK ({check})'
        )


async def widen_status(apps, schema_editor):
    await _replace_check(schema_editor, NEW)


async def narrow_status(apps, schema_editor):
    await _replace_check(schema_editor, OLD)


class Migration(migrations.Migration):
    dependencies = [("models", "0007_application_log")]

    initial = False

    operations = [
        ops.AddField(
            model_name="EmailOutbox",
            name="uncertain_since",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name="EmailOutbox",
            options={
                "constraints": [CheckConstraint(check=NEW, name=NAME)],
                "pk_attr": "id",
                "table_description": (
                    "A message written in the transaction that caused it, sent later by the "
                    "mail worker."
                ),
            },
        ),
        ops.RunPython(widen_status, reverse_code=narrow_status),
    ]
