"""Recruiters writing offers: save a draft, submit, edit, close; one transaction each.

What a save does is decided by `domain/offer_save.plan_save` (pure); this module reads the
form's verdict, then applies the planned transitions through `transition_offer`. Every save
checks the version the recruiter started from, so two people editing one offer cannot silently
overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from jobboard.domain.eligibility import Assessment, Reason, assess_offer
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.offer import OfferKind, OfferStatus
from jobboard.domain.offer_form import OfferForm, ParsedOffer, parse_offer_form
from jobboard.domain.offer_save import CHECKED_EDIT as CHECKED_EDIT  # the recruiter's pages
from jobboard.domain.offer_save import FREE_EDIT as FREE_EDIT
from jobboard.domain.offer_save import kept_override, plan_save
from jobboard.domain.workflow import OFFER_TRANSITIONS
from jobboard.models import Commune, Offer, Organisation, User
from jobboard.services.offer_themes import set_offer_themes
from jobboard.services.offer_transitions import StaleOffer, transition_offer
from jobboard.services.territory import territory_for
from jobboard.settings import Settings

CLOSE_REASONS = {"pourvu": "Poste pourvu", "annule": "Recrutement annulé"}


class EditConflict(Exception):
    """Someone saved the offer since this form was opened."""

    def __init__(self, current: Offer) -> None:
        super().__init__(current.id)
        self.current = current


@dataclass(frozen=True)
class Checked:
    parsed: ParsedOffer
    assessment: Assessment
    commune: Commune | None


async def allowed_communes(organisation: Organisation) -> list[Commune]:
    """Where the offer may be based: the commune itself, or any member of the EPCI."""
    if organisation.kind == "commune":
        return await Commune.filter(insee=organisation.commune_id)
    return await Commune.filter(epci_id=organisation.epci_id).order_by("name")


async def check_form(
    form: OfferForm,
    organisation: Organisation,
    communes: list[Commune],
    today: date,
    territory_override: str = "",
) -> Checked:
    """The verdict of the form as typed: format problems first, then the eligibility rules."""
    parsed = parse_offer_form(form)
    by_code = {c.insee: c for c in communes}
    if form.commune:
        commune = by_code.get(form.commune)
    else:  # a commune employs in its own territory: nothing to choose
        commune = communes[0] if len(communes) == 1 else None
    territory = await territory_for(commune, organisation) if commune else None
    rules = assess_offer(
        parsed.facts, territory, today, territory_override=bool(territory_override)
    )
    badly_formatted = {r.field for r in parsed.problems}
    reasons: list[Reason] = list(parsed.problems)
    if commune is None:
        message = (
            "Choisissez la commune où se déroule la mission."
            if not form.commune
            else "Cette commune n’appartient pas à votre collectivité."
        )
        reasons.append(Reason("required", "commune", message))
    reasons.extend(
        r
        for r in rules.reasons
        if r.code != "commune_unknown" and not (r.code == "required" and r.field in badly_formatted)
    )
    return Checked(parsed, Assessment(tuple(reasons)), commune)


async def check_offer(offer: Offer, organisation: Organisation, today: date) -> Checked:
    """The verdict of a saved offer as it stands today (its deadline may have passed since)."""
    communes = await allowed_communes(organisation)
    return await check_form(form_of(offer), organisation, communes, today, offer.territory_override)


def _columns(checked: Checked, form: OfferForm, today: date) -> dict[str, Any]:
    """The typed columns; a draft's missing values get neutral placeholders (never shown:
    drafts are private, and nothing leaves the draft state without passing the rules)."""
    facts = checked.parsed.facts
    return {
        "kind": OfferKind(facts.kind) if facts.kind else OfferKind.VTA,
        "title": facts.title[:150],
        "description": facts.description,
        "missions": facts.missions,
        "profile": facts.profile,
        "start_date": facts.start_date or today,
        "duration_months": facts.duration_months or 1,
        "weekly_hours": facts.weekly_hours or Decimal(0),
        "min_diploma_level": facts.min_diploma_level or 0,
        "deadline": facts.deadline or today,
        "salary": form.salary[:300],
        "remote": checked.parsed.remote,
        "contact_email": form.contact_email[:254],
        "form_data": form.as_dict(),
        "eligibility": checked.assessment.as_dict(),
        "eligibility_verdict": checked.assessment.verdict.value,
    }


async def save_offer(
    *,
    user: User,
    organisation: Organisation,
    form: OfferForm,
    offer_id: int | None,
    version: int | None,
    submit: bool,
    today: date,
) -> tuple[Offer, Checked, str]:
    """Create or update the offer; `submit` also sends a draft to moderation.

    Returns the offer, its verdict and, when a submission was asked for but refused, why (the
    draft is saved all the same: nobody loses what they typed). Raises Refused (nothing
    written) when an offer in moderation or published cannot take this change, EditConflict
    when it changed since `version`, NotFound when it is not this collectivité's.
    """
    communes = await allowed_communes(organisation)
    async with in_transaction():
        offer = None if offer_id is None else await _own(offer_id, organisation.id, version)
        override = (
            kept_override(offer.territory_override, offer.commune_id, form.commune)
            if offer is not None
            else ""
        )
        checked = await check_form(form, organisation, communes, today, override)
        plan = plan_save(
            None if offer is None else OfferStatus(offer.status),
            submit=submit,
            blocking=bool(checked.assessment.blocking),
            role=user.role,
            verification=user.verification,
        )
        commune = checked.commune or (communes[0] if communes else None)
        if commune is None:
            raise Refused("Votre collectivité n’a pas de commune de rattachement connue.")
        columns = {
            **_columns(checked, form, today),
            "territory_override": override,
            "commune_id": commune.insee,
        }
        if offer is None:
            offer = Offer(organisation=organisation, created_by=user)
        elif checked.parsed.facts.deadline != offer.deadline:
            columns["deadline_reminder_sent_at"] = None  # a reminder for one deadline
        for action in plan.actions:  # the first one writes the form
            try:
                await transition_offer(
                    offer, action, user, changes=columns, snapshot=form.as_dict(),
                    comment=OFFER_TRANSITIONS[action].label,
                )  # fmt: skip
            except StaleOffer:
                raise EditConflict(await Offer.get(id=offer.id)) from None
            columns = {}
        await set_offer_themes(offer, checked.parsed.facts.themes)
    return offer, checked, plan.refusal


async def _own(offer_id: int, organisation_id: int, version: int | None) -> Offer:
    """The collectivité's offer, locked, still at `version`; NotFound or EditConflict."""
    offer = (
        await Offer.select_for_update().filter(id=offer_id, organisation_id=organisation_id).first()
    )
    if offer is None:
        raise NotFound()
    if offer.version != version:
        raise EditConflict(offer)
    return offer


