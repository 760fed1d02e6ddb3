"""ANCT staff decisions on offers: approve, request changes, reject, unpublish, override.

Each decision locks the offer, checks that it is still the version the moderator looked at
(two moderators cannot both act), and applies the transition (services/offer_transitions.py:
log row with a snapshot of what was judged, search change, e-mail to the collectivité's
recruiters) in one transaction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from tortoise.transactions import in_transaction

from jobboard.domain.account import Role
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.offer import OfferStatus
from jobboard.domain.offer_form import OfferForm
from jobboard.domain.workflow import OFFER_TRANSITIONS, next_status
from jobboard.models import Offer, OfferEvent, Organisation, User
from jobboard.services.offer_editing import allowed_communes, check_form, check_offer, form_of
from jobboard.services.offer_transitions import StaleOffer, transition_offer
from jobboard.settings import Settings

# Which decisions need a written comment, and what the form says when it is missing.
COMMENT_REQUIRED = {
    "request_changes": "Indiquez les modifications attendues : elles sont envoyées au recruteur.",
    "reject": "Indiquez le motif du refus : il est envoyé au recruteur.",
    "unpublish": "Indiquez pourquoi l’offre est dépubliée : le motif est envoyé au recruteur.",
}
DECISIONS = ("approve", "request_changes", "reject", "unpublish")
COMMENT_MAX_LENGTH = 5000
# A dérogation answers these rules only, on offers not yet decided.
TERRITORY_CODES = frozenset({"density_dense", "density_intermediate_large"})
OVERRIDABLE = OFFER_TRANSITIONS["override"].sources


class AlreadyDecided(Exception):
    """Another moderator (or the recruiter) changed the offer since this page was loaded."""

    def __init__(self, offer: Offer) -> None:
        super().__init__(offer.id)
        self.offer = offer


async def _locked(offer_id: int, version: int | None) -> Offer:
    offer = await Offer.select_for_update().get_or_none(id=offer_id)
    if offer is None:
        raise NotFound()
    if offer.version != version:
        raise AlreadyDecided(offer)
    return offer


async def decide(
    offer_id: int,
    action: str,
    staff: User,
    *,
    comment: str,
    version: int | None,
    settings: Settings,
    today: date,
) -> Offer:
    """Apply a staff decision; Refused (French) or AlreadyDecided, nothing written."""
    if action not in DECISIONS:
        raise Refused("Décision inconnue.")
    comment = comment.strip()
    if action in COMMENT_REQUIRED and not comment:
        raise Refused(COMMENT_REQUIRED[action], "comment")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise Refused(f"{COMMENT_MAX_LENGTH} caractères au maximum.", "comment")
    async with in_transaction():
        offer = await _locked(offer_id, version)
        # The state first: an approval of a published offer is refused as such
        next_status(action, OfferStatus(offer.status))
        organisation = await Organisation.get(id=offer.organisation_id)
        form = form_of(offer)
        checked = await check_offer(offer, organisation, today)
        if action == "approve" and checked.assessment.blocking:
            raise Refused(
                "Cette offre ne respecte pas une règle « Non éligible » : demandez une "
                "modification, refusez-la, ou accordez une dérogation territoriale motivée."
            )
        await _apply(
            offer, action, staff, comment=comment, snapshot=form.as_dict(), settings=settings,
            changes={
                "eligibility": checked.assessment.as_dict(),
                "eligibility_verdict": checked.assessment.verdict.value,
            },
        )  # fmt: skip
    return offer


async def _apply(offer: Offer, action: str, staff: User, **details: Any) -> None:
    try:
        await transition_offer(offer, action, staff, **details)
    except StaleOffer:
        raise AlreadyDecided(await Offer.get(id=offer.id)) from None


async def override_territory(
    offer_id: int, staff: User, *, justification: str, version: int | None, today: date
) -> Offer:
    """Accept a territory the rules call ineligible; the written reason goes to the log."""
    justification = justification.strip()
    if not justification:
        raise Refused(
            "Une dérogation doit être justifiée par écrit (décision préfectorale, contexte…).",
            "justification",
        )
    if len(justification) > COMMENT_MAX_LENGTH:
        raise Refused(f"{COMMENT_MAX_LENGTH} caractères au maximum.", "justification")
    async with in_transaction():
        offer = await _locked(offer_id, version)
        if OfferStatus(offer.status) not in OVERRIDABLE:
            raise Refused(
                f"Une offre à l’état « {OfferStatus(offer.status).label} » ne peut pas "
                "recevoir de dérogation."
            )
        organisation = await Organisation.get(id=offer.organisation_id)
        communes = await allowed_communes(organisation)
        before = await check_form(form_of(offer), organisation, communes, today)
        if not any(r.code in TERRITORY_CODES for r in before.assessment.blocking):
            raise Refused(
                "Le territoire de cette offre n’est pas refusé par les règles : "
                "aucune dérogation n’est nécessaire."
            )
        checked = await check_form(form_of(offer), organisation, communes, today, justification)
        await _apply(
            offer, "override", staff, comment=f"Dérogation territoriale : {justification}",
            snapshot=form_of(offer).as_dict(),
            changes={
                "territory_override": justification,
                "eligibility": checked.assessment.as_dict(),
                "eligibility_verdict": checked.assessment.verdict.value,
            },
        )  # fmt: skip
    return offer


# What changed since staff last judged the offer.

FIELD_LABELS = {
    "kind": "Type d’offre",
    "title": "Intitulé",
    "commune": "Commune (code INSEE)",
    "description": "Le poste et son contexte",
    "missions": "Missions",
    "profile": "Profil recherché",
    "themes": "Thématiques",
    "start_date": "Prise de poste",
    "duration_months": "Durée (mois)",
    "weekly_hours": "Heures par semaine",
    "min_diploma_level": "Diplôme minimum",
    "deadline": "Date limite",
    "salary": "Rémunération",
    "remote": "Télétravail",
    "contact_email": "Contact",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str

    @property
    def html(self) -> Markup:
        """Word-level differences: removed words in <del>, added ones in <ins>."""
        parts: list[str] = []
        before, after = self.before.split(" "), self.after.split(" ")
        matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                parts.append(str(escape(" ".join(before[i1:i2]))))
                continue
            if i2 > i1:
                parts.append(f"<del>{escape(' '.join(before[i1:i2]))}</del>")
            if j2 > j1:
                parts.append(f"<ins>{escape(' '.join(after[j1:j2]))}</ins>")
        return Markup(" ".join(parts))  # noqa: S704 - every piece escaped above


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value or "")


async def changes_since_last_review(offer: Offer) -> list[FieldChange] | None:
    """None when staff never judged this offer; else the fields changed since their last look."""
    events = await OfferEvent.filter(offer_id=offer.id, actor__role=Role.STAFF).order_by("-id")
    last = next((e for e in events if isinstance(e.snapshot, dict) and e.snapshot), None)
    if last is None:
        return None
    before = OfferForm.from_dict(last.snapshot).as_dict()
    after = form_of(offer).as_dict()
    return [
        FieldChange(name, FIELD_LABELS.get(name, name), _text(before[name]), _text(after[name]))
        for name in FIELD_LABELS
        if _text(before.get(name)) != _text(after.get(name))
    ]


def action_label(action: str) -> str:
    return OFFER_TRANSITIONS[action].label
