"""E-mail: messages queued in `email_outbox` inside the caller's transaction, sent later.

`queue_email` renders `templates/emails/<name>.txt` and `.html` (the text template sets the
subject with `{% set subject = "…" %}`) and writes the row; the transaction that caused the
message commits it or rolls it back with everything else. `send_pending` claims due rows, hands
them to a backend and records the outcome: sent, retried later with exponential backoff, or
failed after `MAX_ATTEMPTS`. Nothing is lost while SMTP is down.

Duplicates are kept rare and recognisable. Every row has one `Message-ID` for all its attempts,
so receivers can drop a second copy. A send that may have reached the relay — no reply to the
end of DATA within RFC 5321's ten minutes, the connection lost then, or a sender that died with
the row claimed (`sending` past its lease) — is « perhaps delivered »: logged, retried once an
hour later, and if that attempt is uncertain too the row stays `uncertain`, never re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosmtplib
import anyio.to_thread
import jinja2
from aiosmtplib.typing import Default
from tortoise.expressions import Q

from jobboard import PROJECT_ROOT, metrics
from jobboard.clock import now
from jobboard.db import erase_deleted_pages
from jobboard.domain.french import squash_spaces
from jobboard.formats import date_fr
from jobboard.models import EmailOutbox
from jobboard.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A claimed row whose sender died is picked up again once its lease is over: the lease is the
# longest a send can take (the backend's `max_duration`) plus this margin.
LEASE_MARGIN = timedelta(minutes=5)
# What a backend without its own bound (files, tests) is given to send one message.
DEFAULT_MAX_DURATION = timedelta(minutes=1)
# A perhaps-delivered message is tried once more, this much later, with the same Message-ID.
LATE_RETRY = timedelta(hours=1)
BATCH = 50
# The headers an outbox row may add (the others are the sender's own).
EXTRA_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id"})


class PerhapsDelivered(Exception):
    """The relay may have the message: it went silent after the end of DATA."""


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
    subject = squash_spaces(str(text_module.subject))  # type: ignore[attr-defined]
    text = re.sub(r"\n{3,}", "\n\n", str(text_module)).strip() + "\n"
    html = env.get_template(f"emails/{name}.html").render({**context, "subject": subject})
    return subject, text, html


async def queue_email(
    to: str,
    name: str,
    context: Mapping[str, Any],
    settings: Settings,
    *,
    erase_when_sent: bool = False,
    headers: Mapping[str, str] | None = None,
) -> EmailOutbox:
    """Write one message to the outbox; call it inside the transaction that causes it.
    `erase_when_sent`: the row is deleted once sent (the last e-mail to a deleted account).
    `headers`: extra headers of the message (`List-Unsubscribe`, RFC 8058's one-click)."""
    subject, text, html = render_email(name, {**context, "base_url": settings.base_url})
    return await EmailOutbox.create(
        to=to, subject=subject, body_text=text, body_html=html, erase_when_sent=erase_when_sent,
        headers=dict(headers) if headers else None,
    )  # fmt: skip


def message_id(row: EmailOutbox, sender: str) -> str:
    """The same for every attempt at one row: a receiver can drop a copy it already has.

    The creation time tells apart rows of two databases that reuse the same ids.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    stamp = row.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"<outbox-{row.id}.{stamp}@{domain}>"


def build_message(row: EmailOutbox, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, sender)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        if name.lower() in EXTRA_HEADERS:
            message[name] = value
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
        log.info("e-mail to %s « %s » written to %s", message["To"], message["Subject"], path)

    def _write(self, path: Path, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


class _RelayClient(aiosmtplib.SMTP):
    """An SMTP client that waits `data_timeout` for the reply to the end of DATA.

    Every other command waits the client's `timeout`. A timeout or a lost connection during
    DATA becomes `PerhapsDelivered`: the relay may have queued the message before going silent.
    (aiosmtplib applies one timeout to the 354 and to the final reply, so a relay silent before
    354 counts as perhaps delivered too: that errs on the side of no duplicate.)
    """

    def __init__(self, *, data_timeout: float, **options: Any) -> None:
        super().__init__(**options)
        self.data_timeout = data_timeout
        self.in_data = False

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,  # noqa: ASYNC109 (the override keeps the signature)
    ) -> aiosmtplib.SMTPResponse:
        self.in_data = True
        try:
            return await super().data(message, timeout=self.data_timeout)
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
            raise PerhapsDelivered(f"{type(exc).__name__}: {exc}") from exc


class SmtpBackend:
    """Sends over SMTP with the timeouts RFC 5321 §4.5.3.2 recommends (settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def max_duration(self) -> timedelta:
        """A bound on one whole send: connection and commands, then the end of DATA."""
        s = self.settings
        return timedelta(seconds=2 * s.smtp_timeout + s.smtp_data_timeout)

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        client = _RelayClient(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls == "ssl",
            start_tls=s.smtp_tls == "starttls",
            timeout=s.smtp_timeout,
            data_timeout=s.smtp_data_timeout,
        )
        delivered = False
        try:
            async with asyncio.timeout(self.max_duration.total_seconds()):
                await client.connect()
                await client.send_message(message)
                delivered = True  # the relay said 250: whatever QUIT does is not our concern
                with contextlib.suppress(aiosmtplib.SMTPException):
                    await client.quit()
        except TimeoutError as exc:  # the overall bound, or one command's timeout
            if delivered:
                return
            if client.in_data and not isinstance(exc, aiosmtplib.SMTPTimeoutError):
                raise PerhapsDelivered("no reply within the send's overall bound") from exc
            raise
        finally:
            client.close()


def backend_for(settings: Settings) -> MailBackend:
    return SmtpBackend(settings) if settings.smtp_host else FileBackend(settings.outbox_dir)


def lease_for(backend: MailBackend) -> timedelta:
    """Longer than the longest send, so a live sender never loses its claim."""
    duration = getattr(backend, "max_duration", DEFAULT_MAX_DURATION)
    assert isinstance(duration, timedelta)
    return duration + LEASE_MARGIN


async def send_pending(
    backend: MailBackend, sender: str, *, moment: datetime | None = None, limit: int = BATCH
) -> tuple[int, int]:
    """Send the messages that are due; returns (sent, failed attempts).

    Each row is claimed with a compare-and-set on `attempts` and stays `sending` until its
    outcome is recorded, so two senders (two `worker` processes) never send the same message
    twice in one round, and a row still `sending` after its lease belonged to a sender that died.
    """
    moment = moment or now()
    lease = lease_for(backend)
    due = (
        await EmailOutbox.filter(
            Q(status="pending", next_attempt_at__isnull=True)
            | Q(status__in=("pending", "sending"), next_attempt_at__lte=moment)
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
            id=row.id, status=row.status, attempts=row.attempts
        ).update(status="sending", attempts=row.attempts + 1, next_attempt_at=claimed_at + lease)
        if not claimed:
            continue
        attempts = row.attempts + 1
        if row.status == "sending":  # its sender died mid-send: the relay may have it
            failed += 1
            await _perhaps_delivered(row, claimed_at, "the sender stopped during the send")
            continue
        try:
            await backend.send(build_message(row, sender))
        except PerhapsDelivered as exc:
            failed += 1
            await _perhaps_delivered(row, claimed_at, str(exc))
            continue
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
        if row.erase_when_sent:
            await EmailOutbox.filter(id=row.id).delete()
            await erase_deleted_pages()
            continue
        await EmailOutbox.filter(id=row.id).update(
            status="sent", sent_at=now(), next_attempt_at=None, last_error=""
        )
    return sent, failed


async def _perhaps_delivered(row: EmailOutbox, claimed_at: datetime, reason: str) -> None:
    """Retry once, late, with the same Message-ID; after a second doubt, stop for good."""
    error = f"peut-être distribué : {reason}"[:1000]
    if row.uncertain_since is None:
        retry_at = claimed_at + LATE_RETRY
        log.warning(
            "e-mail %s to %s perhaps delivered (%s): one more try at %s, same Message-ID",
            row.id, row.to, reason, retry_at.isoformat(timespec="seconds"),
        )  # fmt: skip
        await EmailOutbox.filter(id=row.id).update(
            status="pending", uncertain_since=claimed_at, next_attempt_at=retry_at,
            last_error=error,
        )  # fmt: skip
        return
    log.warning(
        "e-mail %s to %s perhaps delivered again (%s): left uncertain, not retried",
        row.id, row.to, reason,
    )  # fmt: skip
    await EmailOutbox.filter(id=row.id).update(
        status="uncertain", next_attempt_at=None, last_error=error
    )


async def run_forever(settings: Settings, interval: float = 2.0) -> None:
    """The sender loop of `serve` and `worker`."""
    backend = backend_for(settings)
    while True:
        try:
            with metrics.job_round("mail"):
                await send_pending(backend, settings.email_from)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("e-mail sender round failed")
        await asyncio.sleep(interval)
