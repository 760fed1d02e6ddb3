"""Shared fixtures: one test database per session, built by the migrations, emptied between tests.

The suite runs on SQLite by default; set JOBBOARD_TEST_DATABASE_URL to a PostgreSQL URL with a
`{}` placeholder (e.g. postgres://postgres@127.0.0.1:5432/jobboard_test_{}) to run it there.

Set JOBBOARD_TEST_NOW to an ISO instant with its offset (e.g. 2026-12-15T23:30:00+00:00) to run
the whole suite with the clock moved there (time-machine, ticking): tests read "today" from
jobboard.clock, never from the host, so they must pass at any hour. The browser tests drive a
server in another process on the host's clock and refuse to run under a moved clock.
"""

from __future__ import annotations

import asyncio
import csv
import email
import email.message
import email.policy
import html
import importlib
import json
import os
import re
import shutil
import socket
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import pytest_asyncio
import time_machine
from aiosmtpd.controller import Controller
from hypothesis.configuration import set_hypothesis_home_dir
from starlette.applications import Starlette
from tortoise import connections
from tortoise.backends.base.config_generator import generate_config
from tortoise.context import TortoiseContext
from tortoise.migrations.executor import MigrationExecutor
from tortoise.warnings import TortoiseLoopSwitchWarning

from jobboard import PROJECT_ROOT, clock
from jobboard.app import create_app
from jobboard.clock import today
from jobboard.models import Commune, CVBlob, Offer, User
from jobboard.passwords import hash_password
from jobboard.services.cv_store import LocalBackend, cv_store
from jobboard.services.demo import load_demo_offers
from jobboard.services.moderation import decide
from jobboard.services.reference import import_communes, import_density, import_pvd
from jobboard.services.territory import commune_organisation
from jobboard.settings import MODELS_MODULE, Settings, tortoise_config

FIXTURES = PROJECT_ROOT / "fixtures"
TEST_DB_URL = os.environ.get("JOBBOARD_TEST_DATABASE_URL", "sqlite://:memory:")
# Communes that tests name explicitly, on top of those the demo files use.
EXTRA_COMMUNES = {"75056", "2A004", "69123", "33063", "13055", "01001", "01002"}
REFERENCE_TABLES = ("region", "departement", "epci", "commune")


TEST_NOW_VARIABLE = "JOBBOARD_TEST_NOW"
_travellers: list[time_machine.travel] = []
_hypothesis_homes: list[Path] = []


def moved_clock() -> datetime | None:
    """The instant JOBBOARD_TEST_NOW moves the clock to, if set (an offset is required)."""
    value = os.environ.get(TEST_NOW_VARIABLE, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"{TEST_NOW_VARIABLE}={value!r} is not an ISO instant") from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW_VARIABLE}={value!r} needs an offset (+00:00, Z)")
    return moment


def pytest_configure(config: pytest.Config) -> None:
    """Move the clock before collection, so module-level dates are read on the moved clock.
    Hypothesis (tests/test_accounts.py, Schemathesis) keeps no example database and writes its
    caches to a temporary directory, not to `.hypothesis/` in the project."""
    hypothesis_home = Path(tempfile.mkdtemp(prefix="jobboard-hypothesis-"))
    _hypothesis_homes.append(hypothesis_home)
    set_hypothesis_home_dir(hypothesis_home)
    hypothesis.settings.register_profile("jobboard", database=None)
    hypothesis.settings.load_profile("jobboard")
    moment = moved_clock()
    if moment is not None:
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        _travellers.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _hypothesis_homes:
        shutil.rmtree(_hypothesis_homes.pop(), ignore_errors=True)
    while _travellers:
        _travellers.pop().stop()


def pytest_report_header(config: pytest.Config) -> str:
    moment = moved_clock()
    if moment is None:
        return "clock: the host's"
    paris = moment.astimezone(clock.PARIS)
    return f"clock: moved to {moment.isoformat()} (Paris {paris:%Y-%m-%d %H:%M}), ticking"


def is_postgres() -> bool:
    return TEST_DB_URL.startswith("postgres")


def _demo_codes() -> set[str]:
    codes = set(EXTRA_COMMUNES)
    codes.update(
        row["employer_insee"] for row in json.loads((FIXTURES / "demo_offers.json").read_text())
    )
    codes.update(
        a["commune"]
        for a in json.loads((FIXTURES / "demo_accounts.json").read_text())
        if "commune" in a
    )
    with (FIXTURES / "pvd_sample.csv").open(encoding="utf-8") as f:
        codes.update(r["insee_com"] for r in csv.DictReader(f))
    with (FIXTURES / "density_sample.csv").open(encoding="utf-8") as f:
        codes.update(r["CODGEO"] for r in csv.DictReader(f, delimiter=";"))
    return codes


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real reference files cut down to the communes tests use (a few hundred rows)."""
    out = tmp_path_factory.mktemp("reference")
    codes = _demo_codes()
    with (FIXTURES / "communes.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["insee"] in codes]
        fieldnames = reader.fieldnames
    epcis = {r["epci_siren"] for r in rows}
    # Every member of the kept EPCIs too, so EPCI rules see whole intercommunalités.
    with (FIXTURES / "communes.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["insee"] in codes or r["epci_siren"] in epcis]
    with (out / "communes.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames or [])
        writer.writeheader()
        writer.writerows(rows)
    with (FIXTURES / "epci.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        kept = [r for r in reader if r["siren"] in epcis]
        with (out / "epci.csv").open("w", encoding="utf-8", newline="") as g:
            writer = csv.DictWriter(g, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(kept)
    for name in (
        "departements.csv",
        "regions.csv",
        "pvd_sample.csv",
        "density_sample.csv",
        "demo_offers.json",
        "demo_accounts.json",
    ):
        (out / name).write_bytes((FIXTURES / name).read_bytes())
    return out


class _Editor:
    """What the hand-written migrations' functions read: `schema_editor.client`."""

    @property
    def client(self) -> Any:
        return connections.get("default")


