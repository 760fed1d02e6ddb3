"""What a save of the offer form does, as a table of cases (no database)."""

from __future__ import annotations

import pytest

from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus as S
from jobboard.domain.offer_save import BLOCKED, SavePlan, kept_override, plan_save
from jobboard.domain.workflow import UNVERIFIED_RECRUITER

OK = {"blocking": False, "role": "recruiter", "verification": "verified"}
BLOCKING = {**OK, "blocking": True}
UNVERIFIED = {**OK, "verification": "pending"}


@pytest.mark.parametrize(
    ("status", "submit", "facts", "plan"),
    [
        # A new offer: created as a draft, then submitted when asked and allowed.
        (None, False, OK, SavePlan(("create",))),
        (None, False, BLOCKING, SavePlan(("create",))),
        (None, True, OK, SavePlan(("create", "submit"))),
        (None, True, BLOCKING, SavePlan(("create",), BLOCKED)),
        (None, True, UNVERIFIED, SavePlan(("create",), UNVERIFIED_RECRUITER)),
        # A draft, or an offer sent back for changes: saved as typed, submitted when allowed.
        (S.DRAFT, False, BLOCKING, SavePlan(("save_draft",))),
        (S.DRAFT, False, UNVERIFIED, SavePlan(("save_draft",))),
        (S.DRAFT, True, OK, SavePlan(("submit",))),
        (S.DRAFT, True, BLOCKING, SavePlan(("save_draft",), BLOCKED)),
        (S.DRAFT, True, UNVERIFIED, SavePlan(("save_draft",), UNVERIFIED_RECRUITER)),
        (S.CHANGES_REQUESTED, True, OK, SavePlan(("submit",))),
        (S.CHANGES_REQUESTED, False, OK, SavePlan(("save_draft",))),
        # In moderation: an edit stays in moderation; published: it goes back there.
        (S.SUBMITTED, False, OK, SavePlan(("edit",))),
        (S.SUBMITTED, True, OK, SavePlan(("edit",))),
        (S.PUBLISHED, False, OK, SavePlan(("edit_published",))),
        (S.PUBLISHED, True, OK, SavePlan(("edit_published",))),
    ],
)
def test_what_a_save_does(
    status: S | None, submit: bool, facts: dict[str, object], plan: SavePlan
) -> None:
    assert plan_save(status, submit=submit, **facts) == plan  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "facts", "message"),
    [
        (S.SUBMITTED, BLOCKING, "Non éligible"),
        (S.PUBLISHED, BLOCKING, "Non éligible"),
        (S.PUBLISHED, UNVERIFIED, "pas encore vérifié"),
        (S.SUBMITTED, {**OK, "verification": "refused"}, "pas encore vérifié"),
        (S.CLOSED, OK, "« Pourvue ou annulée » ne peut plus être modifiée"),
        (S.EXPIRED, OK, "ne peut plus être modifiée"),
        (S.REJECTED, OK, "ne peut plus être modifiée"),
        (S.ARCHIVED, OK, "ne peut plus être modifiée"),
        (None, {**OK, "role": "staff"}, "ne pouvez pas"),  # only recruiters write offers
    ],
)
def test_what_a_save_refuses_outright(
    status: S | None, facts: dict[str, object], message: str
) -> None:
    with pytest.raises(Refused, match=message):
        plan_save(status, submit=True, **facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("saved_commune", "typed_commune", "kept"),
    [("69123", "69123", "Décision du préfet"), ("69123", "05050", ""), ("69123", "", "")],
)
def test_a_derogation_holds_for_its_commune_only(
    saved_commune: str, typed_commune: str, kept: str
) -> None:
    assert kept_override("Décision du préfet", saved_commune, typed_commune) == kept
