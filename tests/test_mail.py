"""The e-mail outbox: written with its cause, sent over real SMTP, kept while SMTP is down."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from jobboard import clock, mail
from jobboard.models import EmailOutbox
from jobboard.settings import Settings
from tests.conftest import SmtpServer, free_port, make_user, smtp_settings, text_part


async def test_queued_email_rolls_back_with_its_transaction(db: None, settings: Settings) -> None:
    user = await make_user()
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
            raise RuntimeError("the change that caused the e-mail failed")
    assert await EmailOutbox.all().count() == 0


async def test_message_is_french_text_and_html(db: None, settings: Settings) -> None:
    user = await make_user(full_name="Léa Martin")
    row = await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    message = mail.build_message(row, settings.email_from)
    assert message["Subject"] == "Votre mot de passe a été modifié"
    assert message["To"] == "lea@example.fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Bonjour Léa Martin" in text_part(message)
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<p>Bonjour Léa Martin,</p>" in html.get_content()
    assert "http://testserver/mot-de-passe-oublie" in text_part(message)


async def test_sent_through_a_real_smtp_server(
    db: None, settings: Settings, smtp_server: SmtpServer
) -> None:
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    backend = mail.backend_for(smtp_settings(settings, smtp_server.port))
    assert isinstance(backend, mail.SmtpBackend)
    assert await mail.send_pending(backend, settings.email_from) == (1, 0)
    [message] = smtp_server.messages
    assert message["Subject"] == "Votre mot de passe a été modifié"
    row = await EmailOutbox.get()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    # Nothing is sent twice.
    assert await mail.send_pending(backend, settings.email_from) == (0, 0)
    assert len(smtp_server.messages) == 1


async def test_outbox_survives_an_smtp_outage(db: None, settings: Settings) -> None:
    port = free_port()
    backend = mail.SmtpBackend(smtp_settings(settings, port), timeout=2)
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)

    # The server is down: the message stays queued, with the error and a later retry time.
    assert await mail.send_pending(backend, settings.email_from) == (0, 1)
    row = await EmailOutbox.get()
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now()
    # Not retried before its time.
    assert await mail.send_pending(backend, settings.email_from) == (0, 0)

    server = SmtpServer(port)
    server.start()
    try:
        later = clock.now() + timedelta(minutes=5)
        assert await mail.send_pending(backend, settings.email_from, moment=later) == (1, 0)
        assert len(server.messages) == 1
    finally:
        server.stop()
    row = await EmailOutbox.get()
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""


class _AlwaysDown:
    async def send(self, message: EmailMessage) -> None:
        raise ConnectionRefusedError("SMTP server unreachable")


async def test_gives_up_after_max_attempts_with_growing_delays(
    db: None, settings: Settings
) -> None:
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    moment = clock.now()
    delays = []
    for _ in range(mail.MAX_ATTEMPTS):
        await mail.send_pending(_AlwaysDown(), settings.email_from, moment=moment)
        row = await EmailOutbox.get()
        if row.next_attempt_at is not None:
            delays.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at
    row = await EmailOutbox.get()
    assert row.status == "failed" and row.attempts == mail.MAX_ATTEMPTS
    assert "SMTP server unreachable" in row.last_error
    assert delays == sorted(delays)
    assert timedelta(seconds=30) <= delays[0] < timedelta(seconds=31)
    assert max(delays) <= timedelta(hours=2)


async def test_two_senders_never_send_the_same_message(db: None, settings: Settings) -> None:
    """Two real senders (two `worker` processes) run one round at the same time: each message
    goes out once. A barrier holds each sender inside its first send until the other one is
    in its own, so the two rounds truly overlap."""
    for n in range(10):
        user = await make_user(email=f"lea{n}@example.fr")
        await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    both_sending = asyncio.Barrier(2)
    sent: list[str] = []

    class Recorder:
        def __init__(self) -> None:
            self.first = True

        async def send(self, message: EmailMessage) -> None:
            if self.first:
                self.first = False
                await both_sending.wait()
            sent.append(str(message["To"]))
            await asyncio.sleep(0)  # let the other sender run between messages

    async with asyncio.timeout(60):
        rounds = await asyncio.gather(
            mail.send_pending(Recorder(), settings.email_from),
            mail.send_pending(Recorder(), settings.email_from),
        )
    assert sorted(sent) == sorted(f"lea{n}@example.fr" for n in range(10))  # once each
    assert all(round_sent >= 1 for round_sent, _ in rounds)  # both senders sent some
    assert sum(round_sent for round_sent, _ in rounds) == 10
    assert await EmailOutbox.filter(status="sent").count() == 10


async def test_default_backend_writes_eml_files(db: None, settings: Settings) -> None:
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    backend = mail.backend_for(settings)
    assert isinstance(backend, mail.FileBackend)
    assert await mail.send_pending(backend, settings.email_from) == (1, 0)
    [path] = list(Path(settings.outbox_dir).glob("*.eml"))  # noqa: ASYNC240
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Votre mot de passe a été modifié"
    assert "Bonjour Léa Martin" in text_part(message)


def test_smtp_settings_from_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "JOBBOARD_DATA_DIR": str(tmp_path),
            "JOBBOARD_SECRET_KEY": "k",
            "JOBBOARD_SMTP_HOST": "smtp.example.fr",
            "JOBBOARD_SMTP_PORT": "465",
            "JOBBOARD_SMTP_TLS": "ssl",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_tls) == (
        "smtp.example.fr",
        465,
        "ssl",
    )
    assert isinstance(mail.backend_for(settings), mail.SmtpBackend)
    assert isinstance(mail.backend_for(replace(settings, smtp_host="")), mail.FileBackend)


def test_unknown_smtp_tls_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="valeurs possibles starttls, ssl, none"):
        Settings.from_env(
            {
                "JOBBOARD_DATA_DIR": str(tmp_path),
                "JOBBOARD_SECRET_KEY": "k",
                "JOBBOARD_SMTP_TLS": "tls",
            }
        )


async def test_lease_and_retry_count_from_the_claim_not_the_round_start(
    db: None, settings: Settings
) -> None:
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    round_start = clock.now() - timedelta(minutes=10)  # a round slowed down by earlier timeouts
    await mail.send_pending(_AlwaysDown(), settings.email_from, moment=round_start)
    row = await EmailOutbox.get()
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now()
