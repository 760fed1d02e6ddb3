"""ANCT staff: the moderation queue, decisions on offers, recruiter accounts to verify."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from tortoise.queryset import QuerySet

from jobboard.clock import PARIS, now, start_of_day, today
from jobboard.domain.account import Role, Verification
from jobboard.domain.diploma import diploma_label
from jobboard.domain.eligibility import Verdict
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.offer import KIND_SHORT_LABELS, OfferKind, OfferStatus
from jobboard.domain.parsing import parse_date, parse_int
from jobboard.domain.workflow import OFFER_TRANSITIONS
from jobboard.markdown import render_offer_texts
from jobboard.models import Application, Commune, Departement, Offer, OfferEvent, User
from jobboard.services import accounts, moderation, statistics
from jobboard.services.offer_editing import check_offer
from jobboard.settings import Settings
from jobboard.web.auth import signed_in, user_of
from jobboard.web.forms import clean_text, form_fields
from jobboard.web.session import flash
from jobboard.web.state import templates


async def _accounts_page(
    request: Request,
    errors: dict[int, str] | None = None,
    reasons: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    recruiters = await accounts.pending_recruiters()
    recent = (
        await User.filter(
            role=Role.RECRUITER, verification__in=(Verification.VERIFIED, Verification.REFUSED)
        )
        .select_related("organisation")
        .order_by("-id")
        .limit(20)
    )
    return templates().page(
        request,
        "moderation/accounts.html",
        {
            "recruiters": recruiters,
            "recent": recent,
            "errors": errors or {},
            "reasons": reasons or {},
        },
        status_code=status_code,
    )


@signed_in(Role.STAFF)
async def account_queue(request: Request) -> Response:
    return await _accounts_page(request)


@signed_in(Role.STAFF)
async def account_decide(request: Request) -> Response:
    recruiter_id = parse_int(str(request.path_params["user_id"]))
    if recruiter_id is None:
        raise NotFound()
    form = await form_fields(request)
    decision = form.get("decision")
    reason = str(form.get("reason", ""))
    if decision not in ("verifier", "refuser"):
        raise Refused("Choisissez « Vérifier » ou « Refuser ».")
    settings: Settings = request.app.state.settings
    try:
        recruiter = await accounts.decide_recruiter(
            recruiter_id,
            user_of(request),
            verify=decision == "verifier",
            reason=reason,
            settings=settings,
        )
    except accounts.FormInvalid as invalid:
        return await _accounts_page(
            request, {recruiter_id: invalid.errors["reason"]}, {recruiter_id: reason}, 400
        )
    except NotFound:
        flash(request, "Ce compte a déjà été traité ou n'existe pas.", "warning")
        return RedirectResponse("/moderation/comptes", status_code=303)
    if recruiter.verification == Verification.VERIFIED:
        flash(request, f"Le compte de {recruiter.full_name} est vérifié ; un e-mail l'en informe.")
    else:
        flash(
            request,
            f"Le compte de {recruiter.full_name} est refusé ; le motif lui est envoyé.",
            "info",
        )
    return RedirectResponse("/moderation/comptes", status_code=303)


# Offers


def _waited(since: datetime | None, moment: datetime) -> str:
    if since is None:
        return ""
    hours = int((moment - since).total_seconds() // 3600)
    if hours < 1:
        return "moins d'une heure"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} jours"


@dataclass
class QueueFilters:
    kind: str = ""
    departement: str = ""
    verdict: str = ""
    errors: list[str] = field(default_factory=list)


async def _queue_filters(request: Request) -> QueueFilters:
    params = request.query_params
    filters = QueueFilters()
    kind = params.get("type", "")
    if kind in {k.value for k in OfferKind}:
        filters.kind = kind
    elif kind:
        filters.errors.append("Type d'offre inconnu : le filtre est ignoré.")
    verdict = params.get("verdict", "")
    if verdict in {v.value for v in Verdict}:
        filters.verdict = verdict
    elif verdict:
        filters.errors.append("Verdict inconnu : le filtre est ignoré.")
    departement = clean_text(params.get("departement", ""))
    if departement and await Departement.exists(code=departement[:3]):
        filters.departement = departement[:3]
    elif departement:
        filters.errors.append("Département inconnu : le filtre est ignoré.")
    return filters


def _filtered(query: QuerySet[Offer], filters: QueueFilters) -> QuerySet[Offer]:
    if filters.kind:
        query = query.filter(kind=filters.kind)
    if filters.departement:
        query = query.filter(commune__departement_id=filters.departement)
    if filters.verdict:
        query = query.filter(eligibility_verdict=filters.verdict)
    return query


@signed_in(Role.STAFF)
async def offer_queue(request: Request) -> Response:
    """Submitted offers, oldest first, with how long each has waited."""
    filters = await _queue_filters(request)
    offers = (
        await _filtered(Offer.filter(status=OfferStatus.SUBMITTED), filters)
        .select_related("commune__departement", "organisation")
        .order_by("submitted_at", "id")
    )
    moment = now()
    rows = [
        {
            "offer": offer,
            "waited": _waited(offer.submitted_at, moment),
            "to_review": [
                r["message"] for r in _reasons(offer) if r.get("verdict") == Verdict.TO_REVIEW.value
            ],
            "blocking": [
                r["message"]
                for r in _reasons(offer)
                if r.get("verdict") == Verdict.INELIGIBLE.value
            ],
        }
        for offer in offers
    ]
    return templates().page(
        request,
        "moderation/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "kinds": [(k.value, KIND_SHORT_LABELS[k]) for k in OfferKind],
            "verdicts": [(v.value, v.label) for v in Verdict],
            "departements": await Departement.all().order_by("code").values_list("code", "name"),
            "pending_accounts": await User.filter(
                role=Role.RECRUITER, verification=Verification.PENDING
            ).count(),
        },
    )


def _reasons(offer: Offer) -> list[dict[str, str]]:
    reasons = offer.eligibility.get("reasons") if isinstance(offer.eligibility, dict) else None
    return [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []


async def _staff_offer(raw_id: str) -> Offer:
    offer_id = parse_int(raw_id)
    offer = (
        await Offer.filter(id=offer_id)
        .select_related("commune__departement", "commune__region", "commune__epci", "organisation")
        .first()
        if offer_id is not None
        else None
    )
    if offer is None:
        raise NotFound()
    return offer


async def _review_page(
    request: Request,
    offer: Offer,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    alert: str = "",
    status_code: int = 200,
) -> Response:
    checked = await check_offer(offer, offer.organisation, today())
    facts = checked.parsed.facts
    events = await OfferEvent.filter(offer_id=offer.id).select_related("actor").order_by("-id")
    territory_codes = {"density_dense", "density_intermediate_large"}
    epci_pvd_members = (
        await Commune.filter(epci_id=offer.commune.epci_id, pvd_id__isnull=False).count()
        if offer.commune.epci_id
        else 0
    )
    context = {
        "offer": offer,
        "html": render_offer_texts(facts),
        "diploma": diploma_label(facts.min_diploma_level),
        "assessment": checked.assessment,
        "events": events,
        "changes": await moderation.changes_since_last_review(offer),
        "epci_pvd_members": epci_pvd_members,
        "can_override": not offer.territory_override
        and any(r.code in territory_codes for r in checked.assessment.blocking),
        "errors": errors or {},
        "typed": typed or {},
        "alert": alert,
        "actions": _actions_for(OfferStatus(offer.status)),
        "labels": {a: moderation.action_label(a) for a in moderation.DECISIONS},
    }
    return templates().page(
        request,
        "moderation/offer.html",
        context,
        status_code=status_code,
        fragment_blocks=["decision"],
    )


def _actions_for(status: OfferStatus) -> list[str]:
    return [a for a in moderation.DECISIONS if status in OFFER_TRANSITIONS[a].sources]


@signed_in(Role.STAFF)
async def offer_review(request: Request) -> Response:
    return await _review_page(request, await _staff_offer(str(request.path_params["offer_id"])))


_DONE = {
    "approve": "L'offre est publiée : elle apparaît dans les résultats de recherche.",
    "request_changes": "Modifications demandées : le recruteur est prévenu par e-mail.",
    "reject": "L'offre est refusée : le recruteur est prévenu par e-mail.",
    "unpublish": "L'offre est dépubliée : le recruteur est prévenu par e-mail.",
}


def _done(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _already_decided(request: Request, offer: Offer) -> Response:
    last = (
        await OfferEvent.filter(offer_id=offer.id).select_related("actor").order_by("-id").first()
    )
    who = last.actor.full_name if last and last.actor else "quelqu'un d'autre"
    fresh = await _staff_offer(str(offer.id))
    return await _review_page(
        request,
        fresh,
        alert=(
            f"Cette offre a changé pendant que vous la lisiez ({who}, état actuel : "
            f"« {OfferStatus(fresh.status).label} »). Rien n'a été fait : relisez-la ci-dessous."
        ),
        status_code=409,
    )


async def _staff_act(
    request: Request,
    fields: Mapping[str, str],
    key: str,
    text: str,
    act: Callable[[Offer, int], Awaitable[object]],
    *,
    done: str,
    then: Callable[[Offer], str],
) -> Response:
    """Run one staff action on the offer of the URL with the version the form was built on;
    the page again with the reason when it is refused, or a 409 when the offer moved."""
    offer = await _staff_offer(str(request.path_params["offer_id"]))
    version = parse_int(fields.get("version", ""))
    if version is None:
        raise Refused("Le formulaire est incomplet : rechargez la page.")
    try:
        await act(offer, version)
    except moderation.AlreadyDecided as decided:
        return await _already_decided(request, decided.offer)
    except Refused as refused:
        return await _review_page(
            request,
            offer,
            errors={f"{key}:{refused.field}": refused.message} if refused.field else {},
            alert="" if refused.field else refused.message,
            typed={key: text},
            status_code=400,
        )
    flash(request, done)
    return _done(request, then(offer))


@signed_in(Role.STAFF)
async def offer_decide(request: Request) -> Response:
    fields = await form_fields(request)
    action, comment = fields.get("decision", ""), fields.get("comment", "")
    settings: Settings = request.app.state.settings

    async def act(offer: Offer, version: int) -> object:
        return await moderation.decide(
            offer.id, action, user_of(request), comment=comment, version=version,
            settings=settings, today=today(),
        )  # fmt: skip

    return await _staff_act(
        request, fields, action, comment, act,
        done=_DONE.get(action, "Décision enregistrée."), then=lambda _: "/moderation",
    )  # fmt: skip


@signed_in(Role.STAFF)
async def offer_override(request: Request) -> Response:
    fields = await form_fields(request)
    justification = fields.get("justification", "")

    async def act(offer: Offer, version: int) -> object:
        return await moderation.override_territory(
            offer.id, user_of(request), justification=justification, version=version,
            today=today(),
        )  # fmt: skip

    return await _staff_act(
        request, fields, "override", justification, act,
        done="Dérogation enregistrée au journal. Vous pouvez maintenant décider.",
        then=lambda offer: f"/moderation/offres/{offer.id}",
    )  # fmt: skip


# The journal

JOURNAL_PAGE_SIZE = 50


@signed_in(Role.STAFF)
async def journal(request: Request) -> Response:
    """Every offer transition, newest first, filterable by offer, actor and dates."""
    params = request.query_params
    errors: list[str] = []
    query = OfferEvent.all()
    offer_id = params.get("offre", "").strip()
    if offer_id:
        if (parsed := parse_int(offer_id)) is not None:
            query = query.filter(offer_id=parsed)
        else:
            errors.append("Le numéro d'offre doit être un nombre.")
    actor = clean_text(params.get("acteur", "")).strip()[:100]
    if actor:
        query = query.filter(actor__email__icontains=actor)
    start = _day_param(params.get("du", ""))
    end = _day_param(params.get("au", ""))
    if (params.get("du") and start is None) or (params.get("au") and end is None):
        errors.append("Date invalide : format attendu JJ/MM/AAAA.")
    if start:
        query = query.filter(created_at__gte=start_of_day(start))
    if end:
        query = query.filter(created_at__lt=start_of_day(end + timedelta(days=1)))
    page = parse_int(params.get("page", "1")) or 1
    total = await query.count()
    pages = max(1, -(-total // JOURNAL_PAGE_SIZE))
    page = min(page, pages)
    events = (
        await query.select_related("actor", "offer")
        .order_by("-id")
        .offset((page - 1) * JOURNAL_PAGE_SIZE)
        .limit(JOURNAL_PAGE_SIZE)
    )
    kept = {k: v for k, v in (("offre", offer_id), ("acteur", actor),
            ("du", params.get("du", "")), ("au", params.get("au", ""))) if v}  # fmt: skip
    return templates().page(
        request,
        "moderation/journal.html",
        {
            "events": events,
            "errors": errors,
            "values": kept,
            "page": page,
            "pages": pages,
            "total": total,
            "page_url": lambda n: "/moderation/journal?" + urlencode({**kept, "page": n}),
        },
    )


# Statistics and export


def _day_param(value: str) -> date | None:
    """A date from the query string, within years the app can mean (2000–2100)."""
    parsed = parse_date(clean_text(value).strip()) if value else None
    return parsed if parsed is not None and 2000 <= parsed.year <= 2100 else None


def _period(request: Request) -> tuple[date, date, list[str]]:
    """`du` / `au` from the query string; the last twelve months by default."""
    errors: list[str] = []
    end = today()
    start = end - timedelta(days=365)
    raw_start, raw_end = request.query_params.get("du", ""), request.query_params.get("au", "")
    if raw_start:
        parsed = _day_param(raw_start)
        if parsed is None:
            errors.append("Date de début invalide : format attendu JJ/MM/AAAA.")
        else:
            start = parsed
    if raw_end:
        parsed = _day_param(raw_end)
        if parsed is None:
            errors.append("Date de fin invalide : format attendu JJ/MM/AAAA.")
        else:
            end = parsed
    if start > end:
        errors.append("La date de début est après la date de fin : elles ont été inversées.")
        start, end = end, start
    return start, end, errors


@signed_in(Role.STAFF)
async def stats_page(request: Request) -> Response:
    start, end, errors = _period(request)
    return templates().page(
        request,
        "moderation/statistics.html",
        {"stats": await statistics.compute(start, end), "errors": errors},
        status_code=400 if errors else 200,
    )


CSV_COLUMNS = (
    "numéro", "intitulé", "type", "état", "éligibilité", "collectivité", "commune", "code INSEE",
    "département", "région", "créée le", "soumise le", "publiée le", "date limite",
    "candidatures",
)  # fmt: skip


@signed_in(Role.STAFF)
async def export_csv(request: Request) -> Response:
    """Offers with the queue's filters (plus `statut`), for French Excel: UTF-8 with BOM, `;`."""
    filters = await _queue_filters(request)
    query = _filtered(Offer.all(), filters)
    status = request.query_params.get("statut", "")
    if status in {s.value for s in OfferStatus}:
        query = query.filter(status=status)
    elif status:
        filters.errors.append("État inconnu.")
    if filters.errors:
        raise Refused("Export impossible : " + " ".join(filters.errors))
    ids = await query.order_by("id").values_list("id", flat=True)

    async def rows() -> AsyncIterator[bytes]:
        yield "\ufeff".encode()
        yield _csv_line(CSV_COLUMNS)
        for chunk_start in range(0, len(ids), 500):
            chunk = [int(str(i)) for i in ids[chunk_start : chunk_start + 500]]
            offers = (
                await Offer.filter(id__in=chunk)
                .order_by("id")
                .select_related("commune__departement", "commune__region", "organisation")
            )
            counts: dict[int, int] = {}
            for offer_id in await Application.filter(offer_id__in=chunk).values_list(
                "offer_id", flat=True
            ):
                counts[int(str(offer_id))] = counts.get(int(str(offer_id)), 0) + 1
            for o in offers:
                yield _csv_line(_csv_values(o, counts.get(o.id, 0)))

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="offres-bourse-pvd.csv"'},
    )


def _csv_values(o: Offer, applications: int) -> list[str]:
    return [
        str(o.id),
        o.title,
        KIND_SHORT_LABELS[OfferKind(o.kind)],
        OfferStatus(o.status).label,
        Verdict(o.eligibility_verdict).label,
        o.organisation.name,
        o.commune.name,
        o.commune.insee,
        o.commune.departement.name,
        o.commune.region.name,
        _day(o.created_at),
        _day(o.submitted_at),
        _day(o.published_at),
        o.deadline.strftime("%d/%m/%Y"),
        str(applications),
    ]


def _day(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y") if moment else ""


def _csv_line(values: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    # Cells starting with = + - @ would be formulas in a spreadsheet: quote them as text.
    safe = ["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in values]
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(safe)
    return buffer.getvalue().encode("utf-8")
