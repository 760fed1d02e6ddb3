"""The `jobboard` command, run as an operator would, in a subprocess on a fresh database."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from jobboard import cli
from jobboard.settings import Settings
from tests.conftest import TEST_DB_URL, free_port, is_postgres, offer_row

COMMANDS = (
    "serve",
    "migrate",
    "import-communes",
    "import-pvd",
    "import-density",
    "import-offers",
    "reindex",
    "check-index",
    "worker",
    "load-demo",
    "create-staff",
    "send-emails",
    "expire",
)


def run(
    data_dir: Path, *args: str, database_url: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")}
    env["JOBBOARD_DATA_DIR"] = str(data_dir)
    if database_url:
        env["JOBBOARD_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "jobboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_help_writes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    for args in (["--help"], ["import-communes", "--help"], ["serve", "--help"]):
        result = run(data_dir, *args)
        assert result.returncode == 0, result.stderr
        assert "usage: jobboard" in result.stdout
    assert not data_dir.exists()  # no secret key, no database, no directory
    assert list(tmp_path.iterdir()) == []


IMPORT_PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import argon2

    calls = []
    real_hash = argon2.PasswordHasher.hash

    def counting_hash(self, *args, **kwargs):
        calls.append(1)
        return real_hash(self, *args, **kwargs)

    argon2.PasswordHasher.hash = counting_hash
    import jobboard

    names = [m.name for m in pkgutil.walk_packages(jobboard.__path__, "jobboard.")]
    for name in names:
        if ".migrations." not in name:
            importlib.import_module(name)
    print(len(names), len(calls))
    """
)


