"""E-mail alerts on any board search: creation (double opt-in for visitors), the owner's
changes, the signed links (confirm, unsubscribe, undo), and the digest run.

The digest run (`jobboard send-alerts`, and a loop of `serve` / `worker`) reads the due
alerts, fetches once the offers first published since the oldest of their watermarks (a few
dozen a day), and asks the board's own search (`SearchService.matching_among`) which of those
each distinct saved search lists: one matcher, restricted to the new offers, once per search
whatever the number of alerts sharing it.

Each alert is claimed by an UPDATE conditioned on the `watermark` and `last_period` the run
read, in the transaction that queues its digest: a second run, or a second host, finds it
already claimed and sends nothing; a run that stops midway leaves the other alerts as they
were, and the next run covers them from their own watermark (no gap, no duplicate). Offers
first published in the last `settings.alert_settle_seconds` (5 minutes) wait for the next
run: their transaction may not be committed yet, nor the search index updated.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import parse_qsl

import anyio.to_thread
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from jobboard import metrics
from jobboard.clock import now
from jobboard.domain.alerts import (
    DIGEST_SIZE,
    MAX_ALERTS_PER_ADDRESS,
    UNCONFIRMED_DAYS,
    AlertFrequency,
    AlertStatus,
    clean_name,
    describe,
    parse_frequency,
    parse_saved_search,
    period_key,
    saved_search,
)
from jobboard.domain.board_query import BoardQuery, parse_board_query
from jobboard.domain.errors import NotFound, Refused
from jobboard.mail import queue_email
from jobboard.models import Alert, Departement, Offer, Region, User
from jobboard.search.searcher import SearchRequest, SearchService
from jobboard.services.accounts import email_problem, normalise_email
from jobboard.settings import Settings

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = UNCONFIRMED_DAYS * 24 * 3600
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600  # a digest's link keeps working for more than a year
CHUNK = 500
LIMIT_REACHED = (
    f"Vous avez déjà {MAX_ALERTS_PER_ADDRESS} alertes pour cette adresse, le maximum : "
    "supprimez-en une avant d’en créer une autre."
)
ALERTS_PAGE = "/espace/candidat/alertes"


class AlertLinkError(Exception):
    """A confirmation, unsubscribe or undo link that does nothing: forged, expired or used."""

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


# -- signed links --


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"bourse-pvd.alert-{purpose}")


class _Addressed(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def email(self) -> str: ...


def confirm_token(alert: _Addressed, settings: Settings) -> str:
    return _serializer(settings, "confirm").dumps([alert.id, alert.email])


def unsubscribe_token(alert: _Addressed, settings: Settings) -> str:
    return _serializer(settings, "unsubscribe").dumps([alert.id, alert.email])


def confirm_link(alert: _Addressed, settings: Settings) -> str:
    return f"{settings.base_url}/alertes/confirmer/{confirm_token(alert, settings)}"


def unsubscribe_link(alert: _Addressed, settings: Settings) -> str:
    return f"{settings.base_url}/alertes/desabonnement/{unsubscribe_token(alert, settings)}"


async def _alert_of(token: str, purpose: str, max_age: int, settings: Settings) -> Alert:
    expired = (
        "Ce lien a expiré. Créez de nouveau l’alerte depuis la recherche des offres."
        if purpose == "confirm"
        else "Ce lien a expiré."
    )
    try:
        payload = _serializer(settings, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise AlertLinkError(expired, 410) from None
    except BadSignature:
        raise AlertLinkError(
            "Ce lien n’est pas valide : vérifiez qu’il a été copié en entier depuis l’e-mail."
        ) from None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or not isinstance(payload[1], str)
    ):
        raise AlertLinkError("Ce lien n’est pas valide.")
    alert = await Alert.get_or_none(id=payload[0], email=payload[1])
    if alert is None:
        raise AlertLinkError("Cette alerte n’existe plus : elle a été supprimée.", 404)
    return alert


# -- reference data and searches --


@dataclass(frozen=True)
class Reference:
    departements: frozenset[str]
    regions: frozenset[str]


async def reference() -> Reference:
    departements = await Departement.all().values_list("code", flat=True)
    regions = await Region.all().values_list("code", flat=True)
    return Reference(frozenset(map(str, departements)), frozenset(map(str, regions)))


def parse_stored(query: str, ref: Reference) -> BoardQuery | None:
    """An alert's saved search read again by the board's parser; None if it no longer is one
    (a département gone from the reference data)."""
    parsed, errors = parse_board_query(
        dict(parse_qsl(query, keep_blank_values=True)),
        departements=ref.departements,
        regions=ref.regions,
    )
    return None if errors else parsed


# -- creation, confirmation, the owner's changes --


async def count_for(email: str) -> int:
    return await Alert.filter(email=email).count()


async def create_alert(
    params: Mapping[str, str],
    *,
    frequency: AlertFrequency,
    name: str,
    user: User | None,
    email: str,
    settings: Settings,
    departements: Collection[str],
    regions: Collection[str],
    names: Mapping[str, Mapping[str, str]] | None = None,
) -> Alert:
    """Save a board search as an alert. A candidate's alert is active at once; a visitor's waits
    for the link e-mailed to the address (nothing else is sent before). Refused (French) for
    a search the board refuses, a bad address, or an address that has its 20 alerts."""
    query = parse_saved_search(dict(params), departements=departements, regions=regions)
    address = user.email if user is not None else normalise_email(email)
    if user is None:
        if not address:
            raise Refused("Indiquez l’adresse e-mail où recevoir l’alerte.", "email")
        if problem := email_problem(address):
            raise Refused(problem, "email")
    saved = saved_search(query)
    label = clean_name(name, describe(query, names, quoted=False))
    moment = now()
    async with in_transaction():
        if await count_for(address) >= MAX_ALERTS_PER_ADDRESS:
            raise Refused(LIMIT_REACHED)
        alert = await Alert.create(
            email=address,
            user=user,
            name=label,
            query=saved,
            frequency=frequency,
            status=AlertStatus.ACTIVE if user is not None else AlertStatus.PENDING,
            created_at=moment,
            confirmed_at=moment if user is not None else None,
            watermark=moment,
        )
        if user is None:
            await queue_email(
                address,
                "alert_confirmation",
                {"alert": alert, "link": confirm_link(alert, settings),
                 "search": describe(query, names), "days": UNCONFIRMED_DAYS},
                settings,
            )  # fmt: skip
    return alert


async def confirm(token: str, settings: Settings) -> Alert:
    """The visitor's address is confirmed: the alert becomes active (offers from now on)."""
    alert = await _alert_of(token, "confirm", CONFIRM_MAX_AGE, settings)
    moment = now()
    owner = await User.get_or_none(email=alert.email, is_active=True)
    changes: dict[str, object] = {
        "status": AlertStatus.ACTIVE, "confirmed_at": moment, "watermark": moment
    }  # fmt: skip
    if owner is not None and owner.email_confirmed_at is not None:
        changes["user_id"] = owner.id  # it shows in their « Mes alertes »
    done = await Alert.filter(id=alert.id, status=AlertStatus.PENDING).update(**changes)
    if not done:
        raise AlertLinkError("Cette alerte est déjà confirmée : ce lien a déjà servi.", 409)
    return await Alert.get(id=alert.id)