# The migrations that make the offer and application logs append-only.
LOG_MIGRATIONS = ("0006_moderation", "0007_application_log")
# …and the one that lets the application log's comments be erased (anonymisation).
LOG_ERASURE_MIGRATION = "0011_personal_data"


@asynccontextmanager
async def migrated_test_context(db_url: str) -> AsyncIterator[TortoiseContext]:
    """tortoise_test_context, with the schema built by the project's migrations (what
    `jobboard migrate` applies) instead of generate_schemas: the tests run on the tables,
    CHECK constraints, triggers and indexes production has."""
    ctx = TortoiseContext()
    async with ctx:
        config = generate_config(db_url, app_modules={"models": [MODELS_MODULE]}, testing=True)
        apps = tortoise_config(db_url)["apps"]
        config["apps"]["models"]["migrations"] = apps["models"]["migrations"]
        await ctx.init(config=config, _create_db=True, use_tz=True, timezone="UTC")
        await MigrationExecutor(connections.get("default"), config["apps"]).migrate()
        yield ctx


@pytest_asyncio.fixture(scope="session")
async def _database(reference_dir: Path) -> AsyncIterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=TortoiseLoopSwitchWarning)
        async with migrated_test_context(TEST_DB_URL) as ctx:
            await import_communes(reference_dir)
            yield
            if is_postgres():
                await ctx.connections.close_all(discard=False)
                for conn in ctx.connections.all():
                    await conn.db_delete()


async def _empty_tables() -> None:
    conn = connections.get("default")
    tables = (
        "pool_access", "proposal", "alert", "saved_offer", "application_event", "application",
        "offer_event", "offer_theme", "offer", "user_session", "data_export", "saved_cv",
        "cv_blob", "app_user", "organisation", "search_change", "search_state", "email_outbox",
    )  # fmt: skip
    if is_postgres():
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    else:
        # The logs refuse DELETE (0006, 0007): lifted only for the emptying between tests.
        logs = [importlib.import_module(f"jobboard.migrations.{n}") for n in LOG_MIGRATIONS]
        for log in logs:
            await log.unprotect_log(None, _Editor())
        for table in tables:
            await conn.execute_script(f'DELETE FROM "{table}"')
        for log in logs:
            await log.protect_log(None, _Editor())
        erasure = importlib.import_module(f"jobboard.migrations.{LOG_ERASURE_MIGRATION}")
        await erasure.allow_comment_erasure(None, _Editor())


@pytest_asyncio.fixture
async def db(_database: None, reference_dir: Path) -> AsyncIterator[None]:
    """An empty board over the reference communes, with the PVD and density samples."""
    await _empty_tables()
    await Commune.all().update(pvd_id=None, pvd_signed_on=None, density_level=None)
    await import_pvd(reference_dir / "pvd_sample.csv")
    await import_density(reference_dir / "density_sample.csv")
    yield


@pytest.fixture
def settings(tmp_path: Path, reference_dir: Path) -> Settings:
    base = Settings.from_env({"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_SECRET_KEY": "test"})
    return replace(
        base,
        database_url=TEST_DB_URL,
        fixtures_dir=reference_dir,
        base_url="http://testserver",
        health_ttl_seconds=0.0,  # each probe of a test sees what the test just changed
    )


# CVs as the store holds them, whichever backend the settings name (services/cv_store):
# tests look at what is stored, and change it behind the store's back, through these.


async def stored_cvs(settings: Settings) -> list[str]:
    """The key of every CV stored, in every backend: what the orphan sweep sees."""
    return sorted(item.key for item in await cv_store(settings).listing())


async def raw_cv(settings: Settings, key: str) -> bytes:
    """The bytes stored under `key`, unchecked."""
    return b"".join([chunk async for chunk in cv_store(settings).backend_of(key).chunks(key)])


async def tamper_cv(settings: Settings, key: str, content: bytes) -> None:
    """Replace the stored bytes without the store knowing (a disk or a restore gone wrong)."""
    backend = cv_store(settings).backend_of(key)
    if isinstance(backend, LocalBackend):
        (settings.data_dir / key).write_bytes(content)
    else:
        await CVBlob.filter(key=key).delete()
        await CVBlob.create(key=key, seq=0, data=content, created_at=clock.now())


