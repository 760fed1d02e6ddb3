"""With the database away, pages answer the French 503 page (not a 500), and come back after."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import httpx
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError, OperationalError

from jobboard.db import is_unavailable
from jobboard.settings import tortoise_config
from tests.conftest import free_port, is_postgres, log_in, make_user


def _unreachable_url(tmp_path: Path) -> str:
    """A database of the suite's engine that cannot be reached (initialising models for the
    other engine would change their field handling for the rest of the session)."""
    if is_postgres():
        return f"postgres://postgres@127.0.0.1:{free_port()}/jobboard"  # nobody listens
    return f"sqlite://{tmp_path / 'absent' / 'jobboard.sqlite3'}"  # no such directory


async def test_pages_answer_503_in_french_while_the_database_is_away(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await make_user(email="lea@example.fr")
    await log_in(client, "lea@example.fr")
    url = _unreachable_url(tmp_path)
    async with TortoiseContext() as away:  # the app now talks to a database it cannot reach
        await away.init(config=tortoise_config(url))
        # Tortoise 1.x keeps its SQLite lock after a failed connect (ConnectionWrapper.__aenter__
        # never releases it), so later queries of that context would wait forever: one request.
        paths = ("/espace/candidat", "/offres/1", "/connexion")
        for path in paths[:1] if url.startswith("sqlite") else paths:
            response = await client.get(path)
            assert response.status_code == 503, (path, response.status_code)
            assert "Service momentanément indisponible" in response.text
            assert '<html lang="fr"' in response.text and "Traceback" not in response.text
            assert response.headers["retry-after"] == "30"
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["x-content-type-options"] == "nosniff"
        if not url.startswith("sqlite"):
            health = await client.get("/sante")
            assert health.status_code == 503
            assert health.json()["base_de_donnees"] == "injoignable"
    assert (await client.get("/espace/candidat")).status_code == 200  # back, still signed in


def test_only_connection_failures_count_as_unavailable() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    assert is_unavailable(refused)
    wrapped = OperationalError("unable to open database file")
    wrapped.__cause__ = sqlite3.OperationalError("unable to open database file")
    assert is_unavailable(wrapped)
    syntax = OperationalError("near SELEC: syntax error")
    syntax.__cause__ = sqlite3.OperationalError("near SELEC: syntax error")
    assert not is_unavailable(syntax)
    assert not is_unavailable(IntegrityError("UNIQUE constraint failed"))
    # A pooled connection that PostgreSQL dropped in a restart, met before the pool noticed
    # (seen by benchmarks/cluster.py --faults).
    dropped = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    assert is_unavailable(dropped)
    translated = OperationalError("cannot switch to state 12")
    translated.__cause__ = dropped
    assert is_unavailable(translated)
    assert is_unavailable(asyncpg.exceptions.InterfaceError("connection is closed"))
    busy = asyncpg.exceptions.InterfaceError(
        "cannot perform operation: another operation is in progress"
    )
    assert not is_unavailable(busy)
    assert not is_unavailable(ValueError("bad"))
