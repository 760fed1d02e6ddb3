"""Everything the board holds about one person, in one registry: what « Télécharger mes
données » exports and what deleting the account erases, table by table.

A table that holds personal data adds one `Holding` to `HOLDINGS`: the JSON section it
exports, the files that go into the ZIP, and what deletion must do beyond the database's own
ON DELETE (CASCADE / SET NULL): the CVs and archives it leaves to remove once the deletion
committed. tests/test_data_export.py fails for any model with a foreign
key to User that no holding names.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from jobboard.domain.account import Role
from jobboard.domain.application import STATUS_LABELS
from jobboard.domain.diploma import diploma_label
from jobboard.models import (
    Alert,
    Application,
    ApplicationEvent,
    ApplicationsSeen,
    DataExport,
    EmailOutbox,
    Offer,
    OfferEvent,
    Organisation,
    PoolAccess,
    Proposal,
    SavedCV,
    SavedOffer,
    User,
    UserSession,
)
from jobboard.services.applications import forget_candidate
from jobboard.settings import Settings

Json = dict[str, Any]


def stamp(value: datetime | date | None) -> str | None:
    """Dates and instants as ISO 8601 strings (instants in UTC, with their offset)."""
    return value.isoformat() if value is not None else None


async def _nothing_to_export(user: User, settings: Settings) -> Any:
    return None


@dataclass(frozen=True)
class ExportedCV:
    name: str  # in the ZIP
    key: str  # in services/cv_store
    sha256: str


@dataclass
class Leftovers:
    """What an erasure leaves to remove once the deletion committed."""

    cvs: list[str] = field(default_factory=list)  # keys in services/cv_store
    files: list[Path] = field(default_factory=list)  # on this host's disk (archives)

    def __iadd__(self, other: Leftovers) -> Leftovers:
        self.cvs += other.cvs
        self.files += other.files
        return self


async def _no_files(user: User, settings: Settings) -> list[ExportedCV]:
    return []


async def _cascade(user: User, settings: Settings) -> Leftovers:
    """The database's ON DELETE does it when the user row goes."""
    return Leftovers()


@dataclass(frozen=True)
class Holding:
    key: str  # the JSON section; "" when nothing is exported (only erased)
    models: tuple[type[Model], ...]  # the tables it accounts for
    export: Callable[[User, Settings], Awaitable[Any]] = _nothing_to_export
    # The CVs that go into the ZIP.
    files: Callable[[User, Settings], Awaitable[list[ExportedCV]]] = _no_files
    # Runs in the deletion's transaction, before the user row goes; returns what to remove
    # once it committed.
    erase: Callable[[User, Settings], Awaitable[Leftovers]] = _cascade
    roles: frozenset[str] = field(default_factory=lambda: frozenset(Role))


# Account and profile


async def _account(user: User, settings: Settings) -> Json:
    organisation = (
        await Organisation.get_or_none(id=user.organisation_id) if user.organisation_id else None
    )
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "created_at": stamp(user.created_at),
        "email_confirmed_at": stamp(user.email_confirmed_at),
        "last_login_at": stamp(user.last_login_at),
        "organisation": organisation.name if organisation else None,
        "verification": user.verification,
    }


async def _profile(user: User, settings: Settings) -> Json:
    return {
        "birth_date": stamp(user.birth_date),
        "diploma_level": user.diploma_level,
        "diploma": diploma_label(user.diploma_level) if user.diploma_level else None,
    }


# Applications, their history and their CVs


def _cv_name(application: Application) -> str:
    return f"cv/{application.id}-{application.cv_filename or 'cv.pdf'}"


async def _applications(user: User, settings: Settings) -> list[Json]:
    owned = (
        await Application.filter(candidate_id=user.id)
        .select_related("offer__organisation", "offer__commune")
        .order_by("id")
    )
    events: dict[int, list[ApplicationEvent]] = {a.id: [] for a in owned}
    for event in await ApplicationEvent.filter(application_id__in=list(events)).order_by("id"):
        events[event.application_id].append(event)
    return [
        {
            "id": a.id,
            "offer": {
                "id": a.offer_id,
                "title": a.offer.title,
                "organisation": a.offer.organisation.name,
                "commune": a.offer.commune.name,
            },
            "status": a.status,
            "status_label": STATUS_LABELS.get(a.status, a.status),  # type: ignore[call-overload]
            "created_at": stamp(a.created_at),
            "updated_at": stamp(a.updated_at),
            "cover_letter": a.cover_letter,
            "message": a.message,
            "cv": {"file": _cv_name(a), "filename": a.cv_filename, "sha256": a.cv_sha256}
            if a.cv_path
            else None,
            "talent_pool_consent": a.talent_pool_consent,
            "eligibility": a.eligibility,
            "history": [
                {
                    "at": stamp(e.created_at),
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "label": STATUS_LABELS.get(e.to_status, e.to_status),  # type: ignore[call-overload]
                    "comment": e.comment,
                }
                for e in events[a.id]
            ],
        }
        for a in owned
    ]