async def close_offer(user: User, offer_id: int, reason: str, settings: Settings) -> Offer:
    """Close a published offer: position filled or recruitment cancelled."""
    label = CLOSE_REASONS.get(reason)
    if label is None:
        raise Refused("Indiquez si le poste est pourvu ou si le recrutement est annulé.")
    async with in_transaction():
        offer = (
            await Offer.select_for_update()
            .filter(id=offer_id, organisation_id=user.organisation_id)
            .first()
        )
        if offer is None:
            raise NotFound()
        await transition_offer(
            offer, "close", user, comment=label, changes={"close_reason": label},
            settings=settings,
        )  # fmt: skip
    return offer


def form_of(offer: Offer) -> OfferForm:
    """The form to show for an offer: what was typed, or (imported offers) its columns."""
    if isinstance(offer.form_data, dict) and offer.form_data:
        return OfferForm.from_dict(offer.form_data)
    return OfferForm(
        kind=offer.kind,
        title=offer.title,
        commune=offer.commune_id,
        description=offer.description,
        missions=offer.missions,
        profile=offer.profile,
        themes=list(offer.themes),
        start_date=offer.start_date.isoformat(),
        duration_months=str(offer.duration_months),
        weekly_hours=f"{offer.weekly_hours:f}".rstrip("0").rstrip("."),
        min_diploma_level=str(offer.min_diploma_level),
        deadline=offer.deadline.isoformat(),
        salary=offer.salary,
        remote=offer.remote,
        contact_email=offer.contact_email,
    )
