"""Proposals from the pool: staff propose an open offer, each candidate gets one e-mail, applies
in one click or declines, the pipeline shows what came of it; the caps and refusals; the
« Ne plus me proposer d'offres » link; the race with a withdrawal on PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import io
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import time_machine
from starlette.applications import Starlette

from jobboard import clock, mail
from jobboard.domain.errors import Refused
from jobboard.models import Application, EmailOutbox, Offer, PoolAccess, Proposal, User
from jobboard.services import proposals, talent_pool
from jobboard.services.saved_cv import save_cv
from jobboard.settings import Settings
from tests.conftest import (
    SmtpServer,
    csrf_token,
    is_postgres,
    log_in,
    make_user,
    smtp_settings,
    text_part,
)
from tests.pdf_corpus import simple_pdf
from tests.test_talent_pool import _applied, _offer, _text

STAFF = "moderation@anct.example"
S = "\u202f"


async def _pooled(count: int, *, employer_insee: str = "05050", **fields: Any) -> list[User]:
    """`count` candidates in the pool, each through a consent on an offer of their own (at
    Espinasses unless told)."""
    people = []
    for i in range(count):
        person = await make_user(
            "candidate", f"c{i}@example.fr", full_name=f"Prénom{i} Nom{i}", **fields
        )
        past = await _offer(title=f"VTA – Mission passée {i}", employer_insee=employer_insee)
        await _applied(past, person)
        people.append(person)
    return people


async def _staff(client: httpx.AsyncClient) -> User:
    staff = await make_user("staff", STAFF, full_name="Claire Modératrice")
    await log_in(client, STAFF)
    return staff


async def _propose(
    client: httpx.AsyncClient, offer: Offer, people: list[User], message: str = ""
) -> httpx.Response:
    token = await csrf_token(client, f"/moderation/vivier?offre={offer.id}")
    return await client.post(
        f"/moderation/offres/{offer.id}/propositions?offre={offer.id}",
        data={"csrf_token": token, "candidats": [str(p.id) for p in people], "message": message},
    )


async def test_staff_propose_an_offer_and_each_candidate_gets_one_e_mail(
    client: httpx.AsyncClient, settings: Settings, smtp_server: SmtpServer
) -> None:
    lea, karim = await _pooled(2)
    offer = await _offer(title="VTA – Revitalisation du centre-bourg")
    await _staff(client)
    page = await client.get("/moderation/vivier", params={"offre": offer.id})
    assert page.status_code == 200
    for person in (lea, karim):
        assert f'name="candidats" value="{person.id}"' in page.text
        assert person.full_name not in page.text and person.email not in page.text

    response = await _propose(client, offer, [lea, karim], "Votre profil correspond.")
    assert response.status_code == 303
    assert response.headers["location"] == f"/moderation/offres/{offer.id}#propositions"
    made = await Proposal.filter(offer_id=offer.id).order_by("candidate_id")
    assert [p.candidate_id for p in made] == [lea.id, karim.id]
    assert {p.status for p in made} == {"sent"}
    rows = await EmailOutbox.all().order_by("id")
    assert [row.to for row in rows] == [lea.email, karim.email]
    assert [p.email_id for p in made] == [row.id for row in rows]

    backend = mail.backend_for(smtp_settings(settings, smtp_server.port))
    assert await mail.send_pending(backend, settings.email_from) == (2, 0)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([lea.email, karim.email])
    message = next(m for m in smtp_server.messages if m["To"] == lea.email)
    assert message["Subject"] == f"Une offre pour vous{S}: «{S}{offer.title}{S}»"
    body = text_part(message)
    assert "Votre profil correspond." in body
    lea_proposal = next(p for p in made if p.candidate_id == lea.id)
    assert f"http://testserver/espace/candidat/propositions/{lea_proposal.id}" in body
    assert "Ne plus me proposer d’offres" in body
    leave = message["List-Unsubscribe"].strip("<>")
    assert leave.startswith("http://testserver/vivier/quitter/") and leave in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    review = _text((await client.get(f"/moderation/offres/{offer.id}")).text)
    assert f"Candidat·e n° {lea.id}" in review and "Envoyée, pas encore ouverte" in review
    assert lea.full_name not in review


async def test_a_refused_batch_sends_nothing_and_names_every_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    offer = await _offer(title="VTA – Transition écologique")
    fits, withdrew, too_old, proposed, busy, applied = await _pooled(6)
    await _applied(offer, applied)
    await talent_pool.withdraw(withdrew)
    too_old.birth_date = date(1980, 2, 1)
    await too_old.save()
    never = await make_user("candidate", "never@example.fr", full_name="Hors Vivier")
    staff = await _staff(client)
    await proposals.propose(offer, [str(proposed.id)], "", staff, settings)
    for i in range(3):
        other = await _offer(title=f"VTA – Autre offre {i}")
        await proposals.propose(other, [str(busy.id)], "", staff, settings)
    before = (await Proposal.all().count(), await EmailOutbox.all().count())

    response = await _propose(
        client, offer, [fits, withdrew, too_old, proposed, busy, applied, never, staff]
    )
    assert response.status_code == 400
    page = _text(response.text)
    assert "Aucune proposition n’a été envoyée" in page
    assert f"Candidat·e n° {withdrew.id} n’est pas (ou plus) dans le vivier" in page
    assert f"Candidat·e n° {never.id} n’est pas (ou plus) dans le vivier" in page
    assert f"Candidat·e n° {too_old.id} n’est pas éligible à cette offre" in page
    assert f"Candidat·e n° {proposed.id} s’est déjà vu proposer cette offre" in page
    assert f"Candidat·e n° {busy.id} a déjà reçu 3 propositions ces 30 derniers jours" in page
    assert f"Candidat·e n° {applied.id} a déjà candidaté à cette offre" in page
    # A number that is no candidate reads as one outside the pool: nothing tells them apart.
    assert f"Candidat·e n° {staff.id} n’est pas (ou plus) dans le vivier" in page
    assert f"Candidat·e n° {fits.id}" not in page.split("Aucune proposition")[1].split(".")[0]
    assert (await Proposal.all().count(), await EmailOutbox.all().count()) == before
    # Without the refused ones, the batch goes.
    assert (await _propose(client, offer, [fits])).status_code == 303


async def test_the_caps_twenty_at_once_and_three_in_thirty_days(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    staff = await _staff(client)
    many = await _pooled(21)
    offer = await _offer(title="VTA – Numérique")
    with pytest.raises(Refused, match="20 candidat·es au plus à la fois"):
        await proposals.propose(offer, [str(p.id) for p in many], "", staff, settings)
    assert not await Proposal.exists()
    assert (
        len(await proposals.propose(offer, [str(p.id) for p in many[:20]], "", staff, settings))
        == 20
    )

    lea = many[0]
    t0 = clock.now()
    offers = [await _offer(title=f"VTA – Offre {i}") for i in range(4)]
    for day, other in ((1, offers[0]), (2, offers[1])):
        with time_machine.travel(t0 + timedelta(days=day), tick=False):
            await proposals.propose(other, [str(lea.id)], "", staff, settings)
    with (
        time_machine.travel(t0 + timedelta(days=29), tick=False),
        pytest.raises(Refused, match="a déjà reçu 3 propositions"),
    ):
        await proposals.propose(offers[2], [str(lea.id)], "", staff, settings)
    # The first one, 30 days old, no longer counts.
    with time_machine.travel(t0 + timedelta(days=30, seconds=1), tick=False):
        await proposals.propose(offers[2], [str(lea.id)], "", staff, settings)
    for bad in (["abc"], ["-1"], ["1" * 12], ["²"], ["٣"], []):
        with pytest.raises(Refused):
            await proposals.propose(offers[3], bad, "", staff, settings)
    with pytest.raises(Refused, match="1\u202f000 caractères au maximum"):
        await proposals.propose(offers[3], [str(many[5].id)], "x" * 1001, staff, settings)


async def _save_cv(person: User, settings: Settings) -> None:
    await save_cv(person, io.BytesIO(simple_pdf()), "mon-cv.pdf", settings)


async def test_one_applies_in_one_click_the_other_declines_and_the_pipeline_shows_both(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    lea, karim = await _pooled(2)
    await _save_cv(lea, settings)
    offer = await _offer(title="VTA – Habitat et logement")
    staff = await make_user("staff", STAFF, full_name="Claire Modératrice")
    made = await proposals.propose(offer, [str(lea.id), str(karim.id)], "", staff, settings)
    by = {p.candidate_id: p for p in made}

    await log_in(client, lea.email)
    home = _text((await client.get("/espace/candidat")).text)
    assert "Offres qui vous sont proposées" in home and "Nouvelle" in home
    page = await client.get(f"/espace/candidat/propositions/{by[lea.id].id}")
    assert page.status_code == 200 and "Candidater avec mon CV enregistré" in page.text
    assert (await Proposal.get(id=by[lea.id].id)).status == "opened"
    token = await csrf_token(client, f"/espace/candidat/propositions/{by[lea.id].id}")
    applied = await client.post(
        f"/espace/candidat/propositions/{by[lea.id].id}/candidater",
        data={"csrf_token": token, "message": "Disponible dès mars."},
    )
    assert applied.status_code == 303
    application = await Application.get(offer_id=offer.id, candidate_id=lea.id)
    assert applied.headers["location"] == f"/espace/candidat/candidatures/{application.id}"
    assert application.cover_letter == "" and application.message == "Disponible dès mars."
    assert application.cv_filename == "mon-cv.pdf" and application.cv_sha256
    answered = await Proposal.get(id=by[lea.id].id)
    assert (answered.status, answered.application_id) == ("applied", application.id)
    # Once more: the application exists, nothing new.
    again = await client.post(
        f"/espace/candidat/propositions/{by[lea.id].id}/candidater", data={"csrf_token": token}
    )
    assert (
        again.status_code == 303
        and await Application.filter(candidate_id=lea.id, offer_id=offer.id).count() == 1
    )

    client.cookies.clear()
    await log_in(client, karim.email)
    assert (await client.get(f"/espace/candidat/propositions/{by[lea.id].id}")).status_code == 404
    token = await csrf_token(client, f"/espace/candidat/propositions/{by[karim.id].id}")
    declined = await client.post(
        f"/espace/candidat/propositions/{by[karim.id].id}/decliner", data={"csrf_token": token}
    )
    assert declined.status_code == 303
    assert (await Proposal.get(id=by[karim.id].id)).status == "declined"
    await _save_cv(karim, settings)
    late = await client.post(
        f"/espace/candidat/propositions/{by[karim.id].id}/candidater", data={"csrf_token": token}
    )  # declined: no one click, the usual form (where applying still answers the proposal)
    assert late.status_code == 303 and late.headers["location"] == f"/offres/{offer.id}/candidater"
    assert not await Application.filter(offer_id=offer.id, candidate_id=karim.id).exists()
    assert "Vous n’avez pas donné suite" in _text((await client.get("/espace/candidat")).text)

    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    client.cookies.clear()
    await log_in(client, "rh@espinasses.fr")
    pipeline = await client.get(f"/espace/recruteur/offres/{offer.id}/candidatures")
    assert pipeline.status_code == 200
    text = _text(pipeline.text)
    assert "Propositions du vivier" in text
    assert f"Candidat·e n° {lea.id}" in text and "A candidaté le" in text
    assert f"/espace/recruteur/candidatures/{application.id}" in pipeline.text
    assert f"Candidat·e n° {karim.id}" in text and "Déclinée le" in text
    assert karim.full_name not in text
    assert "2 propositions, 1 candidature à la suite" in text

    client.cookies.clear()
    await log_in(client, STAFF)
    stats = _text((await client.get("/moderation/statistiques")).text)
    assert "2 propositions d’offre envoyées à des candidats du vivier, 1 candidature" in stats


async def test_applying_through_the_usual_form_answers_the_proposal_too(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    [lea] = await _pooled(1)
    offer = await _offer(title="VTA – Mobilités")
    staff = await make_user("staff", STAFF, full_name="Claire Modératrice")
    [made] = await proposals.propose(offer, [str(lea.id)], "", staff, settings)
    await log_in(client, lea.email)
    # Without a saved CV, the one-click button leads to the form.
    token = await csrf_token(client, f"/espace/candidat/propositions/{made.id}")
    sent = await client.post(
        f"/espace/candidat/propositions/{made.id}/candidater", data={"csrf_token": token}
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/offres/{offer.id}/candidater"
    token = await csrf_token(client, f"/offres/{offer.id}/candidater")
    response = await client.post(
        f"/offres/{offer.id}/candidater",
        data={"csrf_token": token, "cover_letter": "Madame, Monsieur…"},
        files={"cv": ("cv.pdf", simple_pdf(), "application/pdf")},
    )
    assert response.status_code == 303
    application = await Application.get(offer_id=offer.id, candidate_id=lea.id)
    assert (await Proposal.get(id=made.id)).application_id == application.id


async def test_the_e_mail_link_takes_the_candidate_out_of_the_pool_without_signing_in(
    app: Starlette, settings: Settings, db: None
) -> None:
    lea, karim = await _pooled(2)
    staff = await make_user("staff", STAFF, full_name="Claire Modératrice")
    offer = await _offer(title="VTA – Tourisme")
    await proposals.propose(offer, [str(lea.id)], "", staff, settings)
    later = await _offer(title="VTA – Commerce")
    [unsent] = await proposals.propose(later, [str(lea.id)], "", staff, settings)
    link = urlsplit(proposals.leave_link(lea, settings)).path
    payload = link.rsplit("/", 1)[1].split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"@" not in decoded and b"example" not in decoded  # a URL must not show the address
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
        asked = await bare.get(link)
        assert asked.status_code == 200 and "Ne plus me proposer d’offres" in asked.text
        assert await talent_pool.membership(lea) is not None  # a GET changes nothing
        # RFC 8058: the mail client posts, with no cookie and no CSRF token.
        posted = await bare.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert posted.status_code == 200 and "Vous avez quitté le vivier" in posted.text
        forged = await bare.get(link[:-3] + "abc")
        assert forged.status_code == 400 and "n’est pas valide" in forged.text
        karim_link = urlsplit(proposals.leave_link(karim, settings)).path
        karim.email = "karim.nouveau@example.fr"
        await karim.save()
        stale = await bare.get(karim_link)  # the address changed since: the link is void
        assert stale.status_code == 400 and "ne correspond plus" in stale.text
    assert await talent_pool.membership(lea) is None
    assert {c.number for c in await talent_pool.search(talent_pool.PoolFilters())} == {karim.id}
    # The proposals' e-mails still in the outbox are not sent.
    assert unsent.email_id is not None and not await EmailOutbox.exists(id=unsent.email_id)
    assert not await EmailOutbox.filter(to=lea.email).exists()


async def test_only_staff_propose(client: httpx.AsyncClient, settings: Settings) -> None:
    [lea] = await _pooled(1)
    offer = await _offer(title="VTA – Santé")
    await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    for address in (lea.email, "rh@espinasses.fr"):
        client.cookies.clear()
        await log_in(client, address)
        token = await csrf_token(client, "/")
        response = await client.post(
            f"/moderation/offres/{offer.id}/propositions",
            data={"csrf_token": token, "candidats": [str(lea.id)]},
        )
        assert response.status_code == 403
    assert not await Proposal.exists()
    client.cookies.clear()
    await _staff(client)
    assert (await _propose(client, offer, [lea])).status_code == 303
    token = await csrf_token(client, "/moderation")
    missing = await client.post(
        "/moderation/offres/999999/propositions", data={"csrf_token": token, "candidats": "1"}
    )
    assert missing.status_code == 404


@pytest.mark.skipif(not is_postgres(), reason="the race needs PostgreSQL's row locks")
async def test_a_withdrawal_racing_a_proposal_never_lets_one_through(
    settings: Settings, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch checks the candidate, then (slowed here) writes the proposal; a withdrawal
    meanwhile waits for the row lock and then deletes the unsent e-mail. Without the lock it
    would commit in the gap and the e-mail would go to someone who left the pool."""
    [lea] = await _pooled(1)
    staff = await make_user("staff", STAFF, full_name="Claire Modératrice")
    offer = await _offer(title="VTA – Énergie")
    checked = asyncio.Event()
    judge = proposals.standings

    async def slow_standings(*args: Any) -> Any:
        result = await judge(*args)
        checked.set()
        await asyncio.sleep(0.5)
        return result

    monkeypatch.setattr(proposals, "standings", slow_standings)

    async def withdraw_once_checked() -> None:
        await checked.wait()
        await talent_pool.withdraw(lea)

    outcome, _ = await asyncio.gather(
        proposals.propose(offer, [str(lea.id)], "", staff, settings),
        withdraw_once_checked(),
        return_exceptions=True,
    )
    assert not isinstance(outcome, BaseException), outcome
    assert await talent_pool.membership(lea) is None
    assert not await EmailOutbox.filter(to=lea.email, status="pending").exists()
    # And once withdrawn, every search and every batch leaves the candidate out.
    assert not await talent_pool.search(talent_pool.PoolFilters())
    with pytest.raises(Refused, match="n’est pas \\(ou plus\\) dans le vivier"):
        await proposals.propose(await _offer(title="VTA – Eau"), [str(lea.id)], "", staff, settings)