async def unsubscribe(token: str, settings: Settings) -> Alert:
    """Stop the alert of a digest's link (it is paused, so the owner can undo)."""
    alert = await _alert_of(token, "unsubscribe", UNSUBSCRIBE_MAX_AGE, settings)
    done = await Alert.filter(id=alert.id, status=AlertStatus.ACTIVE).update(
        status=AlertStatus.PAUSED, unsubscribed_at=now()
    )
    if not done:
        raise AlertLinkError(
            f"L’alerte « {alert.name} » est déjà arrêtée : vous ne recevrez plus ses e-mails.",
            409,
        )
    return await Alert.get(id=alert.id)


async def undo_unsubscribe(token: str, settings: Settings) -> Alert:
    """« Annuler »: the alert the link stopped runs again (offers from now on)."""
    alert = await _alert_of(token, "unsubscribe", UNSUBSCRIBE_MAX_AGE, settings)
    done = await Alert.filter(
        id=alert.id, status=AlertStatus.PAUSED, unsubscribed_at__isnull=False
    ).update(status=AlertStatus.ACTIVE, unsubscribed_at=None, watermark=now())
    if not done:
        raise AlertLinkError(f"L’alerte « {alert.name} » n’est pas arrêtée : rien à annuler.", 409)
    return await Alert.get(id=alert.id)