def test_importing_the_package_does_no_expensive_work(tmp_path: Path) -> None:
    """No argon2 hash (the login's dummy hash is made on first use), no file written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")}
    env["JOBBOARD_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules, hashes = map(int, result.stdout.split())
    assert modules > 30 and hashes == 0
    assert list(tmp_path.iterdir()) == []


def test_import_commands_on_a_fresh_sqlite_database(tmp_path: Path, reference_dir: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    assert (
        "communes importées" in run(tmp_path, "import-communes", "--dir", str(reference_dir)).stdout
    )
    pvd = run(tmp_path, "import-pvd", str(reference_dir / "pvd_sample.csv"))
    assert pvd.returncode == 0 and "Petites villes de demain" in pvd.stdout
    density = run(tmp_path, "import-density", str(reference_dir / "density_sample.csv"))
    assert density.returncode == 0

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([offer_row(), offer_row(duration_months=30)]))
    result = run(tmp_path, "import-offers", str(bad))
    assert result.returncode == 1
    assert "offre n° 2 — duration_months : La mission VTA dure de 12 à 18 mois." in result.stderr
    assert "Aucune offre importée" in result.stdout
    database = tmp_path / "jobboard.sqlite3"
    assert sqlite3.connect(database).execute("SELECT count(*) FROM offer").fetchone() == (0,)

    result = run(tmp_path, "import-offers", "--skip-invalid", str(bad))
    assert result.returncode == 0 and "1 offres importées, 1 ignorées" in result.stdout

    good = tmp_path / "good.json"
    good.write_text(json.dumps([offer_row(), offer_row(kind="chef_de_projet", duration_months=36)]))
    assert run(tmp_path, "import-offers", str(good)).returncode == 0
    assert sqlite3.connect(database).execute("SELECT count(*) FROM offer").fetchone() == (3,)

    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    assert run(tmp_path, "import-offers", str(broken)).returncode == 2


def test_load_demo_creates_accounts_once_and_prints_passwords(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "load-demo")
    assert first.returncode == 0, first.stderr
    assert "moderation@anct-demo.fr" in first.stdout
    password = first.stdout.split("moderation@anct-demo.fr")[1].split()[0]
    second = run(tmp_path, "load-demo")
    assert password in second.stdout  # same accounts, not recreated
    database = sqlite3.connect(tmp_path / "jobboard.sqlite3")
    assert database.execute("SELECT count(*) FROM app_user").fetchone() == (6,)
    territories = database.execute(
        "SELECT email, territory FROM app_user WHERE role = 'staff' ORDER BY email"
    ).fetchall()  # one national, one who looks after Nouvelle-Aquitaine
    assert territories == [
        ("moderation@anct-demo.fr", ""),
        ("nouvelle-aquitaine@anct-demo.fr", "r:75"),
    ]
    assert (
        database.execute("SELECT count(*) FROM offer WHERE status='published'").fetchone()[0] >= 60
    )
    assert password not in (tmp_path / "jobboard.sqlite3").read_bytes().decode("latin-1")


def test_create_staff_then_send_emails(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    weak = run(tmp_path, "create-staff", "anct@example.fr", "--password-stdin", stdin="azerty\n")
    assert weak.returncode == 2 and "au moins 12 caractères" in weak.stderr
    password = "Une phrase de passe pour la modération"
    created = run(
        tmp_path, "create-staff", "ANCT@Example.fr", "--nom", "Claire Dupont", "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip
    assert created.returncode == 0 and "anct@example.fr" in created.stdout
    again = run(tmp_path, "create-staff", "anct@example.fr", "--password-stdin", stdin=password)
    assert again.returncode == 1 and "existe déjà" in again.stderr
    database = sqlite3.connect(tmp_path / "jobboard.sqlite3")
    role, name, stored = database.execute(
        "SELECT role, full_name, password_hash FROM app_user"
    ).fetchone()
    assert (role, name) == ("staff", "Claire Dupont") and stored.startswith("$argon2id$")

    database.execute(
        'INSERT INTO email_outbox ("to", subject, body_text, body_html, status, attempts, '
        "last_error, created_at) VALUES ('a@example.fr', 'Essai', 'Bonjour', '', 'pending', 0, "
        "'', CURRENT_TIMESTAMP)"
    )
    database.commit()
    sent = run(tmp_path, "send-emails")
    assert (
        sent.returncode == 0 and "1 e-mail(s) envoyé(s), 0 échec(s) ; 0 en attente." in sent.stdout
    )
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_create_staff_with_a_territory(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    database = sqlite3.connect(tmp_path / "jobboard.sqlite3")
    password = "Une phrase de passe pour la modération"
    empty = run(tmp_path, "create-staff", "sud@anct.example", "--territoire", "76",
                "--password-stdin", stdin=password)  # fmt: skip
    assert empty.returncode == 2 and "jobboard import-communes" in empty.stderr
    database.executescript(
        "INSERT INTO region (code, name) VALUES ('76', 'Occitanie'), ('28', 'Normandie');"
        "INSERT INTO departement (code, name, region_id) VALUES ('76', 'Seine-Maritime', '28'),"
        " ('31', 'Haute-Garonne', '76');"
    )
    database.commit()
    unknown = run(tmp_path, "create-staff", "sud@anct.example", "--territoire", "76,99",
                  "--regions", "31", "--password-stdin", stdin=password)  # fmt: skip
    assert unknown.returncode == 2
    assert "Code de département inconnu\u202f: «\u202f99\u202f»" in unknown.stderr
    assert "Code de région inconnu\u202f: «\u202f31\u202f»" in unknown.stderr
    assert database.execute("SELECT count(*) FROM app_user").fetchone() == (0,)
    created = run(tmp_path, "create-staff", "sud@anct.example", "--territoire", "76,31",
                  "--regions", "76", "--password-stdin", stdin=password)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Occitanie (région), Haute-Garonne (31), Seine-Maritime (76)" in created.stdout
    national = run(tmp_path, "create-staff", "paris@anct.example", "--password-stdin",
                   stdin=password)  # fmt: skip
    assert national.returncode == 0 and "Tout le territoire national" in national.stdout
    assert database.execute("SELECT email, territory FROM app_user ORDER BY id").fetchall() == [
        ("sud@anct.example", "r:76,d:31,d:76"),
        ("paris@anct.example", ""),
    ]


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--workers", "2")
    assert result.returncode == 2 and "PostgreSQL" in result.stderr


@pytest.mark.parametrize("command", ["serve", "migrate", "expire"])
def test_an_unreachable_database_is_one_french_line(tmp_path: Path, command: str) -> None:
    nobody = f"postgres://postgres@127.0.0.1:{free_port()}/jobboard"
    result = run(tmp_path, command, database_url=nobody)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("Base de données injoignable")
    assert "JOBBOARD_DATABASE_URL" in lines[0]
    assert "Bourse PVD : http" not in result.stdout  # the server never started


@pytest.mark.skipif(not is_postgres(), reason="runs when JOBBOARD_TEST_DATABASE_URL is PostgreSQL")
def test_migrate_on_a_fresh_postgresql_database(tmp_path: Path) -> None:
    url = TEST_DB_URL.replace("{}", f"cli_{uuid.uuid4().hex[:8]}")
    name = url.rsplit("/", 1)[1]
    admin = ["psql", url.rsplit("/", 1)[0] + "/postgres", "-qtAc"]
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
    try:
        assert run(tmp_path, "migrate", database_url=url).returncode == 0
        assert run(tmp_path, "migrate", database_url=url).returncode == 0  # idempotent
        checks = subprocess.run(
            ["psql", url, "-qtAc", "SELECT count(*) FROM pg_constraint WHERE contype = 'c'"],
            check=True,
            capture_output=True,
            text=True,
        )
        assert int(checks.stdout) >= 13
    finally:
        subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` gives the app's logger a handler: take it back after the test."""
    app_log = logging.getLogger("jobboard")
    monkeypatch.setattr(app_log, "handlers", [])
    monkeypatch.setattr(app_log, "level", app_log.level)


