"""The one public representation of an offer, read by the API, the Atom feed and the JSON-LD.

`represent` is pure formatting over an offer whose related rows are loaded; `public_offer`,
`public_offers` and `public_offers_by_id` load them in a constant number of queries (two,
whatever the number of offers): the offers joined to their commune, département, région and
employer, then the first publication of each from the offer log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from tortoise.functions import Min
from tortoise.queryset import QuerySet

from jobboard.clock import today
from jobboard.domain.diploma import diploma_label
from jobboard.domain.offer import THEMES, OfferKind, OfferStatus, RemoteWork
from jobboard.domain.salary import SalaryPeriod, SalaryRange, parse_salary
from jobboard.markdown import plain_text, render_markdown
from jobboard.models import Offer, OfferEvent
from jobboard.services.visibility import Publicity, publicity

# Search engines show about this many characters of a description.
SUMMARY_LENGTH = 160
# Every relation `represent` reads, joined in the offers' query.
RELATED = ("commune__departement", "commune__region", "organisation__commune")

STANDING_LABELS: dict[Publicity, str] = {
    Publicity.OPEN: "Ouverte aux candidatures",
    Publicity.CLOSED: "Pourvue ou annulée",
    Publicity.EXPIRED: "Expirée",
}


@dataclass(frozen=True)
class Coded:
    """A value of a fixed vocabulary: its code and its French label."""

    code: str
    label: str


@dataclass(frozen=True)
class DiplomaLevel:
    level: int  # 2019 national scale, 3 (CAP) … 8 (doctorat)
    label: str


@dataclass(frozen=True)
class Text:
    """An offer text as the recruiter wrote it (Markdown) and rendered, sanitised."""

    markdown: str
    html: Markup


@dataclass(frozen=True)
class Employer:
    """The collectivité that recruits: a commune (INSEE code and SIREN) or an EPCI (SIREN)."""

    kind: str  # "commune" | "epci"
    name: str
    insee: str | None
    siren: str | None


@dataclass(frozen=True)
class Place:
    """The commune where the work takes place."""

    insee: str
    name: str
    postal_code: str | None  # the first of the commune's codes


@dataclass(frozen=True)
class Salary:
    text: str  # as the offer says it
    range: SalaryRange | None  # the euro amounts, when the text states some


@dataclass(frozen=True)
class PublicOffer:
    id: int
    url: str
    kind: Coded
    title: str
    employer: Employer
    commune: Place
    departement: Coded
    region: Coded
    themes: tuple[Coded, ...]
    description: Text
    missions: Text
    profile: Text
    start_date: date
    duration_months: int
    weekly_hours: Decimal
    min_diploma_level: DiplomaLevel
    remote: Coded
    salary: Salary | None
    deadline: date
    published_at: datetime  # first publication
    updated_at: datetime
    standing: Coded  # open, closed or expired (Publicity)
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.standing.code == Publicity.OPEN

    def summary(self, limit: int = SUMMARY_LENGTH) -> str:
        """The description's words without markup, cut on a word within `limit` characters:
        the feed's summary, the page's meta description and Open Graph description."""
        return excerpt(plain_text(self.description.markdown), limit)


def excerpt(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.–-") + "…"


def offer_url(base_url: str, offer_id: int) -> str:
    """The offer page's absolute address, from the configured site address (never the Host)."""
    return f"{base_url.rstrip('/')}/offres/{offer_id}"


def _text(markdown: str) -> Text:
    return Text(markdown=markdown, html=render_markdown(markdown))


def _employer(offer: Offer) -> Employer:
    organisation = offer.organisation
    if organisation.kind == "commune" and organisation.commune is not None:
        commune = organisation.commune
        return Employer("commune", organisation.name, commune.insee, commune.siren)
    return Employer(organisation.kind, organisation.name, None, organisation.epci_id)