async def alerts_of(user: User) -> list[Alert]:
    return await Alert.filter(user_id=user.id).order_by("-created_at", "-id")


async def owned(user: User, alert_id: int | None) -> Alert:
    alert = await Alert.get_or_none(id=alert_id, user_id=user.id) if alert_id else None
    if alert is None:
        raise NotFound("Cette alerte n’existe pas ou a été supprimée.")
    return alert


async def change(user: User, alert_id: int | None, action: str, fields: Mapping[str, str]) -> str:
    """The owner renames, changes the frequency, pauses, resumes or deletes an alert; returns
    the French notice to show."""
    alert = await owned(user, alert_id)
    if action == "supprimer":
        await Alert.filter(id=alert.id).delete()
        return f"L’alerte « {alert.name} » est supprimée."
    if action == "renommer":
        name = clean_name(fields.get("nom"), "")
        if not name:
            raise Refused("Donnez un nom à l’alerte.", "nom")
        await Alert.filter(id=alert.id).update(name=name)
        return f"L’alerte s’appelle maintenant « {name} »."
    if action == "frequence":
        frequency = parse_frequency(fields.get("frequence"))
        await Alert.filter(id=alert.id).update(frequency=frequency)
        return f"L’alerte « {alert.name} » : {frequency.label.lower()}."
    if action == "pause":
        await Alert.filter(id=alert.id, status=AlertStatus.ACTIVE).update(status=AlertStatus.PAUSED)
        return f"L’alerte « {alert.name} » est en pause : plus aucun e-mail jusqu’à sa reprise."
    if action == "reprendre":
        await Alert.filter(id=alert.id, status=AlertStatus.PAUSED).update(
            status=AlertStatus.ACTIVE, unsubscribed_at=None, watermark=now()
        )
        return f"L’alerte « {alert.name} » reprend : les nouvelles offres à partir de maintenant."
    raise Refused("Action inconnue.")


# -- the digest run --


@dataclass
class AlertRunReport:
    due: int = 0
    new_offers: int = 0
    searches: int = 0
    digests: int = 0
    empty: int = 0
    claimed_elsewhere: int = 0
    dry_run: bool = False
    queued: list[int] = field(default_factory=list)  # alert ids whose digest was queued

    def line(self) -> str:
        verb = " (simulation : rien n’a été envoyé ni modifié)" if self.dry_run else ""
        return (
            f"{self.due} alerte(s) à traiter, {self.new_offers} nouvelle(s) offre(s), "
            f"{self.searches} recherche(s) distincte(s) : {self.digests} e-mail(s) mis en "
            f"file, {self.empty} alerte(s) sans nouveauté, {self.claimed_elsewhere} déjà "
            f"traitée(s) par un autre passage{verb}."
        )


@dataclass(frozen=True)
class _Due:
    id: int
    email: str
    name: str
    query: str
    frequency: str
    watermark: datetime
    last_period: str
    user_id: int | None


async def _due_alerts(moment: datetime) -> list[_Due]:
    daily = period_key(AlertFrequency.DAILY, moment)
    weekly = period_key(AlertFrequency.WEEKLY, moment)
    rows = (
        await Alert.filter(
            Q(frequency=AlertFrequency.DAILY) & ~Q(last_period=daily)
            | Q(frequency=AlertFrequency.WEEKLY) & ~Q(last_period=weekly),
            status=AlertStatus.ACTIVE,
        )
        .order_by("id")
        .values_list(
            "id", "email", "name", "query", "frequency", "watermark", "last_period", "user_id"
        )
    )
    return [_Due(*row) for row in rows]