async def _cv_files(user: User, settings: Settings) -> list[ExportedCV]:
    owned = await Application.filter(candidate_id=user.id).exclude(cv_path="").order_by("id")
    return [ExportedCV(_cv_name(a), a.cv_path, a.cv_sha256) for a in owned]


async def _forget_applications(user: User, settings: Settings) -> Leftovers:
    return Leftovers(cvs=await forget_candidate(user, settings))


async def _consents(user: User, settings: Settings) -> list[Json]:
    """Consents with their dates: the talent pool, given (or not) with each application."""
    owned = await Application.filter(candidate_id=user.id).order_by("id")
    return [
        {
            "kind": "talent_pool",
            "application_id": a.id,
            "given": a.talent_pool_consent or a.talent_pool_withdrawn_at is not None,
            "given_at": stamp(a.created_at)
            if a.talent_pool_consent or a.talent_pool_withdrawn_at
            else None,
            "withdrawn_at": stamp(a.talent_pool_withdrawn_at),
        }
        for a in owned
    ]


# Recruiters: the offers they wrote and what they did (kept: they belong to the collectivité)


async def _offers_written(user: User, settings: Settings) -> list[Json]:
    offers = await Offer.filter(created_by_id=user.id).order_by("id")
    actions = await OfferEvent.filter(actor_id=user.id).order_by("id")
    by_offer: dict[int, list[Json]] = {}
    for event in actions:
        by_offer.setdefault(event.offer_id, []).append(
            {
                "at": stamp(event.created_at),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "comment": event.comment,
            }
        )
    listed = [
        {"id": o.id, "title": o.title, "status": o.status, "actions": by_offer.pop(o.id, [])}
        for o in offers
    ]
    others = [{"id": offer_id, "actions": done} for offer_id, done in by_offer.items()]
    return listed + others


async def _saved_offers(user: User, settings: Settings) -> list[Json]:
    rows = await SavedOffer.filter(user_id=user.id).select_related("offer").order_by("id")
    return [
        {
            "offer_id": r.offer_id,
            "title": r.offer.title,
            "saved_at": stamp(r.created_at),
            "reminder_sent_at": stamp(r.reminder_sent_at),
        }
        for r in rows
    ]


async def _proposals(user: User, settings: Settings) -> list[Json]:
    rows = await Proposal.filter(candidate_id=user.id).select_related("offer").order_by("id")
    return [
        {
            "offer_id": p.offer_id,
            "title": p.offer.title,
            "message": p.message,
            "status": p.status,
            "sent_at": stamp(p.sent_at),
            "opened_at": stamp(p.opened_at),
            "answered_at": stamp(p.answered_at),
        }
        for p in rows
    ]


async def _applications_seen(user: User, settings: Settings) -> list[Json]:
    rows = await ApplicationsSeen.filter(user_id=user.id).order_by("offer_id")
    return [{"offer_id": r.offer_id, "seen_at": stamp(r.seen_at)} for r in rows]


# Sessions, e-mails and the archives themselves


async def _sessions(user: User, settings: Settings) -> list[Json]:
    rows = await UserSession.filter(user_id=user.id).order_by("created_at")
    return [
        {"created_at": stamp(s.created_at), "last_seen_at": stamp(s.last_seen_at)} for s in rows
    ]


def _mentions(user: User) -> Q:
    """Outbox rows sent to the person, or whose text names them (a recruiter's notice of a new
    application carries the candidate's name)."""
    query = Q(to=user.email)
    for needle in {user.email, user.full_name, html.escape(user.full_name)}:
        if len(needle) >= 3:
            query |= Q(subject__contains=needle)
            query |= Q(body_text__contains=needle)
            query |= Q(body_html__contains=needle)
    return query


async def _emails(user: User, settings: Settings) -> list[Json]:
    rows = await EmailOutbox.filter(to=user.email).order_by("id")
    return [
        {
            "subject": r.subject,
            "status": r.status,
            "created_at": stamp(r.created_at),
            "sent_at": stamp(r.sent_at),
            "body_text": r.body_text,
        }
        for r in rows
    ]


