"""Eligibility rules for offers and VTA candidates: pure functions returning a verdict with reasons.

The same functions serve the import, the recruiter form, moderation and the API. Values and
the texts that state them come from `domain/rules.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from jobboard.domain.french import number_fr
from jobboard.domain.offer import DESCRIPTION_MAX_LENGTH, THEMES, TITLE_MAX_LENGTH, OfferKind
from jobboard.domain.parsing import age_on
from jobboard.domain.rules import (
    CHEF_DE_PROJET_DURATION,
    CHEF_DE_PROJET_MAX_MONTHS,
    CHEF_DE_PROJET_MIN_MONTHS,
    CHEF_DE_PROJET_YEARS,
    DENSITY_DENSE,
    DENSITY_INTERMEDIATE,
    DENSITY_LABELS,
    INTERMEDIATE_EXCEPTION_POPULATION,
    INTERMEDIATE_POPULATION,
    VTA_AGE_LIMIT,
    VTA_AGE_RANGE,
    VTA_DIPLOMA,
    VTA_DURATION,
    VTA_HOURS,
    VTA_HOURS_SHARE,
    VTA_MAX_MONTHS,
    VTA_MIN_AGE,
    VTA_MIN_DIPLOMA_LEVEL,
    VTA_MIN_MONTHS,
    VTA_MIN_WEEKLY_HOURS,
)


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    TO_REVIEW = "to_review"
    INELIGIBLE = "ineligible"

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self]

    @property
    def rank(self) -> int:
        return _RANK[self]


VERDICT_LABELS = {
    Verdict.ELIGIBLE: "Éligible",
    Verdict.TO_REVIEW: "À vérifier",
    Verdict.INELIGIBLE: "Non éligible",
}
_RANK = {Verdict.ELIGIBLE: 0, Verdict.TO_REVIEW: 1, Verdict.INELIGIBLE: 2}


@dataclass(frozen=True)
class Reason:
    """One finding; a reason whose verdict is `eligible` is information only."""

    code: str
    field: str
    message: str
    verdict: Verdict = Verdict.INELIGIBLE

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "verdict": self.verdict.value,
        }


@dataclass(frozen=True)
class Assessment:
    reasons: tuple[Reason, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return max(
            (r.verdict for r in self.reasons), key=lambda v: v.rank, default=Verdict.ELIGIBLE
        )

    @property
    def blocking(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.verdict is Verdict.INELIGIBLE)

    def for_field(self, name: str) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.field == name)

    def as_dict(self) -> dict[str, object]:
        return {"verdict": self.verdict.value, "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Territory:
    """What the rules need to know about where the offer's employer stands."""

    commune_name: str
    population: int | None
    density_level: int | None
    is_pvd: bool
    employer_is_epci: bool = False
    epci_has_pvd_member: bool = False


@dataclass(frozen=True)
class OfferFacts:
    kind: str | None
    title: str = ""
    description: str = ""
    missions: str = ""
    profile: str = ""
    themes: Sequence[str] = field(default_factory=tuple)
    start_date: date | None = None
    duration_months: int | None = None
    weekly_hours: Decimal | None = None
    min_diploma_level: int | None = None
    deadline: date | None = None


def assess_offer(
    offer: OfferFacts,
    territory: Territory | None,
    today: date,
    *,
    territory_override: bool = False,
) -> Assessment:
    """Every reason an offer is not (or not certainly) eligible; empty reasons means eligible."""
    reasons = [*_required(offer), *_lengths(offer), *_dates(offer, today)]
    kind = _kind(offer.kind)
    if kind is None:
        if offer.kind:
            reasons.append(Reason("kind_unknown", "kind", "Le type d’offre est inconnu."))
    elif kind.is_vta:
        reasons.extend(_vta_rules(offer))
        reasons.extend(_vta_territory(territory, territory_override))
    else:
        reasons.extend(_chef_de_projet_rules(offer, territory))
    return Assessment(tuple(reasons))


