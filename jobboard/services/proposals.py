"""Proposals: an open offer proposed to pooled candidates, and what each candidate makes of it.

Rules in `domain.talent_pool`: at most 20 candidates at once, one proposal per candidate and
offer, three per candidate over 30 days, only to pooled candidates the apply step would accept.
A batch is whole or nothing: one refused candidate and none is proposed, with every reason.

Each candidate's account row is locked while they are checked and proposed, and the pool
withdrawal takes the same lock (`talent_pool.withdraw`): a withdrawal committed first is seen,
and one committed after deletes the proposal's e-mail still in the outbox. Either way no
proposal reaches a candidate after they left the pool.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from jobboard.clock import now, today
from jobboard.domain.account import Role, Verification
from jobboard.domain.candidate_verdict import candidate_verdict
from jobboard.domain.errors import NotFound, Refused
from jobboard.domain.french import number_fr
from jobboard.domain.staff_territory import StaffTerritory
from jobboard.domain.talent_pool import (
    MAX_CANDIDATES_PER_PROPOSAL,
    NOT_POOLED,
    PROPOSAL_MESSAGE_MAX_LENGTH,
    ProposalStatus,
    cap_window_start,
    earliest_consent,
    in_pool,
    proposal_refusal,
)
from jobboard.mail import queue_email
from jobboard.models import (
    Application,
    Commune,
    Departement,
    EmailOutbox,
    Offer,
    Organisation,
    PoolAccess,
    Proposal,
    User,
)
from jobboard.services.staff_territory import territory_of
from jobboard.services.visibility import is_visible, visible_offers
from jobboard.settings import Settings

LEAVE_MAX_AGE = 3 * 365 * 24 * 3600  # longer than anyone stays in the pool


@dataclass(frozen=True)
class Standing:
    """Whether one pooled candidate may be proposed an offer now, and why not."""

    refusal: str  # "" when they may

    @property
    def allowed(self) -> bool:
        return not self.refusal


async def _consents(candidate_ids: list[int], at: datetime) -> dict[int, list[datetime]]:
    rows = await Application.filter(
        candidate_id__in=candidate_ids,
        candidate__is_active=True,
        talent_pool_consent=True,
        created_at__gte=earliest_consent(at),
    ).values_list("candidate_id", "created_at")
    consents: dict[int, list[datetime]] = {}
    for candidate_id, given_at in rows:
        consents.setdefault(int(candidate_id), []).append(given_at)
    return consents


async def standings(offer: Offer, candidates: list[User], at: datetime) -> dict[int, Standing]:
    """Each candidate's standing for `offer` at `at`: in the pool, eligible as the apply step
    judges, not proposed this offer yet, under the monthly cap."""
    ids = [c.id for c in candidates]
    consents = await _consents(ids, at)
    proposed = {
        cast(int, candidate_id)
        for candidate_id in await Proposal.filter(
            offer_id=offer.id, candidate_id__in=ids
        ).values_list("candidate_id", flat=True)
    }
    applied = {
        cast(int, candidate_id)
        for candidate_id in await Application.filter(
            offer_id=offer.id, candidate_id__in=ids
        ).values_list("candidate_id", flat=True)
    }
    recent = Counter(
        cast(int, candidate_id)
        for candidate_id in await Proposal.filter(
            candidate_id__in=ids, sent_at__gte=cap_window_start(at)
        ).values_list("candidate_id", flat=True)
    )
    result = {}
    for candidate in candidates:
        verdict = candidate_verdict(
            offer.kind, offer.start_date, candidate.birth_date, candidate.diploma_level
        )
        result[candidate.id] = Standing(
            proposal_refusal(
                pooled=in_pool(consents.get(candidate.id, []), at),
                eligible=verdict.eligible,
                already_proposed=candidate.id in proposed,
                already_applied=candidate.id in applied,
                proposals_this_month=recent.get(candidate.id, 0),
            )
        )
    return result


async def standing_by_number(offer: Offer, numbers: list[int]) -> dict[int, Standing]:
    """`standings` for candidate numbers, as the pool page lists them."""
    candidates = await User.filter(id__in=numbers, role="candidate")
    return await standings(offer, candidates, now())


def _leave_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="bourse-pvd.pool-leave")


def _address_digest(email: str) -> str:
    """The token names the account by id and a digest of its address: readable in a URL (a
    signed payload is only encoded), it must not show the address; a changed address voids it."""
    return hashlib.sha256(email.encode()).hexdigest()[:24]


def leave_link(candidate: User, settings: Settings) -> str:
    """« Ne plus me proposer d’offres »: a signed link that takes the candidate out of the pool
    without signing in (the e-mail's, and its `List-Unsubscribe`)."""
    token = _leave_serializer(settings).dumps([candidate.id, _address_digest(candidate.email)])
    return f"{settings.base_url}/vivier/quitter/{token}"


async def candidate_of_leave_token(token: str, settings: Settings) -> User:
    try:
        payload = _leave_serializer(settings).loads(token, max_age=LEAVE_MAX_AGE)
    except SignatureExpired:
        raise Refused(
            "Ce lien a expiré : quittez le vivier depuis votre espace candidat."
        ) from None
    except BadSignature:
        raise Refused(
            "Ce lien n’est pas valide : vérifiez qu’il a été copié en entier depuis l’e-mail."
        ) from None
    valid = (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    )
    candidate = await User.get_or_none(id=payload[0]) if valid else None
    if candidate is None or not hmac.compare_digest(
        _address_digest(candidate.email), str(payload[1])
    ):
        raise Refused("Ce lien ne correspond plus à aucun compte.")
    return candidate


def _numbers(raw: list[str]) -> list[int]:
    numbers = []
    for value in raw:
        if not (value.isascii() and value.isdigit()) or len(value) > 9:
            raise Refused(f"Numéro de candidat·e invalide : {value[:20]}.")
        numbers.append(int(value))
    return sorted(set(numbers))


async def propose(
    offer: Offer, raw_numbers: list[str], message: str, by: User, settings: Settings
) -> list[Proposal]:
    """Propose `offer` to the candidates numbered `raw_numbers` with `message`: all of them or,
    with the reasons of every refusal in the `Refused` message, none."""
    numbers = _numbers(raw_numbers)
    message = message.strip()
    if not numbers:
        raise Refused("Cochez au moins un·e candidat·e.", "candidats")
    if len(numbers) > MAX_CANDIDATES_PER_PROPOSAL:
        raise Refused(
            f"{MAX_CANDIDATES_PER_PROPOSAL} candidat·es au plus à la fois "
            f"({len(numbers)} coché·es).",
            "candidats",
        )
    if len(message) > PROPOSAL_MESSAGE_MAX_LENGTH:
        raise Refused(f"{number_fr(PROPOSAL_MESSAGE_MAX_LENGTH)} caractères au maximum.", "message")
    async with in_transaction():
        locked_offer = await Offer.select_for_update().get(id=offer.id)
        if not is_visible(locked_offer, today()):
            raise Refused(
                "Cette offre ne reçoit plus de candidatures : elle ne peut être proposée."
            )
        # Locked in id order, as every writer of these rows does: no deadlock between batches.
        candidates = (
            await User.select_for_update().filter(id__in=numbers, role="candidate").order_by("id")
        )
        moment = now()
        known = {c.id: c for c in candidates}
        judged = await standings(locked_offer, candidates, moment)
        refusals = [
            f"Candidat·e n° {number} {judged[number].refusal if number in known else NOT_POOLED}"
            for number in numbers
            if number not in known or not judged[number].allowed
        ]
        if refusals:
            raise Refused(
                "Aucune proposition n’a été envoyée : " + " ; ".join(refusals) + ".", "candidats"
            )
        sender = await sender_name(by)
        made = []
        for number in numbers:
            candidate = known[number]
            proposal = await Proposal.create(
                offer_id=locked_offer.id,
                candidate_id=candidate.id,
                proposed_by_id=by.id,
                message=message,
                sent_at=moment,
            )
            link = leave_link(candidate, settings)
            email = await queue_email(
                candidate.email,
                "proposal",
                {
                    "user": candidate,
                    "offer": locked_offer,
                    "commune": await locked_offer.commune,
                    "proposal": proposal,
                    "sender": sender,
                    "leave_url": link,
                },
                settings,
                headers={
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            proposal.email_id = email.id
            await proposal.save(update_fields=["email_id"])
            made.append(proposal)
    return made


async def sender_name(by: User | None) -> str:
    """Who the candidate reads the proposal is from: the recruiter's collectivité, or "" for
    the ANCT (staff, or an account since deleted). A recruiter's message is never the ANCT's."""
    if by is None or by.role != Role.RECRUITER or by.organisation_id is None:
        return ""
    organisation = await Organisation.get_or_none(id=by.organisation_id)
    return organisation.name if organisation is not None else ""


async def proposal_sender(proposal: Proposal) -> str:
    by = await User.get_or_none(id=proposal.proposed_by_id) if proposal.proposed_by_id else None
    return await sender_name(by)


async def of_candidate(candidate: User) -> list[Proposal]:
    """The proposals a candidate received, newest first, with their offers."""
    return (
        await Proposal.filter(candidate_id=candidate.id)
        .select_related("offer", "offer__commune", "offer__organisation")
        .order_by("-sent_at", "-id")
    )


async def of_offer(offer_id: int) -> list[Proposal]:
    """An offer's proposals, oldest first, for its pipeline (candidates by number only)."""
    return await Proposal.filter(offer_id=offer_id).order_by("sent_at", "id")


async def owned(candidate: User, proposal_id: int | None) -> Proposal:
    proposal = (
        await Proposal.filter(id=proposal_id, candidate_id=candidate.id)
        .select_related("offer", "offer__commune", "offer__organisation")
        .first()
        if proposal_id is not None
        else None
    )
    if proposal is None:
        raise NotFound("Cette proposition n’existe pas.")
    return proposal


async def mark_opened(proposal: Proposal) -> None:
    """The candidate opened the proposal's page: « ouverte », once."""
    if proposal.status == ProposalStatus.SENT:
        moment = now()
        await Proposal.filter(id=proposal.id, status=ProposalStatus.SENT).update(
            status=ProposalStatus.OPENED, opened_at=moment
        )
        proposal.status, proposal.opened_at = ProposalStatus.OPENED, moment


async def decline(proposal: Proposal) -> bool:
    """« Ne pas donner suite »: only while neither applied nor declined."""
    updated = await Proposal.filter(
        id=proposal.id, status__in=(ProposalStatus.SENT, ProposalStatus.OPENED)
    ).update(
        status=ProposalStatus.DECLINED,
        answered_at=now(),
        opened_at=proposal.opened_at or now(),
    )
    return bool(updated)


async def record_application(application: Application) -> None:
    """An application to an offer proposed to its candidate answers the proposal (called in
    the transaction that stores the application, whichever way the candidate applied)."""
    moment = now()
    proposal = await Proposal.filter(
        offer_id=application.offer_id, candidate_id=application.candidate_id
    ).first()
    if proposal is None:
        return
    await Proposal.filter(id=proposal.id).update(
        status=ProposalStatus.APPLIED,
        application_id=application.id,
        answered_at=moment,
        opened_at=proposal.opened_at or moment,
    )


async def cancel_unsent(candidate_id: int) -> int:
    """The candidate left the pool: their proposals' e-mails not yet sent are not sent."""
    email_ids = await Proposal.filter(
        candidate_id=candidate_id, email_id__isnull=False
    ).values_list("email_id", flat=True)
    if not email_ids:
        return 0
    return await EmailOutbox.filter(id__in=list(email_ids), status="pending").delete()


UNANSWERED_SHOWN = 10


async def offers_without_applications(query: QuerySet[Offer] | None = None) -> list[Offer]:
    """Open offers nobody has applied to yet, the nearest deadline first: the ones a proposal
    helps most (`query` narrows them, to a staff member's territory for instance)."""
    base = query if query is not None else Offer.all()
    return (
        await base.filter(id__in=Subquery(visible_offers().values("id")))
        .exclude(id__in=Subquery(Application.all().values("offer_id")))
        .select_related("commune")
        .order_by("deadline", "id")
        .limit(UNANSWERED_SHOWN)
    )


# -- recruiters' access, opened by staff département by département --


async def departements_of(territory: StaffTerritory) -> list[Departement]:
    """The départements a staff member may open to recruiters: their territory's, or all."""
    query = Departement.all()
    if not territory.is_national:
        query = query.filter(
            Q(code__in=sorted(territory.departements)) | Q(region_id__in=sorted(territory.regions))
        )
    return await query.order_by("code")


async def open_accesses() -> list[PoolAccess]:
    return await PoolAccess.all().order_by("departement_code")


class OutsideTerritory(Exception):
    """A staff member acted on a département outside their territory (the web's 403)."""


async def set_access(code: str, opened: bool, by: User) -> None:
    """Open (or close) the pool to the verified recruiters of département `code`, which must
    lie in `by`'s territory (`OutsideTerritory` otherwise)."""
    allowed = {d.code for d in await departements_of(territory_of(by))}
    if len(code) > 3 or not await Departement.exists(code=code):
        raise Refused("Département inconnu.")
    if code not in allowed:
        raise OutsideTerritory()
    if opened:
        await PoolAccess.get_or_create(
            departement_code=code, defaults={"opened_by_id": by.id, "opened_at": now()}
        )
    else:
        await PoolAccess.filter(departement_code=code).delete()


async def recruiter_may_propose(recruiter: User, offer: Offer) -> bool:
    """A verified recruiter of the offer's collectivité, whose département staff opened."""
    if recruiter.verification != Verification.VERIFIED:
        return False
    if offer.organisation_id != recruiter.organisation_id:
        return False
    commune = await Commune.get(insee=offer.commune_id)
    return await PoolAccess.exists(departement_code=commune.departement_id)