async def age_cv(settings: Settings, key: str, seconds: float) -> None:
    """Make the CV under `key` look stored `seconds` ago, on the board's clock (which tests
    may move): file times are the kernel's."""
    moment = clock.now() - timedelta(seconds=seconds)
    if isinstance(cv_store(settings).backend_of(key), LocalBackend):
        os.utime(settings.data_dir / key, (moment.timestamp(), moment.timestamp()))
    else:
        await CVBlob.filter(key=key).update(created_at=moment)


@pytest_asyncio.fixture
async def app(db: None, settings: Settings) -> AsyncIterator[Starlette]:
    """The app without its lifespan: the test's database context, an empty index built."""
    application = create_app(settings, with_database=False)
    await application.state.indexer.rebuild()
    yield application
    application.state.search.close()


async def index_now(app: Starlette) -> None:
    """What the background indexer of `serve` does every half second."""
    await app.state.indexer.apply_pending()


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def offer_row(**changes: Any) -> dict[str, Any]:
    """A valid import row (a VTA in Espinasses, rural and PVD) to vary in tests."""
    today = clock.today()
    row: dict[str, Any] = {
        "kind": "vta",
        "title": "VTA – Chargé(e) de mission transition écologique",
        "employer_insee": "05050",
        "description": "La commune d’Espinasses accueille un volontaire pour son plan climat.",
        "missions": "- Animer le plan climat\n- Suivre les dossiers Fonds vert",
        "profile": "Bac+5 en environnement ou aménagement.",
        "themes": ["transition_ecologique", "amenagement"],
        "start_date": (today + timedelta(days=60)).isoformat(),
        "duration_months": 12,
        "weekly_hours": 35,
        "min_diploma_level": 5,
        "deadline": (today + timedelta(days=30)).isoformat(),
        "contact_email": "mairie@espinasses.fr",
        "salary": "SMIC + 10 %",
        "remote": "partial",
    }
    row.update(changes)
    return row


@pytest.fixture
def make_row() -> Iterator[Any]:
    yield offer_row


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API runs its own event loop in this thread, and
    pytest-asyncio's session loop cannot start while that one is running."""
    items.sort(key=lambda item: "e2e" in item.nodeid.split("::")[0].split("/"))


# Accounts: a signed-in client needs a CSRF token from a page, then a login.

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
PASSWORD = "Marianne et ses 36 000 communes"


async def csrf_token(client: httpx.AsyncClient, path: str = "/connexion") -> str:
    """The token a page hands to its forms (also sets the session cookie)."""
    response = await client.get(path)
    match = CSRF_META.search(response.text) or CSRF_FIELD.search(response.text)
    assert match, f"no CSRF token on {path}"
    return html.unescape(match.group(1))


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], *, token_from: str = "/connexion"
) -> httpx.Response:
    return await client.post(
        path, data={**data, "csrf_token": await csrf_token(client, token_from)}
    )


async def make_user(
    role: str = "candidate",
    email: str = "lea@example.fr",
    password: str = PASSWORD,
    *,
    commune: str = "47106",
    verification: str | None = None,
    **fields: Any,
) -> User:
    organisation = None
    if role == "recruiter":
        organisation = await commune_organisation(await Commune.get(insee=commune))
    defaults: dict[str, Any] = {"full_name": "Léa Martin", "email_confirmed_at": clock.now()}
    if role == "candidate":
        defaults.update(birth_date=date(2001, 5, 4), diploma_level=7)
    defaults.update(fields)
    return await User.create(
        email=email,
        password_hash=hash_password(password),
        role=role,
        organisation=organisation,
        verification=verification or ("verified" if role == "recruiter" else "none"),
        **defaults,
    )


APPROVER = "approbation@anct.example"


async def approve(offer_id: int, settings: Settings) -> Offer:
    """Publish a submitted offer as a moderator does (`services.moderation.decide`)."""
    staff = await User.get_or_none(email=APPROVER) or await make_user("staff", APPROVER)
    version = (await Offer.get(id=offer_id)).version
    return await decide(
        offer_id, "approve", staff, comment="", version=version, settings=settings, today=today()
    )


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response = await post_form(client, "/connexion", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


# A real SMTP server on loopback (aiosmtpd), for the mail tests.


class SmtpSink:
    """Collects every message the server receives; answers the end of DATA after `delay` s.

    A message is recorded as soon as its data arrived, before the reply: a relay that queued it
    and then went silent, as a slow one does.
    """

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append(parsed)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = SmtpSink()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return self.sink.messages


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def smtp_settings(
    settings: Settings, port: int, *, timeout: float = 5, data_timeout: float = 5
) -> Settings:
    """A plain-text loopback relay, with timeouts short enough for a test."""
    return replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_timeout=timeout,
        smtp_data_timeout=data_timeout,
    )


def text_part(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


@pytest.fixture
async def demo(app: Starlette, reference_dir: Path) -> None:
    """The demo offers loaded and indexed, as `jobboard serve` shows them on a first start."""
    result = await load_demo_offers(reference_dir, clock.today())
    assert result.errors == []
    await index_now(app)
