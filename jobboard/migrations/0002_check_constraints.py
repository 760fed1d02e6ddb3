"""Enforce the models' CheckConstraints in the database.

Tortoise 1.1.9 keeps Meta.constraints in the migration state but its CREATE TABLE omits the
CHECK clauses, and on SQLite AddConstraint rebuilds the table (which loses indexes). So the
checks are applied here: ALTER TABLE … ADD CONSTRAINT on PostgreSQL, and BEFORE INSERT/UPDATE
triggers on SQLite, which cannot add a CHECK to an existing table. The list is frozen here on
purpose: a migration must not change when the models do.
"""

import re

from tortoise import migrations
from tortoise.migrations import operations as ops

CHECKS = [
    ("commune", "commune_density_level_valid", "density_level IS NULL OR density_level BETWEEN 1 AND 4"),
    (
        "organisation",
        "organisation_kind_matches_target",
        "(kind = 'commune' AND commune_id IS NOT NULL AND epci_id IS NULL) OR "
        "(kind = 'epci' AND epci_id IS NOT NULL AND commune_id IS NULL)",
    ),
    ("app_user", "user_role_valid", "role IN ('candidate', 'recruiter', 'staff')"),
    ("app_user", "user_verification_valid", "verification IN ('none', 'pending', 'verified', 'refused')"),
    ("app_user", "user_recruiter_has_organisation", "role <> 'recruiter' OR organisation_id IS NOT NULL"),
    (
        "offer",
        "offer_status_valid",
        "status IN ('draft', 'submitted', 'changes_requested', 'published', 'rejected', 'closed', 'expired', 'archived')",
    ),
    ("offer", "offer_kind_valid", "kind IN ('chef_de_projet', 'vta', 'vta_expertise')"),
    ("offer", "offer_remote_valid", "remote IN ('no', 'partial', 'full')"),
    ("offer", "offer_verdict_valid", "eligibility_verdict IN ('eligible', 'to_review', 'ineligible')"),
    ("offer", "offer_duration_positive", "duration_months > 0"),
    ("offer", "offer_version_positive", "version > 0"),
    (
        "application",
        "application_status_valid",
        "status IN ('received', 'in_review', 'interview', 'accepted', 'rejected', 'withdrawn', 'obsolete')",
    ),
    ("email_outbox", "email_status_valid", "status IN ('pending', 'sent', 'failed')"),
]


def _sqlite_expression(table, check):
    # Inside a trigger, columns are read from the NEW row.
    columns = set(re.findall(r"\b([a-z_]+)\b(?=\s*(?:IS|IN|BETWEEN|=|<>|>))", check))
    for column in sorted(columns, key=len, reverse=True):
        check = re.sub(rf"(?<![\w.']){column}\b", f'NEW."{column}"', check)
    return check


async def add_checks(apps, schema_editor):
    await add_checks_of(CHECKS, schema_editor)


async def drop_checks(apps, schema_editor):
    await drop_checks_of(CHECKS, schema_editor)


async def add_checks_of(checks, schema_editor):
    """Also for a later migration's table (Tortoise's CREATE TABLE omits the CHECK)."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        for table, name, check in checks:
            expression = _sqlite_expression(table, check)
            for event in ("INSERT", "UPDATE"):
                await client.execute_script(
                    f'CREATE TRIGGER IF NOT EXISTS "{name}_{event.lower()}" BEFORE {event} ON "{table}" '
                    f"WHEN NOT ({expression}) "
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
    else:
        for table, name, check in checks:
            await client.execute_script(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({check})')


async def drop_checks_of(checks, schema_editor):
    client = schema_editor.client
    for table, name, _check in checks:
        if client.capabilities.dialect == "sqlite":
            for event in ("insert", "update"):
                await client.execute_script(f'DROP TRIGGER IF EXISTS "{name}_{event}"')
        else:
            await client.execute_script(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(add_checks, reverse_code=drop_checks)]
