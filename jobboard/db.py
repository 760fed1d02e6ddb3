"""Database set-up: migrations and connection URLs shared by the CLI, the app and the tests."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api import migrate as _tortoise_migrate

from jobboard.settings import tortoise_config


def _migration_url(database_url: str) -> str:
    """SQLite table rebuilds (AlterField) cascade-delete the rows that reference the table unless
    foreign keys are off while migrating (tests/test_migrations.py upgrades a populated
    database); PostgreSQL alters in place."""
    if not database_url.startswith("sqlite"):
        return database_url
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}foreign_keys=OFF"


async def migrate(database_url: str) -> None:
    """Apply every pending migration; run it once, before any web worker starts."""
    await _tortoise_migrate(config=tortoise_config(_migration_url(database_url)))
    await Tortoise.close_connections()
