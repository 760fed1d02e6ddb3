"""The recruiter's space: the offers of their collectivité, by state.

Every query goes through `organisation_offers`, so a recruiter never reaches another
collectivité's offers: those answer 404, as if they did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import anyio.to_thread
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.queryset import QuerySet

from jobboard.clock import today
from jobboard.domain.account import Role, Verification
from jobboard.domain.diploma import DIPLOMA_LEVELS, diploma_label
from jobboard.domain.eligibility import Reason, Verdict
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.next_step import StepTarget, next_step
from jobboard.domain.offer import (
    DESCRIPTION_MAX_LENGTH,
    THEMES,
    OfferKind,
    OfferStatus,
    RemoteWork,
)
from jobboard.domain.offer_form import KIND_HINTS, OfferForm
from jobboard.domain.parsing import parse_int
from jobboard.markdown import render_offer_texts
from jobboard.models import Commune, Offer, OfferEvent, Organisation, User
from jobboard.services import offer_editing, proposals, recruiter_overview
from jobboard.web import htmx
from jobboard.web.auth import signed_in, user_of
from jobboard.web.csrf import limited_receive
from jobboard.web.forms import form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates

NEW_OFFER_PATH = "/espace/recruteur/offres/nouvelle"

STATUS_ORDER = (
    OfferStatus.DRAFT,
    OfferStatus.CHANGES_REQUESTED,
    OfferStatus.SUBMITTED,
    OfferStatus.PUBLISHED,
    OfferStatus.CLOSED,
    OfferStatus.EXPIRED,
    OfferStatus.REJECTED,
    OfferStatus.ARCHIVED,
)


def organisation_offers(user: User) -> QuerySet[Offer]:
    """The offers a recruiter may see: those of their own collectivité, whoever wrote them.

    Until staff verify the account, only the offers this recruiter wrote: anyone can sign up
    for any commune, and must not read its drafts by doing so.
    """
    offers = Offer.filter(organisation_id=user.organisation_id)
    if user.verification != Verification.VERIFIED:
        offers = offers.filter(created_by_id=user.id)
    return offers


@signed_in(Role.RECRUITER)
async def recruiter_home(request: Request) -> Response:
    user = user_of(request)
    organisation = await Organisation.get(id=user.organisation_id)
    offers = await organisation_offers(user).order_by("-updated_at").select_related("commune")
    groups = [
        (status, [o for o in offers if o.status == status])
        for status in STATUS_ORDER
        if any(o.status == status for o in offers)
    ]
    # Only verified recruiters read applications (web/pipeline.py): others get no counts.
    verified = user.verification == Verification.VERIFIED
    counts = (
        await recruiter_overview.application_counts(user.id, [o.id for o in offers])
        if verified
        else {}
    )
    comments = await recruiter_overview.latest_comments(
        [o.id for o in offers if o.status in recruiter_overview.COMMENTED]
    )
    steps = {
        o.id: next_step(
            OfferStatus(o.status),
            new_applications=counts[o.id].new if o.id in counts else 0,
            comment=comments.get(o.id, ""),
        )
        for o in offers
    }
    return templates().page(
        request,
        "recruiter/home.html",
        {
            "user": user,
            "organisation": organisation,
            "groups": groups,
            "count": len(offers),
            "counts": counts,
            "steps": steps,
            "StepTarget": StepTarget,
        },
    )


@signed_in(Role.RECRUITER)
async def recruiter_offer(request: Request) -> Response:
    """One offer of the collectivité: its state, its verdict today, what to do next."""
    user = user_of(request)
    offer = await _own_offer(user, str(request.path_params["offer_id"]))
    return await _offer_page(request, user, offer)


async def _offer_page(
    request: Request, user: User, offer: Offer, *, alert: str = "", status_code: int = 200
) -> Response:
    organisation = await _organisation(user)
    checked = await offer_editing.check_offer(offer, organisation, today())
    last_comment = ""
    if offer.status in (OfferStatus.CHANGES_REQUESTED, OfferStatus.REJECTED):
        event = (
            await OfferEvent.filter(offer_id=offer.id, to_status=offer.status)
            .order_by("-id")
            .first()
        )
        last_comment = event.comment if event else ""
    facts = checked.parsed.facts
    return templates().page(
        request,
        "recruiter/offer.html",
        {
            "user": user,
            "offer": offer,
            "facts": facts,
            "verdict": checked.assessment.verdict,
            "reasons": [r for r in checked.assessment.reasons if r.verdict is not Verdict.ELIGIBLE],
            "last_comment": last_comment,
            "alert": alert,
            "html": await _rendered(facts),
            "may_propose": offer.status == OfferStatus.PUBLISHED
            and await proposals.recruiter_may_propose(user, offer),
        },
        status_code=status_code,
    )


# Writing offers


FIELD_LABELS = {
    "kind": "Type d’offre",
    "title": "Intitulé du poste",
    "commune": "Commune de la mission",
    "employer": "Commune de la mission",
    "description": "Le poste et son contexte",
    "missions": "Missions",
    "profile": "Profil recherché",
    "themes": "Thématiques",
    "start_date": "Date de prise de poste",
    "duration_months": "Durée du contrat",
    "weekly_hours": "Durée hebdomadaire",
    "min_diploma_level": "Diplôme minimum",
    "deadline": "Date limite de candidature",
    "salary": "Rémunération",
    "remote": "Télétravail",
    "contact_email": "Contact",
}
# The rule "employer" is about the commune of the mission: its messages sit under that field.
FIELD_ANCHORS = {"employer": "commune"}


async def _organisation(user: User) -> Organisation:
    return await Organisation.get(id=user.organisation_id)


# Three texts of DESCRIPTION_MAX_LENGTH characters, URL-encoded, and the other fields fit.
OFFER_FORM_MAX_BYTES = 1024 * 1024
_FORM_TOO_LONG = (
    f"Le formulaire est trop long : chaque texte compte {DESCRIPTION_MAX_LENGTH:_} caractères "
    "au plus.".replace("_", "\u202f")
)


async def _read_form(request: Request) -> tuple[OfferForm, Mapping[str, str]]:
    """The offer form, its size bounded (the live check posts it on every keystroke)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > OFFER_FORM_MAX_BYTES:
        raise HTTPException(413, _FORM_TOO_LONG)
    bounded = Request(request.scope, limited_receive(request.receive, OFFER_FORM_MAX_BYTES))
    fields = await form_fields(bounded, too_large=_FORM_TOO_LONG)
    return OfferForm.from_fields(fields, fields.getlist("themes")), fields


