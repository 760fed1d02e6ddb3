"""E-mail: messages queued in `email_outbox` inside the caller's transaction, sent later.

`queue_email` renders `templates/emails/<name>.txt` and `.html` (the text template sets the
subject with `{% set subject = "…" %}`) and writes the row; the transaction that caused the
message commits it or rolls it back with everything else. `send_pending` claims due rows, hands
them to a backend and records the outcome: sent, retried later with exponential backoff, or
failed after `MAX_ATTEMPTS`. Nothing is lost while SMTP is down.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import anyio.to_thread
import jinja2
from tortoise.expressions import Q

from jobboard import PROJECT_ROOT
from jobboard.clock import now
from jobboard.formats import date_fr
from jobboard.models import EmailOutbox
from jobboard.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A claimed message is retried by another sender if this one dies before recording the outcome.
LEASE = timedelta(minutes=5)
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 2 h: about a day of retries in all."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 7200))


@cache
def _environment(directory: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = date_fr
    return env


def render_email(name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of `emails/<name>`."""
    env = _environment(str(PROJECT_ROOT / "templates"))
    text_module = env.get_template(f"emails/{name}.txt").make_module(dict(context))
    subject = " ".join(str(text_module.subject).split())  # type: ignore[attr-defined]
    text = re.sub(r"\n{3,}", "\n\n", str(text_module)).strip() + "\n"
    html = env.get_template(f"emails/{name}.html").render({**context, "subject": subject})
    return subject, text, html


async def queue_email(
    to: str, name: str, context: Mapping[str, Any], settings: Settings
) -> EmailOutbox:
    """Write one message to the outbox; call it inside the transaction that causes it."""
    subject, text, html = render_email(name, {**context, "base_url": settings.base_url})
    return await EmailOutbox.create(to=to, subject=subject, body_text=text, body_html=html)


def build_message(row: EmailOutbox, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


class MailBackend(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class FileBackend:
    """The default: each message logged and written to data/outbox/ as an .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        stamp = now().strftime("%Y%m%dT%H%M%S")
        ident = re.sub(r"[^\w.-]", "", str(message["Message-ID"]))[:60]
        path = self.directory / f"{stamp}-{ident}.eml"
        await anyio.to_thread.run_sync(self._write, path, bytes(message))
        log.info("e-mail to %s « %s » written to %s", message["To"], message["Subject"], path)

    def _write(self, path: Path, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


class SmtpBackend:
    def __init__(self, settings: Settings, timeout: float = 20) -> None:
        self.settings = settings
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls == "ssl",
            start_tls=s.smtp_tls == "starttls",
            timeout=self.timeout,
        )


def backend_for(settings: Settings) -> MailBackend:
    return SmtpBackend(settings) if settings.smtp_host else FileBackend(settings.outbox_dir)


async def send_pending(
    backend: MailBackend, sender: str, *, moment: datetime | None = None, limit: int = BATCH
) -> tuple[int, int]:
    """Send the messages that are due; returns (sent, failed attempts).

    Each row is claimed with a compare-and-set on `attempts`, so two senders (two `worker`
    processes) never send the same message twice in one round.
    """
    moment = moment or now()
    due = (
        await EmailOutbox.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment), status="pending"
        )
        .order_by("id")
        .limit(limit)
    )
    sent = failed = 0
    for row in due:
        # The lease and the backoff count from when this row is claimed, not from the start of
        # the round: a round slowed by SMTP timeouts must not hand out already expired leases.
        claimed_at = max(moment, now())
        claimed = await EmailOutbox.filter(
            id=row.id, status="pending", attempts=row.attempts
        ).update(attempts=row.attempts + 1, next_attempt_at=claimed_at + LEASE)
        if not claimed:
            continue
        attempts = row.attempts + 1
        try:
            await backend.send(build_message(row, sender))
        except Exception as exc:  # any SMTP or network error: keep the message, retry later
            failed += 1
            error = f"{type(exc).__name__}: {exc}"[:1000]
            gave_up = attempts >= MAX_ATTEMPTS
            log.warning(
                "e-mail %s to %s not sent (attempt %s): %s", row.id, row.to, attempts, error
            )
            await EmailOutbox.filter(id=row.id).update(
                status="failed" if gave_up else "pending",
                next_attempt_at=None if gave_up else claimed_at + backoff(attempts),
                last_error=error,
            )
            continue
        sent += 1
        await EmailOutbox.filter(id=row.id).update(
            status="sent", sent_at=now(), next_attempt_at=None, last_error=""
        )
    return sent, failed


async def run_forever(settings: Settings, interval: float = 2.0) -> None:
    """The sender loop of `serve` and `worker`."""
    backend = backend_for(settings)
    while True:
        try:
            await send_pending(backend, settings.email_from)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("e-mail sender round failed")
        await asyncio.sleep(interval)