def represent(
    offer: Offer, *, base_url: str, first_published: datetime | None, on: date
) -> PublicOffer:
    """The public shape of `offer` (loaded with RELATED), as it stands on day `on`.

    `first_published` is the offer's first publication from its log; an offer published again
    after an edit keeps it (its `published_at` column holds the latest publication).
    """
    standing = publicity(offer, on)
    if standing is Publicity.HIDDEN:
        raise ValueError(f"offer {offer.id} has no public page")
    commune = offer.commune
    stamps = [s for s in (first_published, offer.published_at) if s is not None]
    published = min(stamps) if stamps else offer.created_at
    postal_codes = commune.postal_codes.split()
    return PublicOffer(
        id=offer.id,
        url=offer_url(base_url, offer.id),
        kind=Coded(offer.kind, OfferKind(offer.kind).label),
        title=offer.title,
        employer=_employer(offer),
        commune=Place(commune.insee, commune.name, postal_codes[0] if postal_codes else None),
        departement=Coded(commune.departement.code, commune.departement.name),
        region=Coded(commune.region.code, commune.region.name),
        themes=tuple(Coded(t, THEMES.get(t, t)) for t in offer.themes),
        description=_text(offer.description),
        missions=_text(offer.missions),
        profile=_text(offer.profile),
        start_date=offer.start_date,
        duration_months=offer.duration_months,
        weekly_hours=Decimal(offer.weekly_hours),
        min_diploma_level=DiplomaLevel(
            offer.min_diploma_level, diploma_label(offer.min_diploma_level)
        ),
        remote=Coded(offer.remote, RemoteWork(offer.remote).label),
        salary=Salary(offer.salary, parse_salary(offer.salary)) if offer.salary.strip() else None,
        deadline=offer.deadline,
        published_at=published,
        updated_at=max(offer.updated_at, published),
        standing=Coded(standing.value, STANDING_LABELS[standing]),
        closed_at=offer.closed_at if standing is not Publicity.OPEN else None,
    )


async def _first_publications(offer_ids: Sequence[int]) -> dict[int, datetime]:
    """When each offer was first published, from the log (one grouped query)."""
    if not offer_ids:
        return {}
    rows = (
        await OfferEvent.filter(offer_id__in=list(offer_ids), to_status=OfferStatus.PUBLISHED)
        .annotate(first=Min("created_at"))
        .group_by("offer_id")
        .values("offer_id", "first")
    )
    return {row["offer_id"]: row["first"] for row in rows}


async def public_offers(
    query: QuerySet[Offer], *, base_url: str, on: date | None = None
) -> list[PublicOffer]:
    """The public offers of `query`, in its order (hidden ones left out); two queries."""
    day = on or today()
    offers = [
        o for o in await query.select_related(*RELATED) if publicity(o, day) is not Publicity.HIDDEN
    ]
    first = await _first_publications([o.id for o in offers])
    return [
        represent(o, base_url=base_url, first_published=first.get(o.id), on=day) for o in offers
    ]


async def public_offers_by_id(
    offer_ids: Sequence[int], *, base_url: str, on: date | None = None
) -> list[PublicOffer]:
    """The public offers named by `offer_ids` (search hits), in that order; two queries."""
    if not offer_ids:
        return []
    found = {
        o.id: o
        for o in await public_offers(Offer.filter(id__in=list(offer_ids)), base_url=base_url, on=on)
    }
    return [found[i] for i in offer_ids if i in found]


async def public_offer(
    offer_id: int, *, base_url: str, on: date | None = None
) -> PublicOffer | None:
    """One offer with a public page (open, closed or expired), None otherwise."""
    found = await public_offers(Offer.filter(id=offer_id), base_url=base_url, on=on)
    return found[0] if found else None


async def describe(offer: Offer, *, base_url: str, on: date | None = None) -> PublicOffer:
    """The representation of an offer the caller loaded with RELATED (an offer page): one
    query, for its first publication."""
    first = await _first_publications([offer.id])
    return represent(
        offer, base_url=base_url, first_published=first.get(offer.id), on=on or today()
    )