async def _rendered(source: object) -> dict[str, Markup]:
    """Markdown rendering is CPU work: in a thread, so the event loop keeps serving."""
    return await anyio.to_thread.run_sync(render_offer_texts, source)


def _form_context(
    *,
    form: OfferForm,
    previews: dict[str, Markup],
    checked: offer_editing.Checked,
    communes: list[Commune],
    offer: Offer | None,
    version: int | None,
    show_required: bool,
    alert: str = "",
    conflict: Offer | None = None,
    creating: bool = False,
    pristine: bool = False,
) -> dict[str, Any]:
    """`creating`: the page is at the new-offer address (its heading says so, even once a
    refused submit saved a draft); `pristine`: nothing typed nor saved yet, so the verdict
    reads « À compléter » instead of listing every empty field as a failed rule."""
    reasons = checked.assessment.reasons
    by_field: dict[str, list[Reason]] = {}
    for reason in reasons:
        if reason.code == "required" and not show_required:
            continue
        by_field.setdefault(FIELD_ANCHORS.get(reason.field, reason.field), []).append(reason)
    return {
        "form": form,
        "assessment": checked.assessment,
        "by_field": by_field,
        "labels": FIELD_LABELS,
        "anchors": FIELD_ANCHORS,
        "hints": KIND_HINTS.get(form.kind, {}),
        "communes": communes,
        "offer": offer,
        "version": version,
        "kinds": [(k.value, k.label) for k in OfferKind],
        "themes": list(THEMES.items()),
        "diploma_levels": list(DIPLOMA_LEVELS.items()),
        "remote_choices": [(r.value, r.label) for r in RemoteWork],
        "alert": alert,
        "conflict": conflict,
        "creating": creating,
        "pristine": pristine,
        "oob": False,
        "previews": previews,
    }


