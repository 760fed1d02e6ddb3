"""What a signed-in candidate reads on an offer card or page before clicking (pure).

The verdict is `assess_candidate`'s, the rule the apply step enforces, written for the
candidate: « Vous êtes éligible », « Non éligible : vous aurez 31 ans le 1er mars 2027, avant
le début de la mission », « Diplôme requis : bac+2 ». A card never says « éligible » where the
apply form would refuse, nor the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from jobboard.domain.diploma import DIPLOMA_NAMES
from jobboard.domain.eligibility import assess_candidate
from jobboard.domain.french import day_fr
from jobboard.domain.rules import VTA_AGE_LIMIT, VTA_DIPLOMA, VTA_MIN_AGE

NNBSP = "\u202f"  # French typography: before « : » and inside « »


class Standing(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"  # the profile lacks what the rule needs: apply refuses too


@dataclass(frozen=True)
class CandidateVerdict:
    standing: Standing
    lines: tuple[str, ...]  # the first is the headline; each blocking reason has its line
    notice: str = ""  # information only: the offer asks more than the declared diploma

    @property
    def eligible(self) -> bool:
        return self.standing is Standing.ELIGIBLE

    @property
    def text(self) -> str:
        return " ".join(self.lines)


ELIGIBLE_TEXT = "Vous êtes éligible"


def birthday(birth_date: date, years: int) -> date:
    """The day one turns `years`: a 29 February birthday counts on 1 March, as `age_on` does."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return date(birth_date.year + years, 3, 1)


def candidate_verdict(
    kind: str,
    start_date: date,
    birth_date: date | None,
    diploma_level: int | None,
    min_diploma_level: int | None = None,
    *,
    today: date | None = None,
) -> CandidateVerdict:
    """The verdict on one offer (its kind, start date and minimum diploma) for one candidate;
    `today` tells a birthday still to come (« vous aurez ») from one gone by (« vous avez eu »)."""
    assessment = assess_candidate(kind, birth_date, diploma_level, start_date)
    codes = {reason.code for reason in assessment.blocking}
    missing = [
        what
        for code, what in (
            ("birth_date_missing", "votre date de naissance"),
            ("vta_candidate_diploma", "votre niveau de diplôme"),
        )
        if code in codes and (code != "vta_candidate_diploma" or diploma_level is None)
    ]
    lines: list[str] = []
    if birth_date is not None and "vta_too_old" in codes:
        turns = birthday(birth_date, VTA_AGE_LIMIT)
        tense = "avez eu" if today is not None and turns < today else "aurez"
        lines.append(
            f"Non éligible{NNBSP}: vous {tense} {VTA_AGE_LIMIT} ans le {day_fr(turns)}, "
            "avant le début de la mission"
        )
    if birth_date is not None and "vta_too_young" in codes:
        adult = day_fr(birthday(birth_date, VTA_MIN_AGE))
        lines.append(
            f"Non éligible{NNBSP}: vous n’aurez {VTA_MIN_AGE} ans que le {adult}, "
            "après le début de la mission"
        )
    if "vta_candidate_diploma" in codes and diploma_level is not None:
        lines.append(f"Diplôme requis{NNBSP}: {VTA_DIPLOMA}")
    if missing:
        lines.append(f"Profil à compléter{NNBSP}: indiquez {' et '.join(missing)}")
        return CandidateVerdict(Standing.INCOMPLETE, tuple(lines))
    if lines:
        return CandidateVerdict(Standing.INELIGIBLE, tuple(lines))
    notice = ""
    if (
        min_diploma_level is not None
        and diploma_level is not None
        and diploma_level < min_diploma_level
        and min_diploma_level in DIPLOMA_NAMES
    ):
        notice = f"Diplôme demandé par la collectivité{NNBSP}: {DIPLOMA_NAMES[min_diploma_level]}"
    return CandidateVerdict(Standing.ELIGIBLE, (ELIGIBLE_TEXT,), notice)
