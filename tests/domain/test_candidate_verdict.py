"""The verdict a candidate reads on a card: the apply step's rule, in the candidate's words."""

from __future__ import annotations

from datetime import date

import pytest

from jobboard.domain.candidate_verdict import Standing, birthday, candidate_verdict
from jobboard.domain.eligibility import assess_candidate

S = "\u202f"
START = date(2027, 4, 1)

CASES = [
    # kind, birth date, diploma, offer's minimum, standing, lines, notice
    ("vta", date(1996, 3, 1), 7, 5, Standing.INELIGIBLE,
     (f"Non éligible{S}: vous aurez 31 ans le 1er mars 2027, avant le début de la mission",), ""),
    # 31 on the start day itself: too late already.
    ("vta", date(1996, 4, 1), 7, 5, Standing.INELIGIBLE,
     (f"Non éligible{S}: vous aurez 31 ans le 1er avril 2027, avant le début de la mission",), ""),
    # The day before the 31st birthday: still 30 when the mission starts.
    ("vta", date(1996, 4, 2), 7, 5, Standing.ELIGIBLE, ("Vous êtes éligible",), ""),
    ("vta", date(2001, 5, 4), 4, 5, Standing.INELIGIBLE, (f"Diplôme requis{S}: bac+2",), ""),
    ("vta", date(1990, 1, 15), 3, 5, Standing.INELIGIBLE,
     (f"Non éligible{S}: vous aurez 31 ans le 15 janvier 2021, avant le début de la mission",
      f"Diplôme requis{S}: bac+2"), ""),
    ("vta", date(2009, 6, 10), 5, 5, Standing.INELIGIBLE,
     (f"Non éligible{S}: vous n’aurez 18 ans que le 10 juin 2027, après le début de la mission",),
     ""),
    # VTA expertise: the same diploma rule, no age ceiling.
    ("vta_expertise", date(1975, 9, 30), 7, 7, Standing.ELIGIBLE, ("Vous êtes éligible",), ""),
    ("vta_expertise", date(1975, 9, 30), 4, 5, Standing.INELIGIBLE,
     (f"Diplôme requis{S}: bac+2",), ""),
    # Chef de projet: no candidate rule; the offer's wish is information only.
    ("chef_de_projet", date(1960, 1, 1), 3, 7, Standing.ELIGIBLE, ("Vous êtes éligible",),
     f"Diplôme demandé par la collectivité{S}: bac+5"),
    ("chef_de_projet", None, None, 7, Standing.ELIGIBLE, ("Vous êtes éligible",), ""),
    # Nothing to judge by: the apply step refuses, the card says what to fill in.
    ("vta", None, 7, 5, Standing.INCOMPLETE,
     (f"Profil à compléter{S}: indiquez votre date de naissance",), ""),
    ("vta", None, None, 5, Standing.INCOMPLETE,
     (f"Profil à compléter{S}: indiquez votre date de naissance et votre niveau de diplôme",), ""),
    ("vta", date(2001, 5, 4), 6, 7, Standing.ELIGIBLE, ("Vous êtes éligible",),
     f"Diplôme demandé par la collectivité{S}: bac+5"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "born", "diploma", "minimum", "standing", "lines", "notice"), CASES
)
def test_verdict_texts(
    kind: str,
    born: date | None,
    diploma: int | None,
    minimum: int,
    standing: Standing,
    lines: tuple[str, ...],
    notice: str,
) -> None:
    verdict = candidate_verdict(kind, START, born, diploma, minimum)
    assert (verdict.standing, verdict.lines, verdict.notice) == (standing, lines, notice)


@pytest.mark.parametrize(("kind", "born", "diploma", "minimum"), [c[:4] for c in CASES])
def test_the_card_agrees_with_the_apply_step(
    kind: str, born: date | None, diploma: int | None, minimum: int
) -> None:
    """Eligible on the card exactly when the apply step lets the candidate through."""
    verdict = candidate_verdict(kind, START, born, diploma, minimum)
    assert verdict.eligible == (not assess_candidate(kind, born, diploma, START).blocking)


def test_a_birthday_gone_by_is_said_in_the_past() -> None:
    born = date(1994, 6, 15)
    past = candidate_verdict("vta", START, born, 7, today=date(2026, 12, 2))
    assert past.lines == (
        f"Non éligible{S}: vous avez eu 31 ans le 15 juin 2025, avant le début de la mission",
    )
    coming = candidate_verdict("vta", START, date(1996, 3, 1), 7, today=date(2026, 12, 2))
    assert coming.lines[0].startswith(f"Non éligible{S}: vous aurez 31 ans le 1er mars 2027")


def test_a_29_february_birthday_counts_on_1_march() -> None:
    assert birthday(date(1996, 2, 29), 31) == date(2027, 3, 1)
    assert birthday(date(1996, 2, 29), 32) == date(2028, 2, 29)
    verdict = candidate_verdict("vta", date(2027, 3, 1), date(1996, 2, 29), 7)
    assert verdict.lines == (
        f"Non éligible{S}: vous aurez 31 ans le 1er mars 2027, avant le début de la mission",
    )
    assert candidate_verdict("vta", date(2027, 2, 28), date(1996, 2, 29), 7).eligible