async def _form_page(
    request: Request,
    user: User,
    form: OfferForm,
    offer: Offer | None,
    *,
    version: int | None,
    status_code: int = 200,
    show_required: bool = False,
    alert: str = "",
    conflict: Offer | None = None,
    pristine: bool = False,
) -> Response:
    organisation = await _organisation(user)
    communes = await offer_editing.allowed_communes(organisation)
    if not form.commune and len(communes) == 1:
        form.commune = communes[0].insee
    checked = await offer_editing.check_form(
        form, organisation, communes, today(), offer.territory_override if offer else ""
    )
    context = _form_context(
        form=form,
        previews=await _rendered(form),
        checked=checked,
        communes=communes,
        offer=offer,
        version=version,
        show_required=show_required,
        alert=alert,
        conflict=conflict,
        creating=request.url.path == NEW_OFFER_PATH,
        pristine=pristine,
    )
    return templates().page(request, "recruiter/offer_form.html", context, status_code=status_code)


async def _own_offer(user: User, raw_id: str) -> Offer:
    offer_id = parse_int(raw_id)
    offer = (
        await organisation_offers(user).filter(id=offer_id).select_related("commune").first()
        if offer_id is not None
        else None
    )
    if offer is None:
        raise NotFound()
    return offer


_SAVED_MESSAGES = {
    OfferStatus.DRAFT: "Brouillon enregistré.",
    OfferStatus.CHANGES_REQUESTED: (
        "Modifications enregistrées. Soumettez l’offre quand elle est prête."
    ),
    OfferStatus.SUBMITTED: (
        "L’offre est envoyée à l’ANCT pour modération. Vous recevrez sa décision par e-mail."
    ),
}
_REPUBLISH_MESSAGE = (
    "Modifications enregistrées : l’offre est retirée du site le temps que l’ANCT les valide."
)


async def _save(request: Request, user: User, offer: Offer | None) -> Response:
    form, fields = await _read_form(request)
    action = fields.get("action", "enregistrer")
    version = parse_int(fields.get("version", "")) if offer is not None else None
    organisation = await _organisation(user)
    try:
        saved, _, refusal = await offer_editing.save_offer(
            user=user,
            organisation=organisation,
            form=form,
            offer_id=offer.id if offer else None,
            version=version,
            submit=action == "soumettre",
            today=today(),
        )
    except offer_editing.EditConflict as conflict:
        return await _form_page(
            request,
            user,
            form,
            conflict.current,
            version=conflict.current.version,
            status_code=409,
            show_required=True,
            conflict=conflict.current,
        )
    except Refused as refused:
        return await _form_page(
            request,
            user,
            form,
            offer,
            version=version,
            status_code=400,
            show_required=True,
            alert=refused.message,
        )
    if refusal:  # submission refused, but what was typed is saved as a draft
        return await _form_page(
            request,
            user,
            form,
            saved,
            version=saved.version,
            status_code=400,
            show_required=True,
            alert=f"{refusal} Votre brouillon est enregistré.",
        )
    if action == "apercu" and saved.status in offer_editing.FREE_EDIT:
        return RedirectResponse(f"/espace/recruteur/offres/{saved.id}/apercu", status_code=303)
    if offer is not None and offer.status == OfferStatus.PUBLISHED:
        flash(request, _REPUBLISH_MESSAGE, "info")
    else:
        flash(request, _SAVED_MESSAGES.get(OfferStatus(saved.status), "Offre enregistrée."))
    return RedirectResponse(f"/espace/recruteur/offres/{saved.id}", status_code=303)


@signed_in(Role.RECRUITER)
async def offer_new(request: Request) -> Response:
    user = user_of(request)
    if request.method == "POST":
        return await _save(request, user, None)
    model = request.query_params.get("modele", "")
    if model:
        # « Republier »: a new draft written from one of the collectivité's offers, its dates
        # left to fill in (the old ones have passed).
        form = replace(
            offer_editing.form_of(await _own_offer(user, model)), start_date="", deadline=""
        )
        return await _form_page(request, user, form, None, version=None)
    return await _form_page(request, user, OfferForm(), None, version=None, pristine=True)


