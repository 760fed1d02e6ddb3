"""Cluster benchmark and failover test: two hosts on one PostgreSQL, under load, one killed.

Starts, on this machine, `--hosts` « hosts » (each its own data and index directory and port)
each running `jobboard serve --workers 2 --no-background` and a `jobboard worker`, against one
new PostgreSQL database, one shared `JOBBOARD_SECRET_KEY` and Redis for the rate limits; e-mails
go to an SMTP server of this script (aiosmtpd on loopback). A load generator of `--users`
concurrent users (asyncio + httpx) spreads its requests over the hosts in turn, as a proxy
would: a host that refuses connections is skipped for a second, and a request that was never
sent goes to the next host (nginx's `proxy_next_upstream error`); a request that was sent is
never sent again. The users: visitors who search (as they type: full page and htmx fragment) and
read offers, candidates who sign in and apply with a PDF of their own, ANCT staff who approve
submitted offers.

During the load one host's web processes and its worker are killed with SIGKILL (`--kill-at`),
and started again `--down` seconds later (with its index directory, or without it with
`--wipe-index`: a new host builds its index from the database); a `pg_dump` is taken
(`--backup-at`). Then the script checks, and exits 1 if one check fails:
- every acknowledged application (a 303 to the candidate's application page) has exactly one
  row, whose CV reads back with the SHA-256 of the PDF sent; no candidate has two applications
  to one offer; a CV stored for an answer that failed is removed by the orphan sweep;
- every e-mail was queued exactly once (one « Candidature envoyée » per application to its
  candidate, one « Nouvelle candidature » per application to the recruiter, no two rows with
  one recipient and one text), and every row reached the relay, once: a row a killed sender
  held is sent once its lease is over and its late retry is due (the clock is moved past
  them for those last rounds), and only such a row, marked « perhaps delivered », may reach
  it twice, with one Message-ID (SMTP cannot tell whether a message whose sender died after
  sending its data arrived);
- no 5xx and no failed request outside the killed host's window (from its kill to a second
  after it answers `/sante` again);
- every host's index catches up: `jobboard check-index` passes on each after the load, and
  each host's `/sante` reports no change waiting;
- the backup restores into a new database, and a site started on it (`serve`) hands staff
  every application acknowledged before the dump began, with its CV (SHA-256 checked).

`--faults` adds, once the killed host is back, a stop of the run's Redis for 3 s (the rate
limits fall back to each process, every request is answered) and a restart of this machine's
PostgreSQL cluster (requests fail with the French 503 page, never a 500, and nothing fails
`RECOVERY_SECONDS` after it is back). Redis is a server of the run's own, so counters of earlier
runs (kept by account id, which every new database hands out again) stay out of it.

Prints requests per second and p50 / p95 / p99 per request kind, per host and in all, errors and
5xx, the failover counts. `.ci/run` runs a short version (30 s). 127.0.0.1 only.

    .venv/bin/python benchmarks/cluster.py --duration 120 --users 50 --wipe-index --faults
    .venv/bin/python benchmarks/cluster.py --hosts 1 --no-kill    # one host, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import hashlib
import html
import io
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from pypdf import PdfWriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOBBOARD = str(Path(sys.executable).parent / "jobboard")
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "Marianne et ses 36 000 communes"
# A candidate's turn is an application this often, up to this many (the site allows 20 an hour).
APPLY_SHARE = 0.15
APPLICATIONS_PER_CANDIDATE = 18
# After PostgreSQL restarts, requests may fail this long while the pools reconnect.
RECOVERY_SECONDS = 5.0
SEARCH_WORDS = (
    "patrimoine",
    "urbanisme",
    "commerce",
    "transition",
    "écologique",
    "numérique",
    "revitalisation",
    "centre",
    "culture",
    "mobilité",
    "habitat",
    "projet",
    "chef",
)
CSRF = re.compile(r'name="csrf[-_]token" (?:content|value)="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
APPLICATION_PAGE = re.compile(r"/espace/candidat/candidatures/(\d+)$")


# ---------------------------------------------------------------------------------------------
# The e-mail relay


class Sink:
    """Counts every message the relay receives, by Message-ID."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received[str(message["Message-ID"])] += 1
        return "250 Message accepted for delivery"