def _kind(value: str | None) -> OfferKind | None:
    try:
        return OfferKind(value) if value else None
    except ValueError:
        return None


_REQUIRED = {
    "kind": "Choisissez le type d’offre.",
    "title": "Indiquez l’intitulé du poste.",
    "description": "Décrivez le poste et son contexte.",
    "missions": "Indiquez les missions.",
    "profile": "Décrivez le profil recherché.",
    "themes": "Choisissez au moins une thématique.",
    "start_date": "Indiquez la date de prise de poste.",
    "duration_months": "Indiquez la durée du contrat en mois.",
    "weekly_hours": "Indiquez la durée hebdomadaire de travail.",
    "min_diploma_level": "Indiquez le niveau de diplôme minimum.",
    "deadline": "Indiquez la date limite de candidature.",
}


def _required(offer: OfferFacts) -> Iterable[Reason]:
    for name, message in _REQUIRED.items():
        value = getattr(offer, name)
        if value is None or (isinstance(value, str | tuple | list) and not _filled(value)):
            yield Reason("required", name, message)
    unknown = [t for t in offer.themes if t not in THEMES]
    if unknown:
        yield Reason("theme_unknown", "themes", f"Thématique inconnue : {', '.join(unknown)}.")


def _filled(value: str | Sequence[str]) -> bool:
    return bool(value.strip()) if isinstance(value, str) else len(value) > 0


def _lengths(offer: OfferFacts) -> Iterable[Reason]:
    if len(offer.title) > TITLE_MAX_LENGTH:
        yield Reason(
            "title_too_long", "title", f"L’intitulé dépasse {TITLE_MAX_LENGTH} caractères."
        )
    for name in ("description", "missions", "profile"):
        if len(getattr(offer, name)) > DESCRIPTION_MAX_LENGTH:
            yield Reason(
                "text_too_long",
                name,
                f"Ce texte dépasse {number_fr(DESCRIPTION_MAX_LENGTH)} caractères.",
            )


def _dates(offer: OfferFacts, today: date) -> Iterable[Reason]:
    if offer.deadline is not None and offer.deadline <= today:
        yield Reason(
            "deadline_past",
            "deadline",
            "La date limite de candidature doit être postérieure à aujourd’hui.",
        )
    if offer.start_date and offer.deadline and offer.start_date < offer.deadline:
        yield Reason(
            "start_before_deadline",
            "start_date",
            "La prise de poste ne peut pas précéder la date limite de candidature.",
        )


def _vta_rules(offer: OfferFacts) -> Iterable[Reason]:
    months = offer.duration_months
    if months is not None and not VTA_MIN_MONTHS <= months <= VTA_MAX_MONTHS:
        yield Reason("vta_duration", "duration_months", f"La mission VTA dure de {VTA_DURATION}.")
    level = offer.min_diploma_level
    if level is not None and level < VTA_MIN_DIPLOMA_LEVEL:
        yield Reason(
            "vta_diploma",
            "min_diploma_level",
            f"Le VTA s’adresse aux diplômés de niveau {VTA_DIPLOMA} minimum "
            f"(niveau {VTA_MIN_DIPLOMA_LEVEL}).",
        )
    hours = offer.weekly_hours
    if hours is not None and hours < VTA_MIN_WEEKLY_HOURS:
        yield Reason(
            "vta_hours",
            "weekly_hours",
            f"Le VTA demande au moins {VTA_HOURS} heures par semaine "
            f"({VTA_HOURS_SHARE} d’un temps plein).",
        )