@signed_in(Role.RECRUITER)
async def offer_edit(request: Request) -> Response:
    user = user_of(request)
    offer = await _own_offer(user, str(request.path_params["offer_id"]))
    if offer.status not in offer_editing.FREE_EDIT | offer_editing.CHECKED_EDIT:
        raise Refused("Cette offre ne peut plus être modifiée.")
    if request.method == "POST":
        return await _save(request, user, offer)
    return await _form_page(
        request, user, offer_editing.form_of(offer), offer, version=offer.version
    )


@signed_in(Role.RECRUITER)
async def offer_check(request: Request) -> Response:
    """The live verdict: the panel plus every field's messages (htmx, out of band)."""
    if not htmx.is_htmx(request):
        raise Refused("Cette adresse sert à la vérification en direct du formulaire.")
    user = user_of(request)
    form, fields = await _read_form(request)
    organisation = await _organisation(user)
    communes = await offer_editing.allowed_communes(organisation)
    offer_id = parse_int(fields.get("offer_id", ""))
    offer = await organisation_offers(user).filter(id=offer_id).first() if offer_id else None
    override = offer.territory_override if offer else ""
    checked = await offer_editing.check_form(form, organisation, communes, today(), override)
    context = _form_context(
        form=form,
        previews=await _rendered(form),
        checked=checked,
        communes=communes,
        offer=None,
        version=None,
        show_required=False,
    )
    context["oob"] = True
    return templates().page(
        request,
        "recruiter/offer_form.html",
        context,
        fragment_blocks=["verdict", "field_messages", "verdict_compact"],
    )


@signed_in(Role.RECRUITER)
async def offer_preview(request: Request) -> Response:
    """The offer exactly as candidates will see it, drafts included."""
    user = user_of(request)
    offer = await _own_offer(user, str(request.path_params["offer_id"]))
    organisation = await _organisation(user)
    form = offer_editing.form_of(offer)
    checked = await offer_editing.check_offer(offer, organisation, today())
    commune = await Commune.get(
        insee=checked.commune.insee if checked.commune else offer.commune_id
    ).select_related("departement", "region")
    facts = checked.parsed.facts
    # Not a model instance: a draft may lack values a saved offer cannot lack.
    shown = SimpleNamespace(
        id=offer.id,
        kind=facts.kind or offer.kind,
        status=offer.status,
        title=facts.title or "(intitulé à compléter)",
        description=facts.description,
        missions=facts.missions,
        profile=facts.profile,
        themes=list(facts.themes),
        start_date=facts.start_date,
        duration_months=facts.duration_months,
        weekly_hours=facts.weekly_hours,
        min_diploma_level=facts.min_diploma_level,
        deadline=facts.deadline,
        salary=form.salary,
        remote=checked.parsed.remote,
        contact_email=form.contact_email,
        close_reason="",
        commune=commune,
        organisation=organisation,
    )
    return templates().page(
        request,
        "offers/detail.html",
        {
            "offer": shown,
            "expired": False,
            "closed": False,
            "can_apply": False,
            "diploma": diploma_label(facts.min_diploma_level),
            "html": await _rendered(facts),
            "today": today(),
            "preview": {"assessment": checked.assessment, "offer_id": offer.id},
        },
    )


@signed_in(Role.RECRUITER)
async def offer_close(request: Request) -> Response:
    user = user_of(request)
    offer = await _own_offer(user, str(request.path_params["offer_id"]))
    fields = await form_fields(request)
    try:
        await offer_editing.close_offer(
            user, offer.id, fields.get("reason", ""), request.app.state.settings
        )
    except Refused as refused:
        return await _offer_page(request, user, offer, alert=refused.message, status_code=400)
    flash(request, "L’offre est close : elle n’apparaît plus dans les résultats de recherche.")
    return RedirectResponse(f"/espace/recruteur/offres/{offer.id}", status_code=303)
