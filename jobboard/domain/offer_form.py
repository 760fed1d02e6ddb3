"""The recruiter's offer form: raw text in, typed facts and format problems out (pure).

What the recruiter typed is kept as text (`OfferForm`) so a refused or conflicting form shows it
back unchanged; `parse_offer_form` turns it into the `OfferFacts` the eligibility rules read,
with one `Reason` per value that is not in an understandable format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from jobboard.domain.diploma import DIPLOMA_LEVELS
from jobboard.domain.eligibility import OfferFacts, Reason
from jobboard.domain.offer import THEMES, OfferKind, RemoteWork
from jobboard.domain.parsing import is_email, parse_date, parse_decimal, parse_int
from jobboard.domain.rules import (
    CHEF_DE_PROJET_DURATION,
    CHEF_DE_PROJET_YEARS,
    VTA_DIPLOMA,
    VTA_DURATION,
    VTA_HOURS,
    VTA_HOURS_SHARE,
    VTA_MIN_DIPLOMA_LEVEL,
    WEEKLY_HOURS_EXAMPLES,
)

MAX_WEEKLY_HOURS = Decimal(48)  # the legal weekly maximum
MAX_MONTHS = 120
SALARY_MAX_LENGTH = 300

TEXT_FIELDS = (
    "kind",
    "title",
    "commune",
    "description",
    "missions",
    "profile",
    "start_date",
    "duration_months",
    "weekly_hours",
    "min_diploma_level",
    "deadline",
    "salary",
    "remote",
    "contact_email",
)


@dataclass
class OfferForm:
    """The form as typed; every value a string (themes a list of slugs)."""

    kind: str = ""
    title: str = ""
    commune: str = ""  # INSEE code of the commune of work
    description: str = ""
    missions: str = ""
    profile: str = ""
    themes: list[str] = field(default_factory=list)
    start_date: str = ""
    duration_months: str = ""
    weekly_hours: str = ""
    min_diploma_level: str = ""
    deadline: str = ""
    salary: str = ""
    remote: str = RemoteWork.NO.value
    contact_email: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, str], themes: Sequence[str]) -> OfferForm:
        values = {name: fields.get(name, "").strip() for name in TEXT_FIELDS}
        values["title"] = " ".join(values["title"].split())
        return cls(themes=[t for t in dict.fromkeys(themes) if t], **values)

    @classmethod
    def from_dict(cls, data: object) -> OfferForm:
        """From `Offer.form_data` (what a draft saved); anything else gives an empty form."""
        if not isinstance(data, Mapping):
            return cls()
        values = {name: str(data.get(name) or "") for name in TEXT_FIELDS}
        raw_themes = data.get("themes")
        themes = [str(t) for t in raw_themes] if isinstance(raw_themes, list) else []
        return cls(themes=themes, **values)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedOffer:
    facts: OfferFacts
    remote: RemoteWork
    problems: tuple[Reason, ...]  # formats the rules cannot read, all blocking


def parse_offer_form(form: OfferForm) -> ParsedOffer:
    problems: list[Reason] = []

    def bad(name: str, message: str) -> None:
        problems.append(Reason("format", name, message))

    kind = form.kind if form.kind in {k.value for k in OfferKind} else None
    if form.kind and kind is None:
        bad("kind", "Choisissez un type d’offre dans la liste.")
    start_date = parse_date(form.start_date) if form.start_date else None
    if form.start_date and start_date is None:
        bad("start_date", "Date invalide. Format attendu : JJ/MM/AAAA, par exemple 01/03/2027.")
    deadline = parse_date(form.deadline) if form.deadline else None
    if form.deadline and deadline is None:
        bad("deadline", "Date invalide. Format attendu : JJ/MM/AAAA, par exemple 15/01/2027.")
    months = parse_int(form.duration_months, minimum=1, maximum=MAX_MONTHS)
    if form.duration_months and months is None:
        bad("duration_months", f"Indiquez un nombre entier de mois, de 1 à {MAX_MONTHS}.")
    hours = parse_decimal(form.weekly_hours) if form.weekly_hours else None
    if hours is not None and not Decimal(0) < hours <= MAX_WEEKLY_HOURS:
        hours = None
    if form.weekly_hours and hours is None:
        bad(
            "weekly_hours",
            f"Indiquez un nombre d’heures supérieur à 0 et au plus {MAX_WEEKLY_HOURS}, "
            f"par exemple {WEEKLY_HOURS_EXAMPLES}.",
        )
    level = parse_int(form.min_diploma_level)
    if level not in DIPLOMA_LEVELS:
        level = None
    if form.min_diploma_level and level is None:
        bad("min_diploma_level", "Choisissez un niveau de diplôme dans la liste.")
    try:
        remote = RemoteWork(form.remote or RemoteWork.NO.value)
    except ValueError:
        remote = RemoteWork.NO
        bad("remote", "Choisissez une option de télétravail dans la liste.")
    if form.contact_email and not is_email(form.contact_email):
        bad("contact_email", "Adresse e-mail invalide. Format attendu : nom@mairie-exemple.fr")
    if len(form.salary) > SALARY_MAX_LENGTH:
        bad("salary", f"{SALARY_MAX_LENGTH} caractères au maximum.")
    unknown = [t for t in form.themes if t not in THEMES]
    if unknown:
        bad("themes", "Choisissez les thématiques dans la liste.")
    facts = OfferFacts(
        kind=kind,
        title=form.title,
        description=form.description,
        missions=form.missions,
        profile=form.profile,
        themes=tuple(t for t in form.themes if t in THEMES),
        start_date=start_date,
        duration_months=months,
        weekly_hours=hours,
        min_diploma_level=level,
        deadline=deadline,
    )
    return ParsedOffer(facts=facts, remote=remote, problems=tuple(problems))


# What the form shows under a field, by kind: the rule before the recruiter breaks it.
KIND_HINTS: dict[str, dict[str, str]] = {
    OfferKind.VTA: {
        "duration_months": f"VTA : mission de {VTA_DURATION}.",
        "min_diploma_level": f"VTA : {VTA_DIPLOMA} minimum (niveau {VTA_MIN_DIPLOMA_LEVEL}).",
        "weekly_hours": f"VTA : au moins {VTA_HOURS} heures par semaine "
        f"({VTA_HOURS_SHARE} d’un temps plein).",
    },
    OfferKind.VTA_EXPERTISE: {
        "duration_months": f"VTA expertise : mission de {VTA_DURATION}.",
        "min_diploma_level": f"VTA expertise : {VTA_DIPLOMA} minimum "
        f"(niveau {VTA_MIN_DIPLOMA_LEVEL}).",
        "weekly_hours": f"VTA expertise : au moins {VTA_HOURS} heures par semaine.",
    },
    OfferKind.CHEF_DE_PROJET: {
        "duration_months": "Chef de projet : contrat de projet de "
        f"{CHEF_DE_PROJET_DURATION} ({CHEF_DE_PROJET_YEARS}).",
    },
}
