"""`jobboard import-offers`: the JSON offer format of DESIGN.md §4, all or nothing per file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from jobboard.domain.eligibility import OfferFacts, Verdict, assess_offer
from jobboard.domain.offer import OfferKind, OfferStatus, RemoteWork
from jobboard.domain.parsing import is_email, parse_iso_date
from jobboard.models import Commune, Offer, User
from jobboard.services.offer_themes import set_offer_themes
from jobboard.services.offer_transitions import transition_offer
from jobboard.services.territory import commune_organisation, territory_for

REQUIRED_KEYS = (
    "kind",
    "title",
    "employer_insee",
    "description",
    "missions",
    "profile",
    "themes",
    "start_date",
    "duration_months",
    "weekly_hours",
    "min_diploma_level",
    "deadline",
)
OPTIONAL_KEYS = ("contact_email", "salary", "remote", "status")
# Offers already out of the public board may carry past deadlines.
_PAST_STATUSES = {OfferStatus.CLOSED, OfferStatus.EXPIRED, OfferStatus.ARCHIVED}


@dataclass(frozen=True)
class RowError:
    index: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"offre n° {self.index} — {self.field} : {self.message}"


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0


@dataclass
class _Parsed:
    facts: OfferFacts
    insee: str
    status: OfferStatus
    remote: RemoteWork
    contact_email: str
    salary: str


def _date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError("date attendue au format AAAA-MM-JJ")
    parsed = parse_iso_date(value)
    if parsed is None:
        raise ValueError(f"date invalide « {value} » (format AAAA-MM-JJ)")
    return parsed


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("nombre entier attendu")
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("nombre attendu")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("nombre attendu") from None
    if not number.is_finite() or not Decimal(0) < number <= Decimal(48):
        raise ValueError("durée hebdomadaire entre 0 et 48 heures attendue")
    return number


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("texte attendu")
    return value.strip()


def _email(value: object) -> str:
    text = _text(value)
    if text and not is_email(text):
        raise ValueError(f"adresse e-mail invalide « {text[:80]} »")
    return text


def _kind(value: object) -> str:
    try:
        return OfferKind(str(value)).value
    except ValueError:
        raise ValueError("type inconnu (chef_de_projet, vta ou vta_expertise)") from None


def _status(value: object) -> OfferStatus:
    try:
        return OfferStatus(str(value))
    except ValueError:
        raise ValueError(f"statut inconnu « {value} »") from None


def _remote(value: object) -> RemoteWork:
    if value is None:
        return RemoteWork.NO
    if isinstance(value, bool):
        return RemoteWork.PARTIAL if value else RemoteWork.NO
    try:
        return RemoteWork(str(value))
    except ValueError:
        raise ValueError("valeurs possibles : no, partial, full") from None


def parse_row(index: int, row: object) -> tuple[_Parsed | None, list[RowError]]:
    """Types and formats of one row; the eligibility rules come after, with the territory."""
    if not isinstance(row, dict):
        return None, [RowError(index, "-", "objet JSON attendu")]
    errors: list[RowError] = []
    unknown = sorted(set(row) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        errors.append(RowError(index, ", ".join(unknown), "champ inconnu"))
    missing = [k for k in REQUIRED_KEYS if row.get(k) in (None, "")]
    errors.extend(RowError(index, k, "champ obligatoire manquant") for k in missing)
    values: dict[str, Any] = {}
    converters: dict[str, Callable[[object], object]] = {
        "kind": _kind,
        "title": _text,
        "employer_insee": _text,
        "description": _text,
        "missions": _text,
        "profile": _text,
        "themes": _themes,
        "start_date": _date,
        "deadline": _date,
        "duration_months": _int,
        "weekly_hours": _decimal,
        "min_diploma_level": _int,
        "contact_email": _email,
        "salary": _text,
        "remote": _remote,
        "status": _status,
    }
    for key, convert in converters.items():
        if key in missing or key not in row:
            continue
        try:
            values[key] = convert(row[key])
        except ValueError as exc:
            errors.append(RowError(index, key, str(exc)))
    if errors:
        return None, errors
    facts = OfferFacts(
        kind=values["kind"],
        title=values["title"],
        description=values["description"],
        missions=values["missions"],
        profile=values["profile"],
        themes=tuple(values["themes"]),
        start_date=values["start_date"],
        duration_months=values["duration_months"],
        weekly_hours=values["weekly_hours"],
        min_diploma_level=values["min_diploma_level"],
        deadline=values["deadline"],
    )
    return _Parsed(
        facts=facts,
        insee=values["employer_insee"],
        status=values.get("status", OfferStatus.PUBLISHED),
        remote=values.get("remote", RemoteWork.NO),
        contact_email=values.get("contact_email", ""),
        salary=values.get("salary", ""),
    ), []


def _themes(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError("liste de thématiques attendue")
    return list(value)


async def import_offers(
    rows: object,
    *,
    today: date,
    skip_invalid: bool = False,
    actor: User | None = None,
    date_shift_days: int = 0,
) -> ImportResult:
    """Validate every row, then write all valid ones in one transaction (or none on error)."""
    result = ImportResult()
    if not isinstance(rows, list):
        result.errors.append(RowError(0, "-", "le fichier doit contenir une liste JSON d’offres"))
        return result
    ready: list[tuple[_Parsed, Commune, dict[str, object]]] = []
    for index, row in enumerate(rows, start=1):
        parsed, errors = parse_row(index, row)
        if parsed is not None:
            parsed = _shift(parsed, date_shift_days)
            commune = await Commune.get_or_none(insee=parsed.insee)
            if commune is None:
                errors.append(
                    RowError(index, "employer_insee", f"code INSEE inconnu « {parsed.insee} »")
                )
            else:
                # Imported offers are employed by their commune, never an EPCI.
                assessment = assess_offer(parsed.facts, await territory_for(commune, None), today)
                blocking = [
                    r
                    for r in assessment.blocking
                    if not (r.code == "deadline_past" and parsed.status in _PAST_STATUSES)
                ]
                errors.extend(RowError(index, r.field, r.message) for r in blocking)
                if not errors:
                    ready.append((parsed, commune, assessment.as_dict()))
        result.errors.extend(errors)
        if errors:
            result.skipped += 1
    if result.errors and not skip_invalid:
        return result
    async with in_transaction():
        for parsed, commune, eligibility in ready:
            offer = await _create(parsed, commune, eligibility, actor)
            result.created.append(offer.id)
    return result


def _shift(parsed: _Parsed, days: int) -> _Parsed:
    if not days:
        return parsed
    delta = timedelta(days=days)
    facts = parsed.facts
    assert facts.start_date is not None and facts.deadline is not None
    return replace(
        parsed,
        facts=replace(facts, start_date=facts.start_date + delta, deadline=facts.deadline + delta),
    )


async def _create(
    parsed: _Parsed, commune: Commune, eligibility: dict[str, object], actor: User | None
) -> Offer:
    facts = parsed.facts
    organisation = await commune_organisation(commune)
    offer = Offer(
        kind=OfferKind(str(facts.kind)),
        title=facts.title,
        organisation=organisation,
        commune=commune,
        description=facts.description,
        missions=facts.missions,
        profile=facts.profile,
        themes=list(facts.themes),
        start_date=facts.start_date,
        duration_months=facts.duration_months,
        weekly_hours=facts.weekly_hours,
        min_diploma_level=facts.min_diploma_level,
        deadline=facts.deadline,
        contact_email=parsed.contact_email,
        salary=parsed.salary,
        remote=parsed.remote,
        eligibility=eligibility,
        eligibility_verdict=str(eligibility.get("verdict", Verdict.ELIGIBLE)),
        created_by=actor,
    )
    await transition_offer(offer, "import", actor, comment="Import", to=parsed.status)
    await set_offer_themes(offer, facts.themes)
    return offer