async def test_the_pool_page_lists_the_open_offers_nobody_applied_to(
    client: httpx.AsyncClient,
) -> None:
    [lea] = await _pooled(1)  # applied to « Mission passée 0 »
    waiting = await _offer(title="VTA – Personne n’a candidaté")
    closed = await _offer(title="VTA – Close sans candidature")
    closed.status = "closed"
    await closed.save()
    await _staff(client)
    page = await client.get("/moderation/vivier")
    assert page.status_code == 200
    listed = page.text.split("Offres en ligne sans aucune candidature")[1].split("</section>")[0]
    assert f'href="/moderation/vivier?offre={waiting.id}"' in listed
    assert "Mission passée 0" not in listed and closed.title not in listed
    chosen = await client.get("/moderation/vivier", params={"offre": waiting.id})
    assert "Offres en ligne sans aucune candidature" not in chosen.text
    assert f'value="{lea.id}"' in chosen.text


async def test_staff_with_a_territory_see_its_offers_without_applications_first(
    client: httpx.AsyncClient,
) -> None:
    alpes = await _offer(title="VTA – Hautes-Alpes sans candidature")  # Espinasses (05)
    lot = await _offer(
        kind="chef_de_projet",
        title="Chef de projet – Fumel sans candidature",
        employer_insee="47106",
        duration_months=24,
    )
    await make_user("staff", STAFF, full_name="Claire Modératrice", territory="d:05")
    await log_in(client, STAFF)
    own = (await client.get("/moderation/vivier")).text
    assert alpes.title in own and lot.title not in own
    assert "Tout le territoire national" in own
    national = (await client.get("/moderation/vivier", params={"territoire": "national"})).text
    assert alpes.title in national and lot.title in national


