"""What saving the recruiter's offer form does: the branching of `save_offer`, pure.

A draft saves whatever was typed, even incomplete or ineligible; asking to submit it also sends
it to moderation when no rule blocks and the account is verified, and otherwise saves it as a
draft and says why. An offer in moderation or published is in front of staff or candidates:
a change is saved only when nothing blocks, and an edit of a published offer sends it back to
moderation. Other states cannot be edited.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus as S
from jobboard.domain.workflow import check_actor

# Saved as typed, valid or not.
FREE_EDIT = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
# Saved only when nothing blocks: they are in front of staff or candidates.
CHECKED_EDIT = frozenset({S.SUBMITTED, S.PUBLISHED})

BLOCKED = (
    "L’offre ne peut pas être soumise tant qu’une règle n’est pas respectée : "
    "corrigez les points marqués « Non éligible »."
)


@dataclass(frozen=True)
class SavePlan:
    actions: tuple[str, ...]  # offer transitions to apply, in order (the first saves the form)
    refusal: str = ""  # why a submission asked for did not happen; the draft is saved anyway


def kept_override(saved_override: str, saved_commune: str, typed_commune: str) -> str:
    """A territorial dérogation was granted for one commune: it holds while the offer stays
    there, and lapses when the recruiter moves it elsewhere."""
    return saved_override if typed_commune == saved_commune else ""


def plan_save(
    status: S | None, *, submit: bool, blocking: bool, role: str, verification: str
) -> SavePlan:
    """The transitions a save makes, from the offer's status (None: a new offer), whether a
    submission was asked for, whether a rule blocks, and who saves. Raises Refused
    when the change cannot be saved at all (nothing is written then)."""
    if status is not None and status not in FREE_EDIT | CHECKED_EDIT:
        raise Refused(f"Une offre à l’état « {status.label} » ne peut plus être modifiée.")
    if status in CHECKED_EDIT:
        action = "edit_published" if status is S.PUBLISHED else "edit"
        refusal = _refusal(action, blocking, role, verification)
        if refusal:
            raise Refused(refusal)  # in front of staff or candidates: keep it valid
        return SavePlan((action,))
    saved = ("create",) if status is None else ("save_draft",)
    check_actor(saved[0], role, verification)  # a draft is saved as typed, by its recruiters
    if not submit:
        return SavePlan(saved)
    refusal = _refusal("submit", blocking, role, verification)
    if refusal:
        return SavePlan(saved, refusal)
    return SavePlan(("create", "submit") if status is None else ("submit",))


def _refusal(action: str, blocking: bool, role: str, verification: str) -> str:
    if blocking:
        return BLOCKED
    try:
        check_actor(action, role, verification)
    except Refused as refused:
        return str(refused)
    return ""
