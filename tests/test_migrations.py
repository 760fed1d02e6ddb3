"""Migrations on SQLite: applied from scratch, idempotent, and enforcing the CHECK constraints."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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
