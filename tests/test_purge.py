"""`jobboard purge`: each retention rule with the clock moved across its boundary (one day
before: kept; one day after: purged), a second run that finds nothing, and --dry-run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from tortoise.transactions import in_transaction

from jobboard import clock
from jobboard.domain.retention import (
    ACCEPTED_APPLICATION,
    DATA_EXPORT,
    INACTIVITY_GRACE,
    INACTIVITY_WARNING,
    SENT_EMAIL,
    TALENT_POOL,
    UNCONFIRMED_ACCOUNT,
    UNSUCCESSFUL_APPLICATION,
)
from jobboard.formats import date_fr
from jobboard.models import (
    Application,
    ApplicationEvent,
    DataExport,
    EmailOutbox,
    Offer,
    User,
    UserSession,
)
from jobboard.services.applications import change_status, transition_application
from jobboard.services.offer_import import import_offers
from jobboard.services.offer_transitions import transition_offer
from jobboard.services.purge import PurgeReport, purge
from jobboard.settings import Settings
from tests.conftest import make_user, offer_row
from tests.test_cli import run

T0 = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
DAY = timedelta(days=1)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    with time_machine.travel(moment, tick=False):
        yield


async def purge_at(
    moment: datetime, settings: Settings, *, signed_in: bool = True, **options: Any
) -> PurgeReport:
    """Purge at `moment`; `signed_in`: everyone signed in the day before (the tests of
    application rules are not about inactive accounts)."""
    if signed_in:
        await User.all().update(last_login_at=moment - DAY)
    with at(moment):
        return await purge(settings, **options)


def only(report: PurgeReport, **expected: int) -> None:
    """The report counts `expected` and nothing else."""
    assert {k: v for k, v in report.counts.items() if v} == expected


async def _offer() -> Offer:
    [offer_id] = (await import_offers([offer_row()], today=clock.today())).created
    return await Offer.get(id=offer_id)


async def _applied(
    offer: Offer, email: str, settings: Settings, *, talent_pool: bool = False, cv: str = ""
) -> Application:
    candidate = await make_user("candidate", email, full_name="Inès Lefort")
    async with in_transaction():
        return await transition_application(
            Application(
                offer_id=offer.id,
                candidate=candidate,
                cover_letter="Ma lettre de motivation, Inès Lefort.",
                message="Disponible en mars.",
                cv_path=cv,
                cv_filename="CV Inès Lefort.pdf" if cv else "",
                talent_pool_consent=talent_pool,
                eligibility={"verdict": "eligible", "birth_date": "2001-05-04"},
            ),
            "apply",
            candidate,
            by="candidate",
            offer=offer,
            settings=settings,
        )


async def _close(offer: Offer, settings: Settings) -> None:
    recruiter = await User.get_or_none(email="rh@espinasses.fr") or await make_user(
        "recruiter", "rh@espinasses.fr", commune="05050"
    )
    async with in_transaction():
        fresh = await Offer.get(id=offer.id)
        await transition_offer(fresh, "close", recruiter, comment="Poste pourvu", settings=settings)


async def _decide(
    application: Application, settings: Settings, *actions: str, comment: str = ""
) -> None:
    recruiter = await User.get_or_none(email="rh@espinasses.fr") or await make_user(
        "recruiter", "rh@espinasses.fr", commune="05050"
    )
    for action in actions:
        await change_status(
            application.id, action, recruiter, by="recruiter", comment=comment,
            settings=settings,
        )  # fmt: skip


def _cv(settings: Settings, name: str) -> str:
    settings.cv_dir.mkdir(parents=True, exist_ok=True)
    (settings.cv_dir / name).write_bytes(b"%PDF-1.7 CV")
    return f"cv/{name}"


async def _is_anonymised(application_id: int) -> bool:
    application = await Application.get(id=application_id)
    if application.anonymised_at is None:
        return False
    assert application.candidate_id is None and application.cover_letter == ""
    assert application.message == "" and application.cv_path == "" and application.cv_filename == ""
    assert application.eligibility == {"verdict": "eligible"}
    comments = await ApplicationEvent.filter(application_id=application_id).values_list(
        "comment", flat=True
    )
    assert set(comments) <= {""}
    return True


async def test_a_refusal_is_purged_three_months_after_the_offer_closed(
    db: None, settings: Settings
) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings, cv=_cv(settings, "a.pdf"))
    with at(T0 + 5 * DAY):
        await _decide(application, settings, "reject", comment="Profil trop éloigné, Inès.")
    closed = T0 + 20 * DAY
    with at(closed):
        await _close(offer, settings)
    due = UNSUCCESSFUL_APPLICATION.after(closed)  # the offer ended after the refusal

    only(await purge_at(due - DAY, settings))
    assert not await _is_anonymised(application.id)
    assert (settings.cv_dir / "a.pdf").exists()

    only(await purge_at(due + DAY, settings), applications_unsuccessful=1)
    assert await _is_anonymised(application.id)
    assert not (settings.cv_dir / "a.pdf").exists()
    statuses = await ApplicationEvent.filter(application_id=application.id).order_by("id")
    assert [e.to_status for e in statuses] == ["received", "rejected"]  # the history stays
    assert (await Application.get(id=application.id)).status == "rejected"

    only(await purge_at(due + 2 * DAY, settings))  # the second run: nothing left


async def test_a_withdrawal_after_the_offer_ended_counts_from_the_withdrawal(
    db: None, settings: Settings
) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings)
    with at(T0 + 2 * DAY):
        await _close(offer, settings)  # pending → obsolete, at T0 + 2 days
    ended = T0 + 2 * DAY
    due = UNSUCCESSFUL_APPLICATION.after(ended)
    only(await purge_at(due - DAY, settings))
    only(await purge_at(due + DAY, settings), applications_unsuccessful=1)
    assert (await Application.get(id=application.id)).status == "obsolete"
    assert await _is_anonymised(application.id)


async def test_a_refusal_waits_while_the_offer_still_recruits(db: None, settings: Settings) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings)
    with at(T0 + DAY):
        await _decide(application, settings, "reject", comment="Non.")
    only(await purge_at(T0 + 400 * DAY, settings))
    assert not await _is_anonymised(application.id)


async def test_talent_pool_consent_keeps_it_two_years_after_the_consent(
    db: None, settings: Settings
) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings, talent_pool=True)
    with at(T0 + DAY):
        await _decide(application, settings, "reject", comment="Pas cette fois.")
    with at(T0 + 2 * DAY):
        await _close(offer, settings)
    three_months = UNSUCCESSFUL_APPLICATION.after(T0 + 2 * DAY) + DAY
    only(await purge_at(three_months, settings))  # the pool keeps it past three months
    due = TALENT_POOL.after(T0)
    only(await purge_at(due - DAY, settings))
    only(await purge_at(due + DAY, settings), applications_talent_pool=1)
    assert await _is_anonymised(application.id)
    only(await purge_at(due + 2 * DAY, settings))


async def test_an_accepted_application_goes_two_years_after_the_acceptance(
    db: None, settings: Settings
) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings)
    accepted = T0 + 10 * DAY
    with at(accepted):
        await _decide(application, settings, "review", "accept")
    due = ACCEPTED_APPLICATION.after(accepted)
    only(await purge_at(due - DAY, settings))
    only(await purge_at(due + DAY, settings), applications_accepted=1)
    assert await _is_anonymised(application.id)
    assert (await Application.get(id=application.id)).status == "accepted"
    only(await purge_at(due + 2 * DAY, settings))


async def test_a_pending_application_is_never_purged(db: None, settings: Settings) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings)
    await Offer.filter(id=offer.id).update(deadline=T0.date() + timedelta(days=5000))
    only(await purge_at(T0 + 1000 * DAY, settings, dry_run=True))
    assert not await _is_anonymised(application.id)


async def test_inactive_accounts_are_warned_then_deleted_a_month_later(
    db: None, settings: Settings
) -> None:
    with at(T0):
        user = await make_user("candidate", "ines@example.fr", full_name="Inès Lefort")
        await User.filter(id=user.id).update(last_login_at=T0)
    warning = INACTIVITY_WARNING.after(T0)
    only(await purge_at(warning - DAY, settings, signed_in=False))
    report = await purge_at(warning + DAY, settings, signed_in=False)
    only(report, inactive_warned=1)
    [mail] = await EmailOutbox.filter(to="ines@example.fr")
    deletion = INACTIVITY_GRACE.after(warning + DAY)
    assert "supprimé" in mail.subject and date_fr(deletion) in mail.body_text
    only(await purge_at(warning + 2 * DAY, settings, signed_in=False))  # warned once

    only(await purge_at(deletion - DAY, settings, signed_in=False))
    assert await User.filter(id=user.id).exists()
    only(await purge_at(deletion + DAY, settings, signed_in=False), inactive_deleted=1)
    assert not await User.filter(id=user.id).exists()
    last = await EmailOutbox.filter(to="ines@example.fr").order_by("-id").first()
    assert last is not None and last.subject == "Votre compte a été supprimé"
    assert "avertissement" in last.body_text
    only(await purge_at(deletion + 2 * DAY, settings, signed_in=False))


async def test_signing_in_after_the_warning_keeps_the_account(db: None, settings: Settings) -> None:
    with at(T0):
        user = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
        await User.filter(id=user.id).update(last_login_at=T0)
    warning = INACTIVITY_WARNING.after(T0) + DAY
    only(await purge_at(warning, settings, signed_in=False), inactive_warned=1)
    await User.filter(id=user.id).update(last_login_at=warning + 3 * DAY)  # they came back
    deletion = INACTIVITY_GRACE.after(warning)
    only(await purge_at(deletion + DAY, settings, signed_in=False))
    assert await User.filter(id=user.id).exists()
    # The next warning counts from that sign-in.
    again = INACTIVITY_WARNING.after(warning + 3 * DAY)
    only(await purge_at(again - DAY, settings, signed_in=False))
    only(await purge_at(again + DAY, settings, signed_in=False), inactive_warned=1)


async def test_staff_accounts_are_never_purged(db: None, settings: Settings) -> None:
    with at(T0):
        await make_user("staff", "moderation@anct.example")
    only(await purge_at(INACTIVITY_WARNING.after(T0) + 400 * DAY, settings, signed_in=False))


async def test_unconfirmed_accounts_go_after_thirty_days(db: None, settings: Settings) -> None:
    with at(T0):
        user = await make_user("candidate", "ines@example.fr", email_confirmed_at=None)
        await make_user("candidate", "confirmed@example.fr")
    due = UNCONFIRMED_ACCOUNT.after(T0)
    only(await purge_at(due - DAY, settings))
    only(await purge_at(due + DAY, settings), unconfirmed_deleted=1)
    assert not await User.filter(id=user.id).exists()
    assert await User.filter(email="confirmed@example.fr").exists()
    # No e-mail to an address nobody confirmed.
    assert not await EmailOutbox.filter(to="ines@example.fr").exists()
    only(await purge_at(due + 2 * DAY, settings))


async def test_sent_emails_are_erased_after_ninety_days(db: None, settings: Settings) -> None:
    with at(T0):
        sent = await EmailOutbox.create(
            to="ines@example.fr", subject="Bonjour", body_text="Inès", status="sent", sent_at=T0
        )
        pending = await EmailOutbox.create(
            to="ines@example.fr", subject="En attente", body_text="."
        )
    due = SENT_EMAIL.after(T0)
    only(await purge_at(due - DAY, settings))
    only(await purge_at(due + DAY, settings), emails=1)
    assert not await EmailOutbox.filter(id=sent.id).exists()
    assert await EmailOutbox.filter(id=pending.id).exists()  # not sent yet: kept
    only(await purge_at(due + 2 * DAY, settings))


async def test_expired_sessions_and_archives_and_orphan_cvs(db: None, settings: Settings) -> None:
    with at(T0):
        user = await make_user("candidate", "ines@example.fr")
        await UserSession.create(key_hash="a" * 64, user=user, created_at=T0, last_seen_at=T0)
        archive = settings.data_dir / "exports" / "old.zip"
        archive.parent.mkdir(parents=True)
        archive.write_bytes(b"PK")
        await DataExport.create(
            user=user, token_hash="b" * 64, session_hash="a" * 64, path="exports/old.zip",
            created_at=T0, expires_at=DATA_EXPORT.after(T0), ready_at=T0,
        )  # fmt: skip
    orphan = settings.cv_dir / "orphan.pdf"
    settings.cv_dir.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-")
    stamp = (T0 - DAY).timestamp()
    os.utime(orphan, (stamp, stamp))
    os.utime(archive, (stamp, stamp))

    only(await purge_at(T0 + timedelta(minutes=30), settings), orphan_cvs=1)
    assert not orphan.exists() and archive.exists()
    idle = timedelta(minutes=settings.session_idle_minutes)
    only(await purge_at(T0 + idle + timedelta(minutes=1), settings), sessions=1)
    only(await purge_at(DATA_EXPORT.after(T0) - timedelta(minutes=1), settings))
    only(await purge_at(DATA_EXPORT.after(T0) + timedelta(minutes=1), settings), data_exports=1)
    assert not archive.exists() and not await DataExport.exists()
    only(await purge_at(DATA_EXPORT.after(T0) + DAY, settings))


async def test_a_dry_run_counts_and_writes_nothing(db: None, settings: Settings) -> None:
    with at(T0):
        offer = await _offer()
        application = await _applied(offer, "ines@example.fr", settings, cv=_cv(settings, "a.pdf"))
        await EmailOutbox.filter().update(status="sent", sent_at=T0)
        await make_user("candidate", "new@example.fr", email_confirmed_at=None)
    with at(T0 + DAY):
        await _decide(application, settings, "reject", comment="Non.")
        await _close(offer, settings)
    later = UNSUCCESSFUL_APPLICATION.after(T0 + DAY) + DAY
    before = await EmailOutbox.all().count()
    report = await purge_at(later, settings, dry_run=True)
    assert report.counts["applications_unsuccessful"] == 1
    assert report.counts["unconfirmed_deleted"] == 1 and report.counts["emails"] >= 1
    assert all("rien n’a été modifié" in line for line in report.lines())
    assert not await _is_anonymised(application.id)
    assert await User.filter(email="new@example.fr").exists()
    assert await EmailOutbox.all().count() == before
    assert (settings.cv_dir / "a.pdf").exists()
    real = await purge_at(later, settings)
    assert real.counts == report.counts
    assert await _is_anonymised(application.id)


def test_the_command_prints_a_count_per_rule(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    result = run(tmp_path, "purge", "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 12 and all(line.endswith("rien n’a été modifié)") for line in lines)
    result = run(tmp_path, "purge")
    assert result.returncode == 0, result.stderr
    assert "candidatures retenues anonymisées : 0" in result.stdout
    assert "e-mails envoyés effacés : 0" in result.stdout