def plain(text: str) -> str:
    """Spaces of every kind (French typography's narrow ones too) as one plain space."""
    return re.sub(r"\s+", " ", text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# The database and its seed


def psql(database: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", f"{PG}/{database}", "-c", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def create_database(name: str) -> str:
    psql("postgres", f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def drop_database(name: str) -> None:
    with contextlib.suppress(subprocess.CalledProcessError):
        psql("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Seed:
    open_offers: list[int]
    open_titles: dict[int, str]
    submitted: list[int]
    candidates: list[str]
    staff: list[str]
    recruiter: str


def offer_rows(count: int, status: str, today: date, label: str) -> list[dict[str, Any]]:
    kinds = ("vta", "chef_de_projet")
    themes = (["culture", "patrimoine"], ["transition_ecologique", "amenagement"])
    return [
        {
            "kind": kinds[i % 2],
            "title": f"Chargé(e) de mission {label} n° {i + 1} – revitalisation du centre",
            "employer_insee": "05050",
            "description": "La commune d’Espinasses accueille un volontaire pour son projet "
            f"de revitalisation, volet {SEARCH_WORDS[i % len(SEARCH_WORDS)]}.",
            "missions": "- Animer le comité de projet\n- Suivre les dossiers de patrimoine",
            "profile": "Bac+5 en urbanisme, aménagement ou développement local.",
            "themes": themes[i % 2],
            "start_date": (today + timedelta(days=60)).isoformat(),
            "duration_months": 12,
            "weekly_hours": 35,
            "min_diploma_level": 5,
            "deadline": (today + timedelta(days=30)).isoformat(),
            "contact_email": "mairie@espinasses.example",
            "status": status,
        }
        for i in range(count)
    ]


async def seed(database_url: str, candidates: int, staff: int, submitted: int) -> Seed:
    """The demo, a recruiter of Espinasses, candidates, staff, 60 open offers and `submitted`
    offers awaiting moderation (all with titles of their own)."""
    from tortoise import Tortoise

    from jobboard import clock
    from jobboard.models import Commune, User
    from jobboard.passwords import hash_password
    from jobboard.services import demo
    from jobboard.services.offer_import import import_offers
    from jobboard.services.territory import commune_organisation
    from jobboard.settings import tortoise_config

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        today = clock.today()
        await demo.ensure_demo(ROOT / "fixtures", today)
        password_hash = hash_password(PASSWORD)
        organisation = await commune_organisation(await Commune.get(insee="05050"))
        recruiter = "rh@espinasses.example"
        await User.create(
            email=recruiter,
            full_name="Service RH d’Espinasses",
            role="recruiter",
            organisation=organisation,
            verification="verified",
            password_hash=password_hash,
            email_confirmed_at=clock.now(),
        )
        # Addresses of this run only: Redis keeps the rate-limit counters of earlier runs.
        tag = secrets.token_hex(3)
        candidate_emails = [f"candidat{i:03}.{tag}@cluster.example" for i in range(candidates)]
        await User.bulk_create(
            [
                User(
                    email=address,
                    full_name=f"Candidate {i}",
                    role="candidate",
                    password_hash=password_hash,
                    email_confirmed_at=clock.now(),
                    birth_date=date(2001, 5, 4),
                    diploma_level=7,
                    verification="none",
                )
                for i, address in enumerate(candidate_emails)
            ]
        )
        staff_emails = [f"moderation{i}.{tag}@anct.example" for i in range(staff)]
        for i, address in enumerate(staff_emails):
            await User.create(
                email=address,
                full_name=f"Modération {i}",
                role="staff",
                password_hash=password_hash,
                email_confirmed_at=clock.now(),
            )
        opened = await import_offers(offer_rows(60, "published", today, "ouverte"), today=today)
        waiting = await import_offers(
            offer_rows(submitted, "submitted", today, "à modérer"), today=today
        )
        assert not opened.errors and not waiting.errors, (opened.errors, waiting.errors)
        titles = {
            offer_id: row["title"]
            for offer_id, row in zip(
                opened.created, offer_rows(60, "published", today, "ouverte"), strict=True
            )
        }
        return Seed(
            open_offers=list(opened.created),
            open_titles=titles,
            submitted=list(waiting.created),
            candidates=candidate_emails,
            staff=staff_emails,
            recruiter=recruiter,
        )
    finally:
        await Tortoise.close_connections()


# ---------------------------------------------------------------------------------------------
# Hosts


class Host:
    """One « host »: `serve --workers N --no-background` and `worker`, each a process group."""

    def __init__(self, name: str, port: int, data_dir: Path, env: dict[str, str], workers: int):
        self.name, self.port, self.data_dir, self.workers = name, port, data_dir, workers
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **env,
            "JOBBOARD_DATA_DIR": str(data_dir),
            "JOBBOARD_INDEX_REPLICA": name,
            "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metriques"),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.starts = 0

    def start(self, *, background_worker: bool = True) -> None:
        self.starts += 1
        (self.data_dir / "metriques").mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / f"serve-{self.starts}.log").open("wb")
        serve = [JOBBOARD, "serve", "--port", str(self.port), "--workers", str(self.workers)]
        serve += ["--no-demo", "--no-background"] if background_worker else ["--no-demo"]
        self.processes = [
            subprocess.Popen(
                serve, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        ]
        if background_worker:
            worker_log = (self.data_dir / f"worker-{self.starts}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [JOBBOARD, "worker"],
                    env=self.env,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def kill(self) -> None:
        """SIGKILL to every process of the host (uvicorn's supervisor, its workers, `worker`)."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes:
            process.wait()

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def health(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(f"{self.url}/sante", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds until `/sante` answers 200 with a usable index."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if any(p.poll() is not None for p in self.processes):
                raise SystemExit(f"{self.name}: a process ended, see {self.data_dir}/*.log")
            answer = self.health()
            if answer and answer.get("index") == "ok":
                return time.monotonic() - started
            time.sleep(0.2)
        raise SystemExit(f"{self.name}: not ready after {timeout:.0f} s, see {self.data_dir}")

    def check_index(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [JOBBOARD, "check-index"], env=self.env, capture_output=True, text=True, check=False
        )


# ---------------------------------------------------------------------------------------------
# The load


@dataclass
class Sample:
    kind: str
    host: str
    status: int  # 0: no answer (connection refused, reset, timeout)
    seconds: float
    at: float  # since the load began
    error: str = ""  # the exception's class when there was no answer
    french_page: bool = True  # for a 5xx: whether it was the site's French error page


@dataclass
class Acknowledged:
    candidate: str
    offer_id: int
    application_id: int
    sha256: str
    at: float


@dataclass
class Load:
    hosts: list[Host]
    seed: Seed
    redis: Redis
    deadline: float
    think_seconds: float = 0.5
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    applications: list[Acknowledged] = field(default_factory=list)
    decisions: list[int] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    down_until: dict[str, float] = field(default_factory=dict)
    turn: int = 0
    ip_prefix: str = field(default_factory=lambda: f"10.{random.randrange(256)}")

    def now(self) -> float:
        return time.monotonic() - self.started

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def _order(self) -> list[Host]:
        """Round robin over the hosts, those that refused a connection lately last."""
        self.turn += 1
        turn = self.turn % len(self.hosts)
        order = self.hosts[turn:] + self.hosts[:turn]
        clock = time.monotonic()
        return sorted(order, key=lambda h: self.down_until.get(h.name, 0) > clock)

    async def request(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, **options: Any
    ) -> httpx.Response | None:
        for host in self._order():
            began = time.monotonic()
            try:
                response = await client.request(method, host.url + path, **options)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Never sent: the next host gets it, as a proxy does.
                self.down_until[host.name] = time.monotonic() + 1.0
                self._failed(kind, host, began, exc)
                continue
            except httpx.TransportError as exc:
                # Sent, and the answer lost: not sent again (it may have been done).
                self._failed(kind, host, began, exc)
                return None
            sample = Sample(
                kind, host.name, response.status_code, time.monotonic() - began, self.now()
            )
            if response.status_code >= 500:
                sample.french_page = '<html lang="fr"' in response.text
            self.samples.append(sample)
            return response
        return None

    def _failed(self, kind: str, host: Host, began: float, exc: Exception) -> None:
        seconds = time.monotonic() - began
        error = type(exc).__name__
        self.samples.append(Sample(kind, host.name, 0, seconds, self.now(), error))

    def client(self, user: int) -> httpx.AsyncClient:
        # The proxy's X-Forwarded-For: one address per user (the hosts trust 127.0.0.1).
        address = f"{self.ip_prefix}.{user // 250}.{user % 250 + 1}"
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends, as the proxy's
        # upstream keep-alive should be (docs/deploiement.md): a request sent on a connection
        # the server is closing would fail after being sent.
        return httpx.AsyncClient(
            headers={"X-Forwarded-For": address},
            timeout=httpx.Timeout(30, connect=5),
            limits=httpx.Limits(keepalive_expiry=2.0),
        )

    async def token(self, client: httpx.AsyncClient, kind: str, path: str) -> tuple[str, str]:
        response = await self.request(client, kind, "GET", path)
        if response is None or response.status_code != 200:
            return "", ""
        match = CSRF.search(response.text)
        return (html.unescape(match.group(1)) if match else ""), response.text

    async def sign_in(self, client: httpx.AsyncClient, address: str) -> bool:
        client.cookies.clear()
        token, _ = await self.token(client, "form", "/connexion")
        if not token:
            return False
        response = await self.request(
            client,
            "sign-in",
            "POST",
            "/connexion",
            data={"email": address, "password": PASSWORD, "csrf_token": token},
        )
        return response is not None and response.status_code == 303

    async def browse(self, client: httpx.AsyncClient) -> None:
        draw = random.random()
        if draw < 0.5:
            word = random.choice(SEARCH_WORDS)
            typed = word[: random.randint(3, len(word))]
            fragment = random.random() < 0.5
            headers = {"HX-Request": "true"} if fragment else {}
            await self.request(
                client, "search", "GET", "/offres", params={"q": typed}, headers=headers
            )
        elif draw < 0.85:
            offer = random.choice(self.seed.open_offers)
            await self.request(client, "offer", "GET", f"/offres/{offer}")
        else:
            await self.request(client, "home", "GET", "/")

    async def think(self) -> None:
        """A pause between two requests of one user: uniform, `think` seconds on average."""
        await asyncio.sleep(random.uniform(0, 2 * self.think_seconds))

    async def visitor(self, user: int) -> None:
        async with self.client(user) as client:
            while self.running():
                await self.browse(client)
                await self.think()

    async def candidate(self, user: int, address: str) -> None:
        applied: set[int] = set()
        async with self.client(user) as client:
            signed_at = time.monotonic()
            signed_in = await self.sign_in(client, address)
            while self.running():
                if not signed_in or time.monotonic() - signed_at > 20:
                    signed_at = time.monotonic()
                    signed_in = await self.sign_in(client, address)
                    await self.think()
                    continue
                if random.random() < APPLY_SHARE and len(applied) < APPLICATIONS_PER_CANDIDATE:
                    offer = random.choice([o for o in self.seed.open_offers if o not in applied])
                    applied.add(offer)
                    await self.apply(client, address, offer)
                else:
                    await self.browse(client)
                await self.think()

    async def apply(self, client: httpx.AsyncClient, address: str, offer: int) -> None:
        path = f"/offres/{offer}/candidater"
        token, _ = await self.token(client, "form", path)
        if not token:
            return
        pdf = cv_pdf(f"{address} {offer} {secrets.token_hex(8)}")
        response = await self.request(
            client,
            "apply",
            "POST",
            path,
            data={"csrf_token": token, "cover_letter": "Je souhaite rejoindre la commune."},
            files={"cv": ("cv.pdf", pdf, "application/pdf")},
        )
        if response is None:
            return
        location = response.headers.get("location", "")
        if response.status_code == 303 and (match := APPLICATION_PAGE.search(location)):
            digest = hashlib.sha256(pdf).hexdigest()
            self.applications.append(
                Acknowledged(address, offer, int(match.group(1)), digest, self.now())
            )
        else:
            self.refusals[f"apply {response.status_code}"] += 1

    async def moderator(self, user: int, address: str, offers: list[int]) -> None:
        async with self.client(user) as client:
            signed_in = await self.sign_in(client, address)
            pending = list(offers)
            while self.running() and pending:
                if not signed_in:
                    signed_in = await self.sign_in(client, address)
                    await self.think()
                    continue
                await self.request(client, "moderation", "GET", "/moderation")
                offer = pending[0]
                token, page = await self.token(client, "form", f"/moderation/offres/{offer}")
                version = VERSION.search(page)
                if token and version:
                    response = await self.request(
                        client,
                        "decision",
                        "POST",
                        f"/moderation/offres/{offer}/decision",
                        data={
                            "csrf_token": token,
                            "version": version.group(1),
                            "decision": "approve",
                            "comment": "",
                        },
                    )
                    if response is not None and response.status_code == 303:
                        self.decisions.append(offer)
                        pending.pop(0)
                    elif response is not None:
                        self.refusals[f"decision {response.status_code}"] += 1
                        if response.status_code < 500:
                            # Refused with its reason (already decided, perhaps by the
                            # request whose answer was lost): on to the next offer.
                            pending.pop(0)
                elif page:
                    pending.pop(0)  # no decision form: the offer was decided already
                await self.think()


def cv_pdf(mark: str) -> bytes:
    """A one-page PDF of its own (the mark in its metadata)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"CV {mark}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        self.lines.append(f"  {'ok   ' if ok else 'ÉCHEC'} {what}")
        if not ok:
            self.failures.append(what)


async def drain_and_check_mail(
    database_url: str, env: dict[str, str], sink: Sink, load: Load, report: Report
) -> None:
    """Wait for the outbox to empty; rows a dead sender held are sent once their lease is over
    (the clock moved past it); then count rows and deliveries."""
    import time_machine
    from tortoise import Tortoise

    from jobboard import clock, mail
    from jobboard.models import Application, EmailOutbox
    from jobboard.settings import Settings, tortoise_config

    settings = Settings.from_env(env)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        for _ in range(120):
            if not await EmailOutbox.filter(status="pending").exists():
                break
            await asyncio.sleep(0.5)
        # A row a killed sender held stays `sending` until its lease is over, then is « perhaps
        # delivered » and tried once more an hour later, with the same Message-ID: move the
        # clock past each of these moments in turn.
        held = await EmailOutbox.filter(status="sending").count()
        for _ in range(3):
            waiting = await EmailOutbox.filter(status__in=("sending", "pending")).values_list(
                "next_attempt_at", flat=True
            )
            if not waiting:
                break
            later = max([clock.now(), *(at for at in waiting if at is not None)])
            with time_machine.travel(later + timedelta(minutes=1), tick=True):
                await mail.send_pending(mail.backend_for(settings), settings.email_from)
        report.lines.append(f"  e-mails a killed sender held, sent after their lease: {held}")
        rows = await EmailOutbox.all().values("id", "to", "subject", "body_text", "status")
        statuses = Counter(row["status"] for row in rows)
        report.lines.append(f"  outbox: {len(rows)} rows, {dict(statuses)}")
        report.check(
            statuses.get("sent", 0) == len(rows), "every queued e-mail is sent (none left behind)"
        )
        texts = Counter((row["to"], row["subject"], row["body_text"]) for row in rows)
        report.check(
            all(n == 1 for n in texts.values()),
            "no e-mail queued twice (one recipient, one text)",
        )
        subjects = Counter((row["to"], plain(row["subject"])) for row in rows)
        # Every application row, acknowledged or not (its answer lost with a killed host),
        # queued one « Candidature envoyée » to its candidate and one « Nouvelle candidature »
        # to the recruiter.
        expected: Counter[tuple[str, str]] = Counter()
        applications = await Application.all().values("candidate__email", "offer_id")
        for application in applications:
            title = load.seed.open_titles[application["offer_id"]]
            received = plain(f"Candidature envoyée : « {title} »")
            expected[(application["candidate__email"], received)] += 1
            expected[(load.seed.recruiter, plain(f"Nouvelle candidature : « {title} »"))] += 1
        report.check(
            all(subjects[key] == n for key, n in expected.items()),
            f"each of the {len(applications)} applications queued its two e-mails once",
        )
        sent = await EmailOutbox.filter(status="sent")
        sent_ids = {mail.message_id(row, settings.email_from) for row in sent}
        # A message whose sender died while it was being sent may reach the relay twice, with
        # one Message-ID (receivers drop the copy): the row records that doubt.
        doubted = {
            mail.message_id(row, settings.email_from)
            for row in sent
            if row.uncertain_since is not None
        }
        delivered = set(sink.received)
        twice = {ident for ident, n in sink.received.items() if n > 1}
        report.lines.append(
            f"  relay: {sum(sink.received.values())} messages, {len(delivered)} distinct, "
            f"{len(twice)} received twice ({len(twice & doubted)} of them sent again after "
            f"their sender died mid-send, same Message-ID)"
        )
        report.check(sent_ids <= delivered, "every sent row reached the relay")
        report.check(
            twice <= doubted and delivered <= sent_ids,
            "no message delivered twice but those whose sender died mid-send, none unknown",
        )
    finally:
        await Tortoise.close_connections()


async def check_applications(database_url: str, env: dict[str, str], load: Load, report: Report):
    from tortoise import Tortoise

    from jobboard.models import Application
    from jobboard.services.applications import sweep_cv_orphans
    from jobboard.services.cv_store import CVUnreadable, cv_store
    from jobboard.settings import Settings, tortoise_config

    settings = Settings.from_env(env)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        rows = await Application.all().values(
            "id", "offer_id", "candidate__email", "cv_path", "cv_sha256"
        )
        by_id = {row["id"]: row for row in rows}
        pairs = Counter((row["candidate__email"], row["offer_id"]) for row in rows)
        lost = [a for a in load.applications if a.application_id not in by_id]
        wrong = [
            a
            for a in load.applications
            if a.application_id in by_id
            and (
                by_id[a.application_id]["cv_sha256"] != a.sha256
                or by_id[a.application_id]["offer_id"] != a.offer_id
            )
        ]
        # CVs stored for an answer that then failed (host killed, PostgreSQL away): the sweep
        # removes them (here without its hour of grace), and no CV an application uses.
        orphans = await sweep_cv_orphans(settings, older_than=0)
        report.lines.append(f"  CVs without an application, removed by the orphan sweep: {orphans}")
        unreadable = 0
        store = cv_store(settings)
        for ack in load.applications:
            row = by_id.get(ack.application_id)
            if row is None:
                continue
            try:
                await store.verify(row["cv_path"], ack.sha256)
            except CVUnreadable:
                unreadable += 1
        report.lines.append(
            f"  applications: {len(load.applications)} acknowledged, {len(rows)} rows "
            f"(the others: answers lost when the host was killed)"
        )
        report.check(not lost, f"no acknowledged application lost ({len(lost)} lost)")
        report.check(not wrong, f"each row is the one acknowledged ({len(wrong)} differ)")
        report.check(unreadable == 0, f"every CV reads back, checksum checked ({unreadable})")
        twice = sum(1 for n in pairs.values() if n > 1)
        report.check(twice == 0, f"no application made twice ({twice})")
    finally:
        await Tortoise.close_connections()


def check_restored(
    dump: Path, started_at: float, env: dict[str, str], workdir: Path, load: Load, report: Report
) -> None:
    """Restore the dump into a new database, start a site on it, fetch each application
    acknowledged before the dump began, with its CV, as staff."""
    name = f"{database_name(env)}_restauree"
    url = create_database(name)
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={url}", str(dump)], check=True)
        site = Host("restauree", free_port(), workdir / "restauree", {**env}, workers=1)
        site.env["JOBBOARD_DATABASE_URL"] = url
        site.start(background_worker=False)
        try:
            site.wait_ready()
            before = [a for a in load.applications if a.at < started_at]
            served = 0
            with httpx.Client(base_url=site.url, timeout=30) as client:
                page = client.get("/connexion")
                token = html.unescape(CSRF.search(page.text).group(1))  # type: ignore[union-attr]
                client.post(
                    "/connexion",
                    data={"email": load.seed.staff[0], "password": PASSWORD, "csrf_token": token},
                )
                for ack in before:
                    response = client.get(f"/candidatures/{ack.application_id}/cv")
                    if (
                        response.status_code == 200
                        and hashlib.sha256(response.content).hexdigest() == ack.sha256
                    ):
                        served += 1
            report.lines.append(
                f"  backup: {dump.stat().st_size / 1e6:.1f} MB, taken at {started_at:.1f} s; "
                f"{len(before)} applications acknowledged before it"
            )
            report.check(
                served == len(before),
                f"the restored site serves every one with its CV ({served} of {len(before)})",
            )
        finally:
            site.stop()
    finally:
        drop_database(name)


def database_name(env: dict[str, str]) -> str:
    return env["JOBBOARD_DATABASE_URL"].rsplit("/", 1)[1]


# ---------------------------------------------------------------------------------------------
# Figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_figures(load: Load, seconds: float) -> None:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in load.samples:
        by_kind[sample.kind].append(sample)
    print(
        f"\n{'kind':<11} {'req':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'errors':>7} {'5xx':>5}"
    )
    for kind in ("search", "offer", "home", "form", "sign-in", "apply", "moderation", "decision"):
        samples = by_kind.get(kind, [])
        if samples:
            print_row(kind, samples, seconds)
    print_row("all", load.samples, seconds)
    for host in load.hosts:
        print_row(host.name, [s for s in load.samples if s.host == host.name], seconds)


def print_row(label: str, samples: list[Sample], seconds: float) -> None:
    answered = [s.seconds * 1000 for s in samples if s.status]
    errors = sum(1 for s in samples if not s.status)
    server = sum(1 for s in samples if s.status >= 500)
    print(
        f"{label:<11} {len(samples):>6} {len(samples) / seconds:>7.1f} "
        f"{percentile(answered, 0.5):>7.1f} {percentile(answered, 0.95):>7.1f} "
        f"{percentile(answered, 0.99):>7.1f} {errors:>7} {server:>5}"
    )


# ---------------------------------------------------------------------------------------------
# The run


async def run_load(
    load: Load, args: argparse.Namespace, events: dict[str, float], workdir: Path
) -> None:
    seed = load.seed
    users: list[Any] = []
    n_staff = len(seed.staff)
    n_candidates = min(len(seed.candidates), max(1, args.users * 3 // 10))
    for i in range(n_staff):
        users.append(load.moderator(i, seed.staff[i], seed.submitted[i::n_staff]))
    for i in range(n_candidates):
        users.append(load.candidate(n_staff + i, seed.candidates[i]))
    for i in range(n_staff + n_candidates, args.users):
        users.append(load.visitor(i))
    # Users arrive over the first three seconds, not in one burst of sign-ins.
    tasks = [asyncio.create_task(arrive(i * 3 / len(users), user)) for i, user in enumerate(users)]
    tasks.append(asyncio.create_task(faults(load, args, events)))
    tasks.append(asyncio.create_task(backup(load, args.duration * args.backup_at, events, workdir)))
    await asyncio.gather(*tasks)


async def arrive(after: float, user: Coroutine[Any, Any, None]) -> None:
    await asyncio.sleep(after)
    await user


async def backup(load: Load, at: float, events: dict[str, float], workdir: Path) -> None:
    """`pg_dump` of the whole site (CVs included) while the load runs."""
    await asyncio.sleep(max(0.0, at - load.now()))
    events["backup"] = load.now()
    await asyncio.to_thread(
        subprocess.run,
        [
            "pg_dump",
            "--format=custom",
            f"--file={workdir / 'sauvegarde.dump'}",
            load.hosts[0].env["JOBBOARD_DATABASE_URL"],
        ],
        check=True,
    )
    events["backup_done"] = load.now()


async def faults(load: Load, args: argparse.Namespace, events: dict[str, float]) -> None:
    """The kill and the restart, and with --faults Redis and PostgreSQL away."""
    duration = args.duration
    plan: list[tuple[float, str]] = []
    if not args.no_kill and len(load.hosts) > 1:
        plan += [
            (duration * args.kill_at, "kill"),
            (duration * args.kill_at + args.down, "restart"),
        ]
    if args.faults:
        plan += [(duration * 0.65, "redis"), (duration * 0.75, "postgres")]
    for at, event in sorted(plan):
        await asyncio.sleep(max(0.0, at - load.now()))
        victim = load.hosts[-1]
        if event == "kill":
            victim.kill()
            events["kill"] = load.now()
        elif event == "restart":
            if args.wipe_index:  # a new host, or one whose disk was lost: built from the database
                shutil.rmtree(victim.data_dir / "index")
            victim.start()
            await asyncio.to_thread(victim.wait_ready)
            events["back"] = load.now()
        elif event == "redis":
            events["redis_down"] = load.now()
            await asyncio.to_thread(load.redis.stop)
            await asyncio.sleep(3)
            await asyncio.to_thread(load.redis.start)
            events["redis_up"] = load.now()
        elif event == "postgres":
            events["postgres_down"] = load.now()
            cluster = next(iter(sorted(os.listdir("/etc/postgresql"))))
            await asyncio.to_thread(
                subprocess.run,
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],
                check=True,
            )
            events["postgres_up"] = load.now()


def verdict_on_answers(load: Load, events: dict[str, float], report: Report) -> None:
    killed = load.hosts[-1].name if "kill" in events else ""
    window = (events.get("kill", 0.0), events.get("back", load.now()) + 1.0)
    # PostgreSQL restarting: answers fail until the pools reconnect (a few seconds after).
    fault = (
        (events["postgres_down"], events["postgres_up"] + RECOVERY_SECONDS)
        if "postgres_down" in events
        else (-1.0, -1.0)
    )

    def excused(sample: Sample) -> bool:
        in_kill = sample.host == killed and window[0] <= sample.at <= window[1]
        return in_kill or fault[0] <= sample.at <= fault[1]

    outside = [s for s in load.samples if (not s.status or s.status >= 500) and not excused(s)]
    in_window = [s for s in load.samples if not s.status and s.host == killed and excused(s)]
    report.lines.append(
        f"  answers: {len(load.samples)} requests; killed host {killed} down "
        f"{window[0]:.1f}–{window[1]:.1f} s: {len(in_window)} requests failed on it (those "
        f"never sent went to the other host)"
        if killed
        else f"  answers: {len(load.samples)} requests; no host killed"
    )
    if load.refusals:
        report.lines.append(f"  refused by the site (counted, not failures): {dict(load.refusals)}")
    report.check(
        not outside,
        "no 5xx and no failed request outside the killed host's window"
        + (
            f" ({len(outside)}: {Counter((s.host, s.status, s.error, int(s.at)) for s in outside)})"
            if outside
            else ""
        ),
    )
    if "redis_down" in events:
        during = [s for s in load.samples if events["redis_down"] <= s.at <= events["redis_up"] + 1]
        report.check(
            all(0 < s.status < 500 for s in during),
            f"Redis stopped for 3 s: every request answered, none 5xx "
            f"({dict(Counter(s.status for s in during))})",
        )
    if "postgres_down" in events:
        during = [s for s in load.samples if fault[0] <= s.at <= fault[1]]
        report.check(
            all(s.status in (0, 503) or s.status < 500 for s in during)
            and all(s.french_page for s in during if s.status == 503),
            f"PostgreSQL restarted: failures are the French 503 page, no 500 "
            f"({dict(Counter(s.status for s in during))})",
        )
        failed = [s.at for s in during if not s.status or s.status >= 500]
        after = [s for s in load.samples if s.at > fault[1]]
        report.check(
            bool(after) and all(0 < s.status < 500 for s in after),
            f"and the site answers again: PostgreSQL back at {events['postgres_up']:.1f} s, last "
            f"failure at {max(failed, default=0):.1f} s; {len(after)} requests from "
            f"{RECOVERY_SECONDS:.0f} s after, none failed",
        )


def check_indexes(hosts: list[Host], report: Report, timeout: float = 60) -> None:
    for host in hosts:
        started = time.monotonic()
        result = host.check_index()
        while result.returncode != 0 and time.monotonic() - started < timeout:
            time.sleep(1)
            result = host.check_index()
        health = host.health() or {}
        while health.get("offres_en_attente_d_indexation") != 0 and (
            time.monotonic() - started < timeout
        ):
            time.sleep(0.5)
            health = host.health() or {}
        report.check(
            result.returncode == 0 and health.get("offres_en_attente_d_indexation") == 0,
            f"{host.name}: check-index {'passes' if result.returncode == 0 else 'fails'} "
            f"({time.monotonic() - started:.1f} s after the load) and /sante reports "
            f"{health.get('offres_en_attente_d_indexation')} changes waiting "
            f"(generation {health.get('generation_index')})",
        )


class Redis:
    """A Redis of this run alone (no file, loopback): the counters of earlier runs, keyed by
    account ids that every new database hands out again, stay out of it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory  # where it would write a file (it is told to write none)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextlib.contextmanager
def smtp_relay() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="web workers per host")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds of load")
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean pause of a user between two requests (s)"
    )
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of the duration")
    parser.add_argument("--down", type=float, default=5, help="seconds the killed host stays down")
    parser.add_argument("--backup-at", type=float, default=0.6, help="share of the duration")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument(
        "--wipe-index", action="store_true", help="the killed host restarts without its index"
    )
    parser.add_argument("--faults", action="store_true", help="also stop Redis, restart PG")
    parser.add_argument("--keep", action="store_true", help="keep the database and directories")
    args = parser.parse_args()

    name = f"jobboard_cluster_{int(time.time())}_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="jobboard-cluster-"))
    database_url = create_database(name)
    report = Report()
    hosts: list[Host] = []
    redis = Redis(workdir)
    redis.start()
    try:
        with smtp_relay() as (sink, smtp_port):
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")},
                "JOBBOARD_DATABASE_URL": database_url,
                "JOBBOARD_SECRET_KEY": secrets.token_urlsafe(48),
                "JOBBOARD_REDIS_URL": redis.url,
                "JOBBOARD_TRUSTED_PROXIES": "127.0.0.1",
                "JOBBOARD_SMTP_HOST": "127.0.0.1",
                "JOBBOARD_SMTP_PORT": str(smtp_port),
                "JOBBOARD_SMTP_TLS": "none",
                "JOBBOARD_SMTP_TIMEOUT": "10",
                "JOBBOARD_SMTP_DATA_TIMEOUT": "10",
                "JOBBOARD_BASE_URL": "http://bourse.localhost",
                "JOBBOARD_LOG_FORMAT": "json",
            }
            began = time.monotonic()
            subprocess.run([JOBBOARD, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
            submitted = int(args.duration * 2) + 10
            the_seed = asyncio.run(seed(database_url, 60, 3, submitted))
            for i in range(args.hosts):
                host = Host(
                    f"hote-{i + 1}", free_port(), workdir / f"hote-{i + 1}", env, args.workers
                )
                host.start()
                hosts.append(host)
            ready = [host.wait_ready() for host in hosts]
            print(
                f"{args.hosts} hosts × serve --workers {args.workers} + worker, PostgreSQL "
                f"{name}, Redis, {args.users} users for {args.duration:.0f} s "
                f"(set up in {time.monotonic() - began:.1f} s, hosts ready in "
                f"{', '.join(f'{s:.1f}' for s in ready)} s)"
            )
            load = Load(
                hosts,
                the_seed,
                redis,
                deadline=time.monotonic() + args.duration,
                think_seconds=args.think,
            )
            events: dict[str, float] = {}
            asyncio.run(run_load(load, args, events, workdir))
            seconds = load.now()
            print_figures(load, seconds)
            print(
                "\nevents (s): "
                + ", ".join(
                    f"{event} {at:.1f}" for event, at in sorted(events.items(), key=lambda e: e[1])
                )
            )
            print("\nchecks")
            verdict_on_answers(load, events, report)
            check_indexes(hosts, report)
            asyncio.run(check_applications(database_url, env, load, report))
            asyncio.run(drain_and_check_mail(database_url, env, sink, load, report))
            dump = workdir / "sauvegarde.dump"
            if dump.exists():
                check_restored(dump, events["backup"], env, workdir, load, report)
            print("\n".join(report.lines))
    finally:
        for host in hosts:
            host.stop()
        redis.stop()
        if not args.keep:
            drop_database(name)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: database {name}, directories {workdir}")
    if report.failures:
        print(f"\n{len(report.failures)} check(s) failed.")
        return 1
    print("\nEvery check passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