def _iso(moment: date | datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _coded(value: Coded) -> dict[str, str]:
    return {"code": value.code, "label": value.label}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _salary(salary: Salary | None) -> dict[str, Any] | None:
    if salary is None:
        return None
    amounts = salary.range
    return {
        "text": salary.text,
        "minimum": None if amounts is None else _number(amounts.minimum),
        "maximum": None if amounts is None else _number(amounts.maximum),
        "period": None if amounts is None else amounts.period.value,
        "currency": None if amounts is None else amounts.currency,
    }


def as_json(offer: PublicOffer) -> dict[str, Any]:
    """The offer as the API writes it: plain JSON types, ISO 8601 dates and instants."""
    text = {
        name: {"markdown": t.markdown, "html": str(t.html)}
        for name, t in (
            ("description", offer.description),
            ("missions", offer.missions),
            ("profile", offer.profile),
        )
    }
    return {
        "id": offer.id,
        "url": offer.url,
        "kind": _coded(offer.kind),
        "title": offer.title,
        "employer": {
            "kind": offer.employer.kind,
            "name": offer.employer.name,
            "insee": offer.employer.insee,
            "siren": offer.employer.siren,
        },
        "commune": {
            "insee": offer.commune.insee,
            "name": offer.commune.name,
            "postal_code": offer.commune.postal_code,
        },
        "departement": {"code": offer.departement.code, "name": offer.departement.label},
        "region": {"code": offer.region.code, "name": offer.region.label},
        "themes": [_coded(t) for t in offer.themes],
        **text,
        "start_date": _iso(offer.start_date),
        "duration_months": offer.duration_months,
        "weekly_hours": _number(offer.weekly_hours),
        "min_diploma_level": {
            "level": offer.min_diploma_level.level,
            "label": offer.min_diploma_level.label,
        },
        "remote": _coded(offer.remote),
        "salary": _salary(offer.salary),
        "deadline": _iso(offer.deadline),
        "published_at": _iso(offer.published_at),
        "updated_at": _iso(offer.updated_at),
        "standing": _coded(offer.standing),
        "closed_at": _iso(offer.closed_at),
    }


# JSON Schema (2020-12, the dialect of OpenAPI 3.1) of `as_json`, for the API's document;
# tests validate `as_json` against it, so the two cannot drift.
def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_STRING = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_INSTANT = {"type": "string", "format": "date-time"}


def _coded_schema(codes: Sequence[str], description: str) -> dict[str, Any]:
    return _object({"code": {"type": "string", "enum": list(codes)}, "label": _STRING}, description)


def _text_schema(description: str) -> dict[str, Any]:
    return _object(
        {"markdown": _STRING, "html": {"type": "string", "description": "HTML assaini"}},
        description,
    )


OFFER_JSON_SCHEMA: dict[str, Any] = _object(
    {
        "id": {"type": "integer"},
        "url": {"type": "string", "format": "uri", "description": "Page de l’offre"},
        "kind": _coded_schema(list(OfferKind), "Type d’offre"),
        "title": _STRING,
        "employer": _object(
            {
                "kind": {"type": "string", "enum": ["commune", "epci"]},
                "name": _STRING,
                "insee": _nullable({"type": "string", "pattern": "^[0-9][0-9AB][0-9]{3}$"}),
                "siren": _nullable({"type": "string", "pattern": "^[0-9]{9}$"}),
            },
            "Collectivité qui recrute (commune : code INSEE et SIREN ; EPCI : SIREN)",
        ),
        "commune": _object(
            {"insee": _STRING, "name": _STRING, "postal_code": _nullable(_STRING)},
            "Commune où se situe le poste",
        ),
        "departement": _object({"code": _STRING, "name": _STRING}, "Département"),
        "region": _object({"code": _STRING, "name": _STRING}, "Région"),
        "themes": {"type": "array", "items": _coded_schema(list(THEMES), "Thématique")},
        "description": _text_schema("Description"),
        "missions": _text_schema("Missions"),
        "profile": _text_schema("Profil recherché"),
        "start_date": _DATE,
        "duration_months": {"type": "integer", "minimum": 1},
        "weekly_hours": {"type": "number"},
        "min_diploma_level": _object(
            {"level": {"type": "integer"}, "label": _STRING},
            "Niveau de diplôme minimum (nomenclature nationale de 2019, 3 à 8)",
        ),
        "remote": _coded_schema(list(RemoteWork), "Télétravail"),
        "salary": _nullable(
            _object(
                {
                    "text": _STRING,
                    "minimum": _nullable({"type": "number"}),
                    "maximum": _nullable({"type": "number"}),
                    "period": _nullable({"type": "string", "enum": list(SalaryPeriod)}),
                    "currency": _nullable({"type": "string", "enum": ["EUR"]}),
                },
                "Rémunération telle que l’offre l’indique, et ses montants quand elle en donne",
            )
        ),
        "deadline": {**_DATE, "description": "Date limite de candidature (incluse)"},
        "published_at": {**_INSTANT, "description": "Première publication"},
        "updated_at": _INSTANT,
        "standing": _coded_schema([p.value for p in STANDING_LABELS], "État de l’offre"),
        "closed_at": _nullable(_INSTANT),
    },
    "Offre publiée",
)