async def test_staff_open_the_pool_to_a_departement_s_verified_recruiters(
    client: httpx.AsyncClient,
) -> None:
    lea, karim = await _pooled(2, employer_insee="47106")  # consents given to Fumel's offers
    offer = await _offer(title="VTA – Espinasses cherche")  # Espinasses, Hautes-Alpes (05)
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    # Known by name to Espinasses, who must not find where else she applied.
    own = await make_user("candidate", "own@example.fr", full_name="Jeanne Connue")
    await _applied(await _offer(title="VTA – Espinasses, l’an passé"), own)
    await _applied(await _offer(title="VTA – Ailleurs à Fumel", employer_insee="47106"), own)
    pool = f"/espace/recruteur/offres/{offer.id}/vivier"
    await log_in(client, recruiter.email)
    assert (
        "Proposer cette offre"
        not in (await client.get(f"/espace/recruteur/offres/{offer.id}")).text
    )
    closed = await client.get(pool)
    assert closed.status_code == 403 and "n’a pas ouvert son vivier" in closed.text

    client.cookies.clear()
    await make_user("staff", STAFF, full_name="Claire Modératrice", territory="d:05")
    await log_in(client, STAFF)
    token = await csrf_token(client, "/moderation/vivier")
    outside = await client.post(
        "/moderation/vivier/acces", data={"csrf_token": token, "departement": "47", "ouvrir": "oui"}
    )
    assert outside.status_code == 403
    for code in ("00", "1234", "²"):
        unknown = await client.post(
            "/moderation/vivier/acces",
            data={"csrf_token": token, "departement": code, "ouvrir": "oui"},
        )
        assert unknown.status_code == 400 and "Département inconnu" in unknown.text
    assert not await PoolAccess.exists()
    opened = await client.post(
        "/moderation/vivier/acces", data={"csrf_token": token, "departement": "05", "ouvrir": "oui"}
    )
    assert opened.status_code == 303
    assert [a.departement_code for a in await PoolAccess.all()] == ["05"]
    assert "ouvert le" in _text((await client.get("/moderation/vivier")).text)

    client.cookies.clear()
    await log_in(client, recruiter.email)
    assert "Proposer cette offre" in (await client.get(f"/espace/recruteur/offres/{offer.id}")).text
    page = await client.get(pool)
    assert page.status_code == 200
    # The page's offer is its own: a stray ?offre= is not looked up, nor reported.
    assert (await client.get(pool, params={"offre": "abc"})).status_code == 200
    assert f'value="{lea.id}"' in page.text and lea.full_name not in page.text
    assert f"n° {own.id}" not in page.text and "Ailleurs à Fumel" not in page.text
    token = await csrf_token(client, pool)
    sent = await client.post(
        f"/espace/recruteur/offres/{offer.id}/propositions",
        data={"csrf_token": token, "candidats": [str(lea.id)], "message": "Venez nous voir."},
    )
    assert sent.status_code == 303
    assert (
        sent.headers["location"] == f"/espace/recruteur/offres/{offer.id}/candidatures#propositions"
    )
    [made] = await Proposal.all()
    assert (made.candidate_id, made.proposed_by_id) == (lea.id, recruiter.id)
    [email] = await EmailOutbox.filter(to=lea.email)
    assert f"Message de la collectivité «{S}Commune d’Espinasses{S}»" in email.body_text
    assert "Message de l’ANCT" not in email.body_text
    # Another collectivité's offer is not theirs to propose, even in an open département.
    elsewhere = await _offer(title="VTA – Ailleurs", employer_insee="47106")
    assert (await client.get(f"/espace/recruteur/offres/{elsewhere.id}/vivier")).status_code == 404

    client.cookies.clear()
    await log_in(client, STAFF)
    token = await csrf_token(client, "/moderation/vivier")
    await client.post(
        "/moderation/vivier/acces", data={"csrf_token": token, "departement": "05", "ouvrir": "non"}
    )
    assert not await PoolAccess.exists()
    client.cookies.clear()
    await log_in(client, recruiter.email)
    assert (await client.get(pool)).status_code == 403
    assert karim.id not in {p.candidate_id for p in await Proposal.all()}