async def send_alerts(
    settings: Settings,
    search: SearchService,
    *,
    moment: datetime | None = None,
    dry_run: bool = False,
) -> AlertRunReport:
    """Queue the digest of every due alert that has new offers; advance the others. Safe to
    run at any time, as often as wanted, on several hosts at once."""
    moment = moment or now()
    cutoff = moment - timedelta(seconds=settings.alert_settle_seconds)
    report = AlertRunReport(dry_run=dry_run)
    due = await _due_alerts(moment)
    report.due = len(due)
    if not due:
        return report
    oldest = min(a.watermark for a in due)
    fresh = (
        await Offer.filter(first_published_at__gt=oldest, first_published_at__lte=cutoff)
        .order_by("-first_published_at", "-id")
        .values_list("id", "first_published_at")
    )
    published: dict[int, datetime] = {int(i): at for i, at in fresh}
    report.new_offers = len(published)
    queries = sorted({a.query for a in due})
    report.searches = len(queries)
    matches: dict[str, set[int]] = {}
    if published:
        ref = await reference()
        parsed = {q: parse_stored(q, ref) for q in queries}
        searchable = [q for q, p in parsed.items() if p is not None]
        requests = [
            SearchRequest.from_query(parsed[q], page_size=DIGEST_SIZE)  # type: ignore[arg-type]
            for q in searchable
        ]
        found = await anyio.to_thread.run_sync(search.matching_among, requests, list(published))
        matches = dict(zip(searchable, found, strict=True))
    offers: dict[int, Offer] = {}
    empty: dict[tuple[str, datetime, str], list[int]] = defaultdict(list)
    for alert in due:
        key = period_key(alert.frequency, moment)
        watermark = max(alert.watermark, cutoff)
        listed = sorted(
            (i for i in matches.get(alert.query, ()) if published[i] > alert.watermark),
            key=lambda i: (published[i], i),
            reverse=True,
        )
        if not listed:
            report.empty += 1
            empty[(alert.last_period, alert.watermark, alert.frequency)].append(alert.id)
            continue
        if dry_run:
            report.digests += 1
            continue
        missing = [i for i in listed[:DIGEST_SIZE] if i not in offers]
        if missing:
            for offer in await Offer.filter(id__in=missing).select_related(
                "organisation", "commune__departement"
            ):
                offers[offer.id] = offer
        async with in_transaction():
            claimed = await Alert.filter(
                id=alert.id,
                status=AlertStatus.ACTIVE,
                watermark=alert.watermark,
                last_period=alert.last_period,
            ).update(watermark=watermark, last_period=key, last_sent_at=moment)
            if not claimed:
                report.claimed_elsewhere += 1
                continue
            await _queue_digest(alert, [offers[i] for i in listed[:DIGEST_SIZE]], len(listed),
                                settings)  # fmt: skip
        report.digests += 1
        report.queued.append(alert.id)
    if not dry_run:
        await _advance_empty(empty, moment, cutoff, report)
    return report


async def _advance_empty(
    groups: Mapping[tuple[str, datetime, str], list[int]],
    moment: datetime,
    cutoff: datetime,
    report: AlertRunReport,
) -> None:
    """Nothing new: the period is covered and the watermark moves on, in bulk (one UPDATE per
    500 alerts that were read with the same watermark and period)."""
    for (last_period, watermark, frequency), ids in groups.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            done = await Alert.filter(
                id__in=chunk,
                status=AlertStatus.ACTIVE,
                watermark=watermark,
                last_period=last_period,
            ).update(watermark=max(watermark, cutoff), last_period=period_key(frequency, moment))
            report.claimed_elsewhere += len(chunk) - done
            report.empty -= len(chunk) - done


async def _queue_digest(alert: _Due, offers: list[Offer], total: int, settings: Settings) -> None:
    link = unsubscribe_link(alert, settings)
    board = f"{settings.base_url}/offres?" + "&".join(p for p in (alert.query, "tri=date") if p)
    await queue_email(
        alert.email,
        "alert_digest",
        {
            "alert": alert,
            "offers": offers,
            "total": total,
            "more": total - len(offers),
            "board_url": board,
            "unsubscribe_url": link,
            "manage_url": f"{settings.base_url}{ALERTS_PAGE}" if alert.user_id else "",
            "weekly": alert.frequency == AlertFrequency.WEEKLY,
        },
        settings,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


async def run_forever(settings: Settings, search: SearchService, interval: float = 900.0) -> None:
    """The loop of `serve` and `worker`: every quarter of an hour, each alert once a period."""
    while True:
        try:
            with metrics.job_round("alerts"):
                report = await send_alerts(settings, search)
            if report.digests:
                log.info("alerts: %s", report.line())
        except Exception:  # the database or the index may be briefly away; next round
            log.exception("alert round failed")
        await asyncio.sleep(interval)
