"""The programme's rule values (DESIGN.md §2) and the French texts that state them, written once.

The eligibility rules compare with the numbers; every page, hint and message that tells a user a
rule (« 12 à 18 mois », « bac+2 », « 26,25 h », « 15 000 € », the density grid) takes its text
from here, templates through the `rules` Jinja global. tests/domain/test_rules.py fails when one
of these values is spelled again in a template or a Python message.
"""

from __future__ import annotations

from decimal import Decimal

from jobboard.domain.diploma import BAC_PLUS_2, DIPLOMA_NAMES
from jobboard.domain.french import NO_BREAK_SPACE, hours_fr, months_fr, number_fr
from jobboard.domain.offer import OfferKind

VTA_MIN_MONTHS = 12
VTA_MAX_MONTHS = 18
CHEF_DE_PROJET_MIN_MONTHS = 12  # contrat de projet: 1 to 6 years
CHEF_DE_PROJET_MAX_MONTHS = 72
FULL_TIME_WEEKLY_HOURS = Decimal(35)
VTA_MIN_WEEKLY_HOURS = Decimal("26.25")  # three quarters of a full-time week
VTA_MIN_DIPLOMA_LEVEL = BAC_PLUS_2
VTA_STATE_AID_EUROS = 15_000  # paid to the employer; display only
VTA_MIN_AGE = 18
VTA_AGE_LIMIT = 31  # "18-30 ans": not yet 31 on the mission start date
VTA_EXPERTISE_MIN_YEARS_OF_EXPERIENCE = 10  # the profile of a VTA expertise (over 30)
INTERMEDIATE_EXCEPTION_POPULATION = 20_000

# INSEE's 4-level density grid. A VTA employer must be rural: 3 or 4.
DENSITY_DENSE = 1
DENSITY_INTERMEDIATE = 2
DENSITY_LABELS: dict[int, str] = {
    1: "dense",
    2: "intermédiaire",
    3: "peu dense",
    4: "très peu dense",
}


def density_label(level: int | None) -> str:
    """« 4 – très peu dense », as staff read the grid; « inconnue » when it was not imported."""
    if level is None or level not in DENSITY_LABELS:
        return "inconnue"
    return f"{level} – {DENSITY_LABELS[level]}"


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{part * 100 / whole:.0f}{NO_BREAK_SPACE}%"


# The rules as sentences say them.
VTA_DURATION = f"{VTA_MIN_MONTHS} à {months_fr(VTA_MAX_MONTHS)}"  # 12 à 18 mois
CHEF_DE_PROJET_DURATION = f"{CHEF_DE_PROJET_MIN_MONTHS} à {months_fr(CHEF_DE_PROJET_MAX_MONTHS)}"
CHEF_DE_PROJET_YEARS = f"{CHEF_DE_PROJET_MIN_MONTHS // 12} à {CHEF_DE_PROJET_MAX_MONTHS // 12} ans"
VTA_DIPLOMA = DIPLOMA_NAMES[VTA_MIN_DIPLOMA_LEVEL]  # bac+2
VTA_HOURS = hours_fr(VTA_MIN_WEEKLY_HOURS)  # 26,25
VTA_HOURS_SHARE = _share(VTA_MIN_WEEKLY_HOURS, FULL_TIME_WEEKLY_HOURS)  # 75 %
WEEKLY_HOURS_EXAMPLES = f"{hours_fr(FULL_TIME_WEEKLY_HOURS)} ou {VTA_HOURS}"  # 35 ou 26,25
VTA_STATE_AID = f"{number_fr(VTA_STATE_AID_EUROS)}{NO_BREAK_SPACE}€"  # 15 000 €
VTA_MAX_AGE = VTA_AGE_LIMIT - 1
VTA_AGES = f"{VTA_MIN_AGE} à {VTA_MAX_AGE} ans"  # 18 à 30 ans
VTA_AGE_RANGE = f"{VTA_MIN_AGE}-{VTA_MAX_AGE} ans"  # 18-30 ans
INTERMEDIATE_POPULATION = f"{number_fr(INTERMEDIATE_EXCEPTION_POPULATION)} habitants"

# What the offer form says of each kind, under its radio button.
KIND_DESCRIPTIONS: dict[str, str] = {
    OfferKind.CHEF_DE_PROJET: "Pour une commune lauréate Petites villes de demain (ou son "
    f"intercommunalité) : contrat de projet de {CHEF_DE_PROJET_YEARS}.",
    OfferKind.VTA: f"Jeune diplômé de {VTA_AGES}, {VTA_DIPLOMA} minimum, mission de "
    f"{VTA_DURATION} en territoire rural ; aide de l’État de {VTA_STATE_AID}.",
    OfferKind.VTA_EXPERTISE: f"Comme le VTA, pour un profil expérimenté (plus de {VTA_MAX_AGE} "
    f"ans, {VTA_EXPERTISE_MIN_YEARS_OF_EXPERIENCE} ans d’expérience) : pas de limite d’âge.",
}