def test_site_address_defaults_to_where_serve_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # setenv first so that the variable serve exports is removed after the test.
    monkeypatch.setenv("JOBBOARD_BASE_URL", "")
    monkeypatch.delenv("JOBBOARD_BASE_URL")
    defaults = cli.build_parser().parse_args(["serve"])
    env = {"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_SECRET_KEY": "k"}
    assert Settings.from_env(env).base_url == f"http://{defaults.host}:{defaults.port}"

    served: dict[str, object] = {}
    monkeypatch.setattr(cli, "cmd_migrate", lambda settings, args: 0)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: served.update(kwargs))
    _keep_logging(monkeypatch)
    args = cli.build_parser().parse_args(["serve", "--port", "8123", "--no-demo"])
    assert cli.cmd_serve(Settings.from_env(env), args) == 0
    assert served["port"] == 8123
    # The app uvicorn builds reads its settings from the environment.
    assert Settings.from_env({**env, **os.environ}).base_url == "http://127.0.0.1:8123"


def test_site_address_set_by_the_operator_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBBOARD_BASE_URL", "https://bourse.example.fr")
    monkeypatch.setattr(cli, "cmd_migrate", lambda settings, args: 0)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    _keep_logging(monkeypatch)
    env = {"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_SECRET_KEY": "k"}
    args = cli.build_parser().parse_args(["serve", "--host", "0.0.0.0", "--no-demo"])
    assert cli.cmd_serve(Settings.from_env(env), args) == 0
    assert os.environ["JOBBOARD_BASE_URL"] == "https://bourse.example.fr"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _until(predicate: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit  # generous bounds: "happens", not "happens fast"
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {limit} s")
        time.sleep(0.5)


@pytest.mark.skipif(not is_postgres(), reason="runs when JOBBOARD_TEST_DATABASE_URL is PostgreSQL")
def test_a_cold_start_with_two_web_workers_and_a_worker_process(
    tmp_path: Path, reference_dir: Path
) -> None:
    """`serve --workers 2 --no-background` plus `jobboard worker` on a fresh database without an
    index: both web workers start and answer, one index generation is built, an import of
    1,200 offers (three indexer chunks) is indexed, and SIGTERM stops everything."""
    url = TEST_DB_URL.replace("{}", f"workers_{uuid.uuid4().hex[:8]}")
    name = url.rsplit("/", 1)[1]
    admin = ["psql", url.rsplit("/", 1)[0] + "/postgres", "-qtAc"]
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
    data = tmp_path / "data"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        assert run(data, "migrate", database_url=url).returncode == 0
        for command in (
            ("import-communes", "--dir", str(reference_dir)),
            ("import-pvd", str(reference_dir / "pvd_sample.csv")),
            ("import-density", str(reference_dir / "density_sample.csv")),
        ):
            assert run(data, *command, database_url=url).returncode == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")}
        env.update(JOBBOARD_DATA_DIR=str(data), JOBBOARD_DATABASE_URL=url)
        port = free_port()
        serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
        serve = ["serve", "--workers", "2", "--no-background", "--no-demo", "--port", str(port)]
        for log, command in ((serve_log, serve), (worker_log, ["worker"])):
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "jobboard.cli", *command],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its uvicorn workers are killed with it
                    )
                )
        health = f"http://127.0.0.1:{port}/sante"
        logs = f"see {serve_log} and {worker_log}"
        _until(lambda: _get(health) == 200, 90, f"/sante healthy ({logs})")
        _until(
            lambda: serve_log.read_text().count("Application startup complete.") == 2,
            30,
            "both web workers started",
        )
        assert [_get(health) for _ in range(20)] == [200] * 20
        index = data / "index"
        assert len(list(index.glob("gen-*"))) == 1

        offers = tmp_path / "offers.json"
        offers.write_text(json.dumps([offer_row(title=f"Poste {i}") for i in range(2000)]))
        imported = subprocess.run(
            [sys.executable, "-m", "jobboard.cli", "import-offers", str(offers)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
        _until(
            lambda: run(data, "check-index", database_url=url).returncode == 0,
            240,
            "check-index clean after the import",
        )
        assert len(list(index.glob("gen-*"))) == 1
        assert _get(f"http://127.0.0.1:{port}/offres?q=poste") == 200
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)  # raises if SIGTERM did not stop it
        assert "Traceback" not in worker_log.read_text(), worker_log.read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
