"""ANCT staff decisions on offers: approve, request changes, reject, unpublish, override.

Each decision locks the offer, checks that it is still the version the moderator looked at
(two moderators cannot both act), writes the log row with a snapshot of what was judged, tells
the search index, and queues the e-mail to the collectivité's recruiters: one transaction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from jobboard.domain.offer import OfferStatus
from jobboard.domain.offer_form import OfferForm
from jobboard.domain.workflow import OFFER_TRANSITIONS, TransitionRefused, next_status
from jobboard.mail import queue_email
from jobboard.models import Offer, OfferEvent, Organisation, User
from jobboard.services.applications import make_applications_obsolete
from jobboard.services.offer_editing import allowed_communes, check_form, check_offer, form_of
from jobboard.services.offer_workflow import record_search_change
from jobboard.settings import Settings

# Which decisions need a written comment, and what the form says when it is missing.
COMMENT_REQUIRED = {
    "request_changes": "Indiquez les modifications attendues : elles sont envoyées au recruteur.",
    "reject": "Indiquez le motif du refus : il est envoyé au recruteur.",
    "unpublish": "Indiquez pourquoi l'offre est dépubliée : le motif est envoyé au recruteur.",
}
EMAILS = {
    "approve": "offer_approved",
    "request_changes": "offer_changes_requested",
    "reject": "offer_rejected",
    "unpublish": "offer_unpublished",
}
DECISIONS = tuple(EMAILS)
COMMENT_MAX_LENGTH = 5000
# A dérogation answers these rules only, on offers not yet decided.
TERRITORY_CODES = frozenset({"density_dense", "density_intermediate_large"})
OVERRIDABLE = frozenset({OfferStatus.DRAFT, OfferStatus.CHANGES_REQUESTED, OfferStatus.SUBMITTED})


class DecisionRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyDecided(Exception):
    """Another moderator (or the recruiter) changed the offer since this page was loaded."""

    def __init__(self, offer: Offer) -> None:
        super().__init__(offer.id)
        self.offer = offer


async def _locked(offer_id: int, version: int | None) -> Offer:
    offer = await Offer.select_for_update().get_or_none(id=offer_id)
    if offer is None:
        raise LookupError(offer_id)
    if offer.version != version:
        raise AlreadyDecided(offer)
    return offer


async def recruiters_of(organisation_id: int) -> list[User]:
    return await User.filter(
        organisation_id=organisation_id, role="recruiter", is_active=True
    ).order_by("id")


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
    """Apply a staff decision; DecisionRefused (French) or AlreadyDecided, nothing written."""
    if action not in DECISIONS:
        raise DecisionRefused("Décision inconnue.")
    comment = comment.strip()
    if action in COMMENT_REQUIRED and not comment:
        raise DecisionRefused(COMMENT_REQUIRED[action], "comment")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise DecisionRefused(f"{COMMENT_MAX_LENGTH} caractères au maximum.", "comment")
    async with in_transaction():
        offer = await _locked(offer_id, version)
        source = OfferStatus(offer.status)
        try:
            target = next_status(action, source)
        except TransitionRefused as refused:
            raise DecisionRefused(str(refused)) from None
        organisation = await Organisation.get(id=offer.organisation_id)
        form = form_of(offer)
        checked = await check_offer(offer, organisation, today)
        if action == "approve" and checked.assessment.blocking:
            raise DecisionRefused(
                "Cette offre ne respecte pas une règle « Non éligible » : demandez une "
                "modification, refusez-la, ou accordez une dérogation territoriale motivée."
            )
        moment = now()
        offer.status = target
        offer.version += 1
        offer.eligibility = checked.assessment.as_dict()
        offer.eligibility_verdict = checked.assessment.verdict.value
        fields = ["status", "version", "eligibility", "eligibility_verdict", "updated_at"]
        if target is OfferStatus.PUBLISHED:
            offer.published_at = moment
            fields.append("published_at")
        await offer.save(update_fields=fields)
        await OfferEvent.create(
            offer=offer,
            actor=staff,
            from_status=source,
            to_status=target,
            comment=comment,
            snapshot=form.as_dict(),
        )
        await record_search_change(offer.id)
        if target is OfferStatus.REJECTED:
            await make_applications_obsolete(offer, "offre refusée par l'ANCT", settings)
        for recruiter in await recruiters_of(offer.organisation_id):
            await queue_email(
                recruiter.email,
                EMAILS[action],
                {"user": recruiter, "offer": offer, "comment": comment},
                settings,
            )
    return offer


async def override_territory(
    offer_id: int, staff: User, *, justification: str, version: int | None, today: date
) -> Offer:
    """Accept a territory the rules call ineligible; the written reason goes to the log."""
    justification = justification.strip()
    if not justification:
        raise DecisionRefused(
            "Une dérogation doit être justifiée par écrit (décision préfectorale, contexte…).",
            "justification",
        )
    if len(justification) > COMMENT_MAX_LENGTH:
        raise DecisionRefused(f"{COMMENT_MAX_LENGTH} caractères au maximum.", "justification")
    async with in_transaction():
        offer = await _locked(offer_id, version)
        if OfferStatus(offer.status) not in OVERRIDABLE:
            raise DecisionRefused(
                f"Une offre à l'état « {OfferStatus(offer.status).label} » ne peut pas "
                "recevoir de dérogation."
            )
        organisation = await Organisation.get(id=offer.organisation_id)
        communes = await allowed_communes(organisation)
        before = await check_form(form_of(offer), organisation, communes, today)
        if not any(r.code in TERRITORY_CODES for r in before.assessment.blocking):
            raise DecisionRefused(
                "Le territoire de cette offre n'est pas refusé par les règles : "
                "aucune dérogation n'est nécessaire."
            )
        checked = await check_form(form_of(offer), organisation, communes, today, justification)
        offer.territory_override = justification
        offer.version += 1
        offer.eligibility = checked.assessment.as_dict()
        offer.eligibility_verdict = checked.assessment.verdict.value
        await offer.save(
            update_fields=[
                "territory_override", "version", "eligibility", "eligibility_verdict",
                "updated_at",
            ]
        )  # fmt: skip
        await OfferEvent.create(
            offer=offer,
            actor=staff,
            from_status=offer.status,
            to_status=offer.status,
            comment=f"Dérogation territoriale : {justification}",
            snapshot=form_of(offer).as_dict(),
        )
    return offer


# What changed since staff last judged the offer.

FIELD_LABELS = {
    "kind": "Type d'offre",
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
    events = await OfferEvent.filter(offer_id=offer.id, actor__role="staff").order_by("-id")
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