def _vta_territory(territory: Territory | None, override: bool) -> Iterable[Reason]:
    if territory is None:
        yield Reason("commune_unknown", "employer", "La commune de l’employeur est inconnue.")
        return
    name, density = territory.commune_name, territory.density_level
    if density is None:
        yield Reason(
            "density_unknown",
            "employer",
            f"La densité de {name} n’est pas connue : l’éligibilité du territoire sera vérifiée "
            "par l’ANCT.",
            Verdict.TO_REVIEW,
        )
    elif density == DENSITY_INTERMEDIATE:
        population = territory.population
        if population is not None and population < INTERMEDIATE_EXCEPTION_POPULATION:
            yield Reason(
                "density_intermediate",
                "employer",
                f"{name} est de densité {DENSITY_LABELS[DENSITY_INTERMEDIATE]} et compte moins "
                f"de {INTERMEDIATE_POPULATION} : "
                "éligible seulement par dérogation, décidée par la préfecture.",
                Verdict.TO_REVIEW,
            )
        else:
            yield _dense(
                "density_intermediate_large",
                f"{name} est de densité {DENSITY_LABELS[DENSITY_INTERMEDIATE]} et compte "
                f"{INTERMEDIATE_POPULATION} ou plus : "
                "le VTA est réservé aux territoires ruraux.",
                override,
            )
    elif density == DENSITY_DENSE:
        yield _dense(
            "density_dense",
            f"{name} est une commune {DENSITY_LABELS[DENSITY_DENSE]} : "
            "le VTA est réservé aux territoires ruraux.",
            override,
        )
    if territory.is_pvd:
        yield Reason(
            "pvd_info",
            "employer",
            f"{name} est une Petite ville de demain "
            "(information : ce n’est pas un critère du VTA).",
            Verdict.ELIGIBLE,
        )


def _dense(code: str, message: str, override: bool) -> Reason:
    if override:
        return Reason(
            f"{code}_overridden",
            "employer",
            f"{message} Dérogation accordée par l’ANCT.",
            Verdict.TO_REVIEW,
        )
    return Reason(code, "employer", message)


def _chef_de_projet_rules(offer: OfferFacts, territory: Territory | None) -> Iterable[Reason]:
    months = offer.duration_months
    if months is not None and not CHEF_DE_PROJET_MIN_MONTHS <= months <= CHEF_DE_PROJET_MAX_MONTHS:
        yield Reason(
            "cdp_duration",
            "duration_months",
            f"Le contrat de projet dure de {CHEF_DE_PROJET_DURATION} ({CHEF_DE_PROJET_YEARS}).",
        )
    if territory is None:
        yield Reason("commune_unknown", "employer", "La commune de l’employeur est inconnue.")
        return
    if territory.is_pvd or (territory.employer_is_epci and territory.epci_has_pvd_member):
        return
    where = (
        "Aucune commune de cette intercommunalité"
        if territory.employer_is_epci
        else (territory.commune_name)
    )
    verb = "n’est lauréate" if territory.employer_is_epci else "n’est pas lauréate"
    yield Reason(
        "not_pvd",
        "employer",
        f"{where} {verb} du programme Petites villes de demain : l’ANCT vérifiera le poste.",
        Verdict.TO_REVIEW,
    )


_AGES = f"Le VTA s’adresse aux {VTA_AGE_RANGE}."


def assess_candidate(
    kind: str, birth_date: date | None, diploma_level: int | None, start_date: date
) -> Assessment:
    """Whether a candidate may apply to an offer of this kind starting on `start_date`."""
    offer_kind = _kind(kind)
    if offer_kind is None or not offer_kind.is_vta:
        return Assessment()
    reasons: list[Reason] = []
    if birth_date is None:
        reasons.append(
            Reason("birth_date_missing", "birth_date", "Indiquez votre date de naissance.")
        )
    else:
        age = age_on(birth_date, start_date)
        if age < VTA_MIN_AGE:
            reasons.append(Reason("vta_too_young", "birth_date", _AGES))
        elif offer_kind is OfferKind.VTA and age >= VTA_AGE_LIMIT:
            reasons.append(Reason("vta_too_old", "birth_date", _AGES))
    if diploma_level is None or diploma_level < VTA_MIN_DIPLOMA_LEVEL:
        reasons.append(
            Reason(
                "vta_candidate_diploma",
                "diploma_level",
                f"Le VTA s’adresse aux diplômés de niveau {VTA_DIPLOMA} minimum.",
            )
        )
    return Assessment(tuple(reasons))
