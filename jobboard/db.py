"""Database set-up: migrations and connection URLs shared by the CLI, the app and the tests."""

from __future__ import annotations

import socket
import sqlite3

import asyncpg.exceptions
from tortoise import Tortoise, connections
from tortoise.exceptions import DBConnectionError
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


async def erase_deleted_pages() -> None:
    """After personal data was deleted: on SQLite (whose connections `secure_delete`, see
    settings.connection_url), copy the write-ahead log into the database file and truncate it,
    so the old versions of the deleted rows are gone from the WAL file too. PostgreSQL needs
    nothing here (VACUUM reclaims dead rows; its files are not handed out)."""
    client = connections.get("default")
    if client.capabilities.dialect == "sqlite":
        await client.execute_query("PRAGMA wal_checkpoint(TRUNCATE)")


# PostgreSQL refusing or dropping connections: class 08 (connection exception), class 57
# (shut down, starting up), too many clients.
_POSTGRES_AWAY = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_SQLITE_AWAY = ("unable to open database file", "database is locked", "disk i/o error")
# What asyncpg raises on a pooled connection the server dropped (a restart) before the pool
# noticed: the protocol is left mid-operation, or the connection is already closed.
_ASYNCPG_DROPPED = (asyncpg.exceptions.InternalClientError,)
_ASYNCPG_CLOSED = "connection is closed"


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) means the database cannot be reached right now, as
    opposed to a faulty query: the site then answers 503, the CLI one line."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | DBConnectionError | socket.gaierror):
            return True
        if isinstance(current, (*_POSTGRES_AWAY, *_ASYNCPG_DROPPED)):
            return True
        if isinstance(current, asyncpg.exceptions.InterfaceError) and _ASYNCPG_CLOSED in str(
            current
        ):
            return True
        if isinstance(current, sqlite3.OperationalError) and str(current).lower() in _SQLITE_AWAY:
            return True
        current = current.__cause__ or current.__context__
    return False