async def _forget_emails(user: User, settings: Settings) -> Leftovers:
    await EmailOutbox.filter(_mentions(user)).delete()
    return Leftovers()


async def _forget_exports(user: User, settings: Settings) -> Leftovers:
    paths = await DataExport.filter(user_id=user.id).exclude(path="").values_list("path", flat=True)
    return Leftovers(files=[settings.data_dir / str(p) for p in paths])


# « CV enregistré »: the CV goes into the ZIP and is removed with the account (its row by
# ON DELETE CASCADE).


async def _saved_cv(user: User, settings: Settings) -> Json | None:
    saved = await SavedCV.get_or_none(user_id=user.id)
    if saved is None:
        return None
    return {
        "filename": saved.cv_filename,
        "size_bytes": saved.size_bytes,
        "sha256": saved.cv_sha256,
        "uploaded_at": stamp(saved.uploaded_at),
    }


async def _saved_cv_files(user: User, settings: Settings) -> list[ExportedCV]:
    saved = await SavedCV.get_or_none(user_id=user.id)
    if saved is None:
        return []
    return [ExportedCV(f"cv-enregistre/{saved.cv_filename}", saved.cv_path, saved.cv_sha256)]


async def _forget_saved_cv(user: User, settings: Settings) -> Leftovers:
    saved = await SavedCV.get_or_none(user_id=user.id)
    return Leftovers(cvs=[saved.cv_path] if saved is not None else [])


# E-mail alerts: the candidate's own (ON DELETE CASCADE), and those a visitor created with the
# same address before having an account (deleted with it).


async def _alerts(user: User, settings: Settings) -> list[Json]:
    rows = await Alert.filter(Q(user_id=user.id) | Q(email=user.email)).order_by("id")
    return [
        {
            "name": a.name,
            "search": a.query,
            "frequency": a.frequency,
            "status": a.status,
            "created_at": stamp(a.created_at),
            "confirmed_at": stamp(a.confirmed_at),
            "last_sent_at": stamp(a.last_sent_at),
        }
        for a in rows
    ]


async def _forget_alerts(user: User, settings: Settings) -> Leftovers:
    await Alert.filter(Q(user_id=user.id) | Q(email=user.email)).delete()
    return Leftovers()


HOLDINGS: tuple[Holding, ...] = (
    Holding("account", (User,), export=_account),
    Holding("profile", (), export=_profile, roles=frozenset({Role.CANDIDATE})),
    Holding(
        "applications",
        (Application, ApplicationEvent),
        export=_applications,
        files=_cv_files,
        erase=_forget_applications,
        roles=frozenset({Role.CANDIDATE}),
    ),
    Holding("consents", (), export=_consents, roles=frozenset({Role.CANDIDATE})),
    Holding(
        "saved_cv",
        (SavedCV,),
        export=_saved_cv,
        files=_saved_cv_files,
        erase=_forget_saved_cv,
        roles=frozenset({Role.CANDIDATE}),
    ),
    # « Sauvegarder » (ON DELETE CASCADE).
    Holding("saved_offers", (SavedOffer,), export=_saved_offers, roles=frozenset({Role.CANDIDATE})),
    Holding("alerts", (Alert,), export=_alerts, erase=_forget_alerts),
    # Offers proposed from the pool (ON DELETE CASCADE); who proposed them is SET NULL, and so
    # is who opened a département's pool to recruiters.
    Holding(
        "proposals", (Proposal, PoolAccess), export=_proposals, roles=frozenset({Role.CANDIDATE})
    ),
    # Offers stay with the collectivité; the journal keeps the action, loses the name
    # (OfferEvent.actor and Offer.created_by are SET NULL, OfferEvent.actor_role stays).
    Holding(
        "offers", (Offer, OfferEvent), export=_offers_written, roles=frozenset({Role.RECRUITER})
    ),
    Holding(
        "applications_seen",
        (ApplicationsSeen,),
        export=_applications_seen,
        roles=frozenset({Role.RECRUITER}),
    ),  # when they last opened each offer's applications (ON DELETE CASCADE)
    Holding("sessions", (UserSession,), export=_sessions),
    Holding("emails", (EmailOutbox,), export=_emails, erase=_forget_emails),
    Holding("", (DataExport,), erase=_forget_exports),
)


def holdings_for(role: str) -> list[Holding]:
    return [h for h in HOLDINGS if role in h.roles]


def covered_models() -> set[type[Model]]:
    return {model for holding in HOLDINGS for model in holding.models}
