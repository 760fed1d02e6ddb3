"""The e-mail outbox: written with its cause, sent over real SMTP, kept while SMTP is down."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import sqlite3
import subprocess
import sys
import time
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
from tests.test_cli import run


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
    backend = mail.SmtpBackend(smtp_settings(settings, port, timeout=2))
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


# Duplicates: one Message-ID per row, RFC 5321 timeouts, « perhaps delivered » retried once, late.


async def test_every_attempt_at_a_row_carries_the_same_message_id(
    db: None, settings: Settings
) -> None:
    user = await make_user()
    row = await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    first = mail.build_message(row, settings.email_from)["Message-ID"]
    again = mail.build_message(await EmailOutbox.get(id=row.id), settings.email_from)
    assert again["Message-ID"] == first
    assert first.startswith(f"<outbox-{row.id}.") and first.endswith("@localhost>")
    other = await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    assert mail.build_message(other, settings.email_from)["Message-ID"] != first


def test_timeouts_are_rfc_5321_and_the_lease_outlasts_a_send(tmp_path: Path) -> None:
    settings = Settings.from_env({"JOBBOARD_DATA_DIR": str(tmp_path), "JOBBOARD_SECRET_KEY": "k"})
    assert (settings.smtp_timeout, settings.smtp_data_timeout) == (300, 600)
    backend = mail.SmtpBackend(replace(settings, smtp_host="smtp.example.fr"))
    longest = timedelta(seconds=settings.smtp_timeout + settings.smtp_data_timeout)
    assert backend.max_duration >= longest
    assert mail.lease_for(backend) > backend.max_duration
    shortened = Settings.from_env(
        {
            "JOBBOARD_DATA_DIR": str(tmp_path),
            "JOBBOARD_SECRET_KEY": "k",
            "JOBBOARD_SMTP_TIMEOUT": "2",
            "JOBBOARD_SMTP_DATA_TIMEOUT": "3.5",
        }
    )
    assert (shortened.smtp_timeout, shortened.smtp_data_timeout) == (2, 3.5)


@pytest.mark.parametrize("late_again", [False, True], ids=["then-in-time", "late-twice"])
async def test_relay_silent_after_data_gets_one_late_retry_with_the_same_message_id(
    db: None, settings: Settings, smtp_server: SmtpServer, late_again: bool
) -> None:
    user = await make_user()
    await mail.queue_email(user.email, "password_changed", {"user": user}, settings)
    backend = mail.SmtpBackend(smtp_settings(settings, smtp_server.port, data_timeout=0.3))
    smtp_server.sink.delay = 1.0  # the relay has the message but answers after our timeout

    assert await mail.send_pending(backend, settings.email_from) == (0, 1)
    row = await EmailOutbox.get()
    assert row.status == "pending" and row.uncertain_since is not None
    assert "peut-être distribué" in row.last_error
    assert len(smtp_server.messages) == 1
    # Not re-sent as a plain failure would be (30 s, 1 min, …): once, an hour later.
    soon = clock.now() + timedelta(minutes=30)
    assert await mail.send_pending(backend, settings.email_from, moment=soon) == (0, 0)
    assert len(smtp_server.messages) == 1

    smtp_server.sink.delay = 1.0 if late_again else 0.0
    later = clock.now() + mail.LATE_RETRY + timedelta(minutes=1)
    outcome = await mail.send_pending(backend, settings.email_from, moment=later)
    row = await EmailOutbox.get()
    if late_again:
        assert outcome == (0, 1) and row.status == "uncertain" and row.next_attempt_at is None
    else:
        assert outcome == (1, 0) and row.status == "sent"
    next_day = clock.now() + timedelta(days=1)
    assert await mail.send_pending(backend, settings.email_from, moment=next_day) == (0, 0)
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]


def _sender(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBBOARD_")}
    env.update(
        JOBBOARD_DATA_DIR=str(data_dir),
        JOBBOARD_SMTP_HOST="127.0.0.1",
        JOBBOARD_SMTP_PORT=str(port),
        JOBBOARD_SMTP_TLS="none",
        JOBBOARD_SMTP_TIMEOUT="5",
        JOBBOARD_SMTP_DATA_TIMEOUT="60",
    )
    return env


def _send_emails(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "jobboard.cli", "send-emails"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def _lease_ran_out(database: sqlite3.Connection) -> None:
    """What waiting does: the row's lease (or retry time) is now in the past."""
    database.execute("UPDATE email_outbox SET next_attempt_at = '2000-01-01 00:00:00+00:00'")
    database.commit()


def test_sender_killed_during_a_send_does_not_resend_at_once_and_keeps_the_message_id(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    env = _sender(tmp_path, smtp_server.port)
    assert run(tmp_path, "migrate").returncode == 0
    database = sqlite3.connect(tmp_path / "jobboard.sqlite3")
    database.execute(
        'INSERT INTO email_outbox ("to", subject, body_text, body_html, status, attempts, '
        "last_error, created_at) VALUES ('a@example.fr', 'Essai', 'Bonjour', '', 'pending', 0, "
        "'', CURRENT_TIMESTAMP)"
    )
    database.commit()
    smtp_server.sink.delay = 30  # the relay has it; the sender dies waiting for the reply
    sender = subprocess.Popen(
        [sys.executable, "-m", "jobboard.cli", "send-emails"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):
            if smtp_server.messages or sender.poll() is not None:
                break
            time.sleep(0.05)
        assert smtp_server.messages and sender.poll() is None
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait()
    assert database.execute("SELECT status FROM email_outbox").fetchone() == ("sending",)

    smtp_server.sink.delay = 0
    # Restarted while the dead sender's lease runs: nothing is sent.
    assert "0 e-mail(s) envoyé(s)" in _send_emails(env)
    # After the lease: perhaps delivered, so not sent at once either, but once, later.
    _lease_ran_out(database)
    _send_emails(env)
    assert len(smtp_server.messages) == 1
    status, uncertain = database.execute(
        "SELECT status, uncertain_since FROM email_outbox"
    ).fetchone()
    assert status == "pending" and uncertain is not None
    _lease_ran_out(database)
    assert "1 e-mail(s) envoyé(s)" in _send_emails(env)
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert database.execute("SELECT status FROM email_outbox").fetchone() == ("sent",)
