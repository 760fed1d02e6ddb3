"""Migrations on SQLite: applied from scratch, idempotent, and enforcing the CHECK constraints."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_DB_URL, is_postgres
from tests.test_cli import run


def test_migrate_twice_and_checks_hold(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "migrate").returncode == 0
    database = sqlite3.connect(tmp_path / "jobboard.sqlite3")
    tables = {r[0] for r in database.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "offer",
        "application",
        "app_user",
        "commune",
        "search_change",
        "email_outbox",
    } <= tables
    database.execute("INSERT INTO region (code, name) VALUES ('84', 'Auvergne-Rhône-Alpes')")
    with pytest.raises(sqlite3.IntegrityError, match="user_role_valid"):
        database.execute(
            "INSERT INTO app_user (email, password_hash, full_name, role, verification, "
            "verification_note, is_active, created_at) "
            "VALUES ('a@b.fr', 'x', 'X', 'admin', 'none', '', 1, CURRENT_TIMESTAMP)"
        )


def _upgrade(database_url: str) -> None:
    """In a subprocess: Tortoise's global state must not touch the suite's test database."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.upgrade_check", database_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rows kept" in result.stdout


def test_upgrade_to_latest_keeps_rows_on_sqlite(tmp_path: Path) -> None:
    _upgrade(f"sqlite://{tmp_path / 'upgrade.sqlite3'}")


@pytest.mark.skipif(not is_postgres(), reason="runs when JOBBOARD_TEST_DATABASE_URL is PostgreSQL")
def test_upgrade_to_latest_keeps_rows_on_postgresql() -> None:
    _upgrade(TEST_DB_URL.replace("{}", f"upgrade_{uuid.uuid4().hex[:8]}"))


def test_migrations_import_nothing_from_the_app() -> None:
    """A migration is a record of what it created: live enums or constants imported from
    jobboard/ would change an old migration when the code changes."""
    folder = Path(__file__).parents[1] / "jobboard" / "migrations"
    files = sorted(folder.glob("0*.py"))
    assert files
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("jobboard"), (path.name, node.module)
            elif isinstance(node, ast.Import):
                assert all(not a.name.startswith("jobboard") for a in node.names), path.name
