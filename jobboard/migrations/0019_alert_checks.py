"""The CHECKs of `alert` (its frequency and status), which 0013 named in the table's options
but Tortoise's CREATE TABLE left out (see 0002): added as 0002 adds the others, constraints on
PostgreSQL, triggers on SQLite. No table is rebuilt."""

import importlib

from tortoise import migrations
from tortoise.migrations import operations as ops

_CHECKS = importlib.import_module("jobboard.migrations.0002_check_constraints")
ALERT_CHECKS = [
    ("alert", "alert_frequency_valid", "frequency IN ('daily', 'weekly')"),
    ("alert", "alert_status_valid", "status IN ('pending', 'active', 'paused')"),
]


async def add_alert_checks(apps, schema_editor):
    await _CHECKS.add_checks_of(ALERT_CHECKS, schema_editor)


async def drop_alert_checks(apps, schema_editor):
    await _CHECKS.drop_checks_of(ALERT_CHECKS, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0018_pool_access")]

    initial = False

    operations = [ops.RunPython(add_alert_checks, reverse_code=drop_alert_checks)]
