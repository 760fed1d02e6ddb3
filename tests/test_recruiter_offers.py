"""Recruiters write offers: draft, live verdict, preview, submit, edit, close, conflicts, XSS."""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Offer, OfferEvent, SearchChange, User
from jobboard.search.searcher import SearchRequest
from jobboard.settings import Settings
from jobboard.web import recruiter as recruiter_web
from tests.conftest import approve, csrf_token, index_now, log_in, make_user, post_form

TODAY = clock.today()
# Espinasses (05050): rural (density 4) and PVD. Fumel (47106): PVD, intermediate density.
VTA = {
    "kind": "vta",
    "title": "VTA – Chargé(e) de mission transition écologique",
    "commune": "05050",
    "description": "La commune d’Espinasses accueille un volontaire pour son **plan climat**.",
    "missions": "- Animer le plan climat\n- Suivre les dossiers Fonds vert",
    "profile": "Bac+5 en environnement.",
    "themes": ["transition_ecologique", "amenagement"],
    "deadline": (TODAY + timedelta(days=30)).isoformat(),
    "start_date": (TODAY + timedelta(days=60)).isoformat(),
    "duration_months": "12",
    "weekly_hours": "35",
    "min_diploma_level": "5",
    "salary": "Indemnité selon grille",
    "remote": "partial",
    "contact_email": "mairie@espinasses.fr",
}


@pytest.fixture
async def recruiter(client: httpx.AsyncClient) -> User:
    user = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    await log_in(client, "rh@espinasses.fr")
    return user


async def _post(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], action: str
) -> httpx.Response:
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    return await client.post(path, data={**data, "action": action, "csrf_token": token})


async def _new(client: httpx.AsyncClient, data: dict[str, Any], action: str) -> httpx.Response:
    return await _post(client, "/espace/recruteur/offres/nouvelle", data, action)


def _offer_id(response: httpx.Response) -> int:
    match = re.fullmatch(r"/espace/recruteur/offres/(\d+)(/apercu)?", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def test_a_complete_vta_is_submitted_to_moderation(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    form = await client.get("/espace/recruteur/offres/nouvelle")
    assert form.status_code == 200 and "Éligibilité de l’offre" in form.text
    response = await _new(client, VTA, "soumettre")
    assert response.status_code == 303, response.text
    offer = await Offer.get(id=_offer_id(response))
    assert offer.status == "submitted" and offer.submitted_at is not None
    assert offer.eligibility_verdict == "eligible" and offer.created_by_id == recruiter.id
    assert offer.themes == ["transition_ecologique", "amenagement"]
    assert str(offer.weekly_hours) in ("35", "35.00") and offer.duration_months == 12
    events = await OfferEvent.filter(offer_id=offer.id).order_by("id")
    assert [e.to_status for e in events] == ["draft", "submitted"]
    page = await client.get(f"/espace/recruteur/offres/{offer.id}")
    assert "En attente de modération" in page.text


async def test_an_empty_draft_can_be_saved_and_completed_later(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    response = await _new(client, {"title": "Chef de projet", "commune": "05050"}, "enregistrer")
    assert response.status_code == 303
    offer_id = _offer_id(response)
    offer = await Offer.get(id=offer_id)
    assert offer.status == "draft" and offer.eligibility_verdict == "ineligible"
    home = await client.get("/espace/recruteur")
    assert "Brouillon (1)" in home.text and "Compléter et soumettre" in home.text
    edit = await client.get(f"/espace/recruteur/offres/{offer_id}/modifier")
    assert 'value="Chef de projet"' in edit.text
    # The draft keeps exactly what was typed, even what cannot be read yet.
    bad = {**VTA, "duration_months": "douze", "version": str(offer.version)}
    saved = await _post(client, f"/espace/recruteur/offres/{offer_id}/modifier", bad, "enregistrer")
    assert saved.status_code == 303
    edit = await client.get(f"/espace/recruteur/offres/{offer_id}/modifier")
    assert 'value="douze"' in edit.text and "Indiquez un nombre entier de mois" in edit.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_months": "19"}, "duration_months", "La mission VTA dure de 12 à 18 mois."),
        ({"min_diploma_level": "4"}, "min_diploma_level", "bac+2 minimum"),
        ({"weekly_hours": "26"}, "weekly_hours", "26,25 heures"),
        ({"deadline": TODAY.isoformat()}, "deadline", "postérieure à aujourd’hui"),
        ({"title": ""}, "title", "Indiquez l’intitulé du poste."),
        ({"themes": []}, "themes", "Choisissez au moins une thématique."),
    ],
)
async def test_submission_refused_while_ineligible(
    client: httpx.AsyncClient, recruiter: User, changes: dict[str, Any], field: str, message: str
) -> None:
    response = await _new(client, {**VTA, **changes}, "soumettre")
    assert response.status_code == 400
    assert "ne peut pas être soumise" in response.text
    assert "Votre brouillon est enregistré." in response.text
    assert message in response.text.replace("&#39;", "'")
    assert f'href="#{field}"' in response.text  # the verdict panel links to the field
    assert f'id="{field}-messages"' in response.text
    # Nothing typed is lost: the draft is saved, not submitted.
    offer = await Offer.get()
    assert offer.status == "draft" and offer.eligibility_verdict == "ineligible"


async def test_a_dense_commune_makes_a_vta_ineligible_and_an_unknown_density_to_review(
    client: httpx.AsyncClient,
) -> None:
    await make_user("recruiter", "rh@doullens.fr", commune="80253")  # density not imported
    await log_in(client, "rh@doullens.fr")
    response = await _new(client, {**VTA, "commune": "80253"}, "soumettre")
    assert response.status_code == 303
    offer = await Offer.get(id=_offer_id(response))
    assert offer.eligibility_verdict == "to_review"
    assert any(r["code"] == "density_unknown" for r in offer.eligibility["reasons"])  # type: ignore[index, union-attr]


async def test_unverified_recruiter_saves_drafts_but_cannot_submit(
    client: httpx.AsyncClient,
) -> None:
    await make_user("recruiter", "new@espinasses.fr", commune="05050", verification="pending")
    await log_in(client, "new@espinasses.fr")
    response = await _new(client, VTA, "soumettre")
    assert response.status_code == 400 and "pas encore vérifié" in response.text
    assert "Votre brouillon est enregistré." in response.text
    offer = await Offer.get()
    assert offer.status == "draft" and offer.title == VTA["title"]
    again = await _post(
        client,
        f"/espace/recruteur/offres/{offer.id}/modifier",
        {**VTA, "version": str(offer.version)},
        "soumettre",
    )
    assert again.status_code == 400 and (await Offer.get()).status == "draft"


async def test_live_check_returns_the_verdict_and_field_messages(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    response = await client.post(
        "/espace/recruteur/offres/verifier",
        data={"kind": "vta", "duration_months": "24", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "Non éligible" in response.text
    assert (
        'id="duration_months-messages"' in response.text and 'hx-swap-oob="true"' in response.text
    )
    assert "La mission VTA dure de 12 à 18 mois." in response.text
    assert "VTA : mission de 12 à 18 mois." in response.text  # the rule shown as a hint
    # Required fields are listed in the panel but not shouted under untouched fields.
    messages = re.search(r'id="title-messages"[^>]*>(.*?)</div>', response.text, re.S)
    assert messages and "Indiquez" not in messages.group(1)
    eligible = await client.post(
        "/espace/recruteur/offres/verifier",
        data={**VTA, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert "Éligible" in eligible.text and "Non éligible" not in eligible.text
    assert "<strong>plan climat</strong>" in eligible.text  # the Markdown preview


async def test_chef_de_projet_hint_differs_from_vta(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    response = await client.post(
        "/espace/recruteur/offres/verifier",
        data={"kind": "chef_de_projet", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert "contrat de projet de 12 à 72 mois" in response.text
    assert (
        "bac+2" not in response.text.split('id="min_diploma_level-messages"')[1].split("</div>")[0]
    )


async def test_preview_shows_the_offer_as_candidates_will_see_it(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    response = await _new(client, VTA, "apercu")
    assert response.status_code == 303 and response.headers["location"].endswith("/apercu")
    preview = await client.get(response.headers["location"])
    assert preview.status_code == 200
    assert "telle que les candidats la verront" in preview.text
    assert "<strong>plan climat</strong>" in preview.text
    assert "Espinasses" in preview.text and "Éligible" in preview.text
    # Nobody else sees the draft.
    offer_id = _offer_id(response)
    assert (
        await httpx.AsyncClient(transport=client._transport, base_url="http://testserver").get(
            f"/offres/{offer_id}"
        )
    ).status_code == 404


def _found(app: Starlette, query: str) -> list[int]:
    return [hit.id for hit in app.state.search.search(SearchRequest(q=query)).hits]


async def test_editing_a_published_offer_sends_it_back_to_moderation(
    app: Starlette, client: httpx.AsyncClient, recruiter: User, settings: Settings
) -> None:
    offer_id = _offer_id(await _new(client, VTA, "soumettre"))
    await approve(offer_id, settings)
    await index_now(app)
    assert (await client.get(f"/offres/{offer_id}")).status_code == 200
    assert _found(app, "transition écologique") == [offer_id]
    offer = await Offer.get(id=offer_id)
    changes_before = await SearchChange.filter(offer_id=offer_id).count()
    changed = {
        **VTA,
        "title": "VTA – Transition écologique et mobilités",
        "version": str(offer.version),
    }
    response = await _post(
        client, f"/espace/recruteur/offres/{offer_id}/modifier", changed, "enregistrer"
    )
    assert response.status_code == 303
    offer = await Offer.get(id=offer_id)
    assert offer.status == "submitted" and offer.title.endswith("mobilités")
    assert await SearchChange.filter(offer_id=offer_id).count() == changes_before + 1
    await index_now(app)
    assert _found(app, "mobilités") == _found(app, "transition écologique") == []
    assert (await client.get(f"/offres/{offer_id}")).status_code == 404  # hidden until approved
    # Approved again, it is searched as edited.
    await approve(offer_id, settings)
    await index_now(app)
    assert _found(app, "mobilités") == [offer_id]
    # An invalid edit of a published offer is refused and changes nothing.
    offer = await Offer.get(id=offer_id)
    bad = {**changed, "duration_months": "30", "version": str(offer.version)}
    refused = await _post(
        client, f"/espace/recruteur/offres/{offer_id}/modifier", bad, "enregistrer"
    )
    assert refused.status_code == 400
    assert (await Offer.get(id=offer_id)).status == "published"


async def test_two_recruiters_editing_at_once_get_a_conflict_not_an_overwrite(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    offer_id = _offer_id(await _new(client, VTA, "enregistrer"))
    version = (await Offer.get(id=offer_id)).version
    colleague = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await make_user("recruiter", "maire@espinasses.fr", commune="05050")
    await log_in(colleague, "maire@espinasses.fr")
    first = await _post(
        colleague, f"/espace/recruteur/offres/{offer_id}/modifier",
        {**VTA, "title": "Titre du maire", "version": str(version)}, "enregistrer",
    )  # fmt: skip
    assert first.status_code == 303
    second = await _post(
        client, f"/espace/recruteur/offres/{offer_id}/modifier",
        {**VTA, "title": "Mon titre à moi", "version": str(version)}, "enregistrer",
    )  # fmt: skip
    assert second.status_code == 409
    assert "Quelqu’un d’autre a modifié cette offre" in second.text
    assert 'value="Mon titre à moi"' in second.text  # their text is kept
    assert (await Offer.get(id=offer_id)).title == "Titre du maire"
    # Saving again on purpose (with the version shown) replaces it.
    current = re.search(r'name="version" value="(\d+)"', second.text)
    assert current
    third = await _post(
        client, f"/espace/recruteur/offres/{offer_id}/modifier",
        {**VTA, "title": "Mon titre à moi", "version": current.group(1)}, "enregistrer",
    )  # fmt: skip
    assert third.status_code == 303
    assert (await Offer.get(id=offer_id)).title == "Mon titre à moi"
    await colleague.aclose()


async def test_close_a_published_offer(
    app: Starlette, client: httpx.AsyncClient, recruiter: User, settings: Settings
) -> None:
    offer_id = _offer_id(await _new(client, VTA, "soumettre"))
    await approve(offer_id, settings)
    no_reason = await post_form(
        client, f"/espace/recruteur/offres/{offer_id}/cloturer", {}, token_from="/espace/recruteur"
    )
    assert no_reason.status_code == 400 and (await Offer.get(id=offer_id)).status == "published"
    closed = await post_form(
        client, f"/espace/recruteur/offres/{offer_id}/cloturer", {"reason": "pourvu"},
        token_from="/espace/recruteur",
    )  # fmt: skip
    assert closed.status_code == 303
    offer = await Offer.get(id=offer_id)
    assert offer.status == "closed" and offer.close_reason == "Poste pourvu"
    page = await client.get(f"/offres/{offer_id}")
    assert page.status_code == 200 and "Offre close" in page.text
    cannot_edit = await client.get(f"/espace/recruteur/offres/{offer_id}/modifier")
    assert cannot_edit.status_code == 400


async def test_another_collectivite_cannot_edit_preview_or_close(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    offer_id = _offer_id(await _new(client, VTA, "enregistrer"))
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    await make_user("recruiter", "rh@fumel.fr", commune="47106")
    await log_in(other, "rh@fumel.fr")
    for path in ("modifier", "apercu"):
        assert (await other.get(f"/espace/recruteur/offres/{offer_id}/{path}")).status_code == 404
    response = await _post(
        other,
        f"/espace/recruteur/offres/{offer_id}/modifier",
        {**VTA, "version": "2"},
        "enregistrer",
    )
    assert response.status_code == 404
    closed = await post_form(
        other, f"/espace/recruteur/offres/{offer_id}/cloturer", {"reason": "annule"},
        token_from="/espace/recruteur",
    )  # fmt: skip
    assert closed.status_code == 404
    # A commune of another collectivité cannot be chosen as the place of work.
    forged = await _new(other, {**VTA, "commune": "05050"}, "soumettre")
    assert (
        forged.status_code == 400
        and "appartient pas à votre collectivité" in forged.text.replace("&#39;", "'")
    )
    await other.aclose()


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: inline scripts, on* handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        # A JSON-LD block is data, not script: browsers never run it (and its JSON escapes <).
        is_data = names.get("type") == "application/ld+json"
        if tag == "script" and not is_data and not (names.get("src") or "").startswith("/static/"):
            self.found.append("inline script")
        # The templates' own SVG: the DSFR pictograms of the display settings (no payload
        # gets a class attribute through the sanitiser; its on* handlers are caught below).
        ours = tag == "svg" and "fr-artwork" in (names.get("class") or "").split()
        if tag in ("svg", "iframe", "object", "embed") and not ours:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def _active_content(page: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(page)
    return parser.found


XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[clic](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '"><svg onload=alert(1)>',
]


@pytest.mark.parametrize("payload", XSS)
async def test_xss_in_every_text_field_is_inert(
    app: Starlette, client: httpx.AsyncClient, recruiter: User, payload: str, settings: Settings
) -> None:
    data = {
        **VTA,
        "title": f"VTA {payload}",
        "description": f"Contexte {payload}",
        "missions": f"- Mission {payload}",
        "profile": f"Profil {payload}",
        "salary": f"SMIC {payload}",
    }
    offer_id = _offer_id(await _new(client, data, "soumettre"))
    await approve(offer_id, settings)
    await index_now(app)
    pages = [
        await client.get(f"/espace/recruteur/offres/{offer_id}"),
        await client.get(f"/espace/recruteur/offres/{offer_id}/modifier"),
        await client.get(f"/espace/recruteur/offres/{offer_id}/apercu"),
        await client.get(f"/offres/{offer_id}"),
        await client.get("/offres", params={"q": "VTA"}),
        await client.get("/espace/recruteur"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert _active_content(page.text) == []


def test_the_active_content_check_catches_what_it_should() -> None:
    found = _active_content(
        '<script>x</script><img src=x onerror="a()"><a href=" JavaScript:a()">x</a><svg></svg>'
        '<script src="/static/js/app.js"></script><p title="onerror=">ok</p>'
        '<script type="application/ld+json">{}</script><script type="module">y</script>'
    )
    assert found == [
        "inline script",
        "img onerror",
        "a href= JavaScript:a()",
        "<svg>",
        "inline script",
    ]


async def test_preview_of_an_incomplete_draft(client: httpx.AsyncClient, recruiter: User) -> None:
    response = await _new(
        client,
        {"title": "Juste un titre", "weekly_hours": "1e3", "deadline": "2027-02-30"},
        "apercu",
    )
    preview = await client.get(response.headers["location"])
    assert preview.status_code == 200
    assert "Juste un titre" in preview.text and "à compléter" in preview.text


async def test_nul_characters_are_dropped_not_stored(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    data = {**VTA, "title": "VTA\x00 climat", "salary": "a\x00b", "duration_months": "\x00"}
    response = await _new(client, data, "enregistrer")
    assert response.status_code == 303
    offer = await Offer.get()
    assert offer.title == "VTA climat" and "\x00" not in str(offer.form_data)


async def test_closing_needs_a_reason_and_a_published_offer(
    client: httpx.AsyncClient, recruiter: User, settings: Settings
) -> None:
    offer_id = _offer_id(await _new(client, VTA, "enregistrer"))
    draft = await post_form(
        client, f"/espace/recruteur/offres/{offer_id}/cloturer", {"reason": "pourvu"},
        token_from="/espace/recruteur",
    )  # fmt: skip
    assert draft.status_code == 400 and "Action impossible" in draft.text
    version = (await Offer.get(id=offer_id)).version
    submitted = await _post(
        client, f"/espace/recruteur/offres/{offer_id}/modifier",
        {**VTA, "version": str(version)}, "soumettre",
    )  # fmt: skip
    assert submitted.status_code == 303
    await approve(offer_id, settings)
    unknown = await post_form(
        client, f"/espace/recruteur/offres/{offer_id}/cloturer", {"reason": "autre"},
        token_from="/espace/recruteur",
    )  # fmt: skip
    assert unknown.status_code == 400 and "poste est pourvu" in unknown.text
    assert (await Offer.get(id=offer_id)).status == "published"


async def test_live_check_is_for_htmx_only(client: httpx.AsyncClient, recruiter: User) -> None:
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    response = await client.post(
        "/espace/recruteur/offres/verifier", data={**VTA, "csrf_token": token}
    )
    assert response.status_code == 400


async def test_field_failing_a_rule_is_marked_invalid(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    response = await _new(client, {**VTA, "duration_months": "24"}, "soumettre")
    field = re.search(r'<input[^>]*id="duration_months"[^>]*>', response.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'maxlength="150"' in response.text


def _h1(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page)
    assert match, "no heading"
    return match.group(1)


async def test_a_blank_form_reads_to_be_completed_until_something_is_typed(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    blank = await client.get("/espace/recruteur/offres/nouvelle")
    assert blank.status_code == 200 and "À compléter" in blank.text
    assert "Non éligible" not in blank.text and "verdict-reason" not in blank.text
    # The first live check (a field was touched) gives the real verdict, in the panel and in
    # the compact summary that phones keep in view.
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    checked = await client.post(
        "/espace/recruteur/offres/verifier",
        data={"kind": "vta", "duration_months": "24", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert "À compléter" not in checked.text and "Non éligible" in checked.text
    compact = re.search(
        r'<div id="verdict-compact"[^>]*hx-swap-oob="true">(.*?)</div>', checked.text, re.S
    )
    assert compact and "Non éligible" in compact.group(1)
    assert re.search(r"\d+ points à revoir", compact.group(1))
    # A save attempt shows the verdict too, never « À compléter ».
    refused = await _new(client, {"kind": "vta"}, "soumettre")
    assert refused.status_code == 400 and "À compléter" not in refused.text
    assert "Non éligible" in refused.text


async def test_the_heading_follows_the_address_after_a_refused_submit(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    refused = await _new(client, {**VTA, "duration_months": "24"}, "soumettre")
    assert refused.status_code == 400 and "Votre brouillon est enregistré." in refused.text
    assert _h1(refused.text) == "Nouvelle offre"
    assert "<title>Erreur – Nouvelle offre" in refused.text
    # The draft exists now: the form saves into it rather than creating a second one.
    offer = await Offer.get()
    assert f'action="/espace/recruteur/offres/{offer.id}/modifier"' in refused.text
    edit = await client.get(f"/espace/recruteur/offres/{offer.id}/modifier")
    assert _h1(edit.text) == "Modifier l’offre" and "À compléter" not in edit.text


async def test_live_check_body_is_bounded_with_a_french_message(
    client: httpx.AsyncClient, recruiter: User
) -> None:
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    # Each text under Starlette's 1 MB per field, the whole form past the offer form's bound.
    texts = {name: "é" * 150_000 for name in ("description", "missions", "profile")}
    huge = {**VTA, **texts, "csrf_token": token}
    response = await client.post(
        "/espace/recruteur/offres/verifier", data=huge, headers={"HX-Request": "true"}
    )
    assert response.status_code == 413 and "Le formulaire est trop long" in response.text

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length to refuse up front
        body = urlencode(huge).encode()
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(
        "/espace/recruteur/offres/verifier",
        content=chunked(),
        headers={
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRF-Token": token,
        },
    )
    assert response.status_code == 413 and "Le formulaire est trop long" in response.text


async def test_markdown_previews_render_off_the_event_loop(
    client: httpx.AsyncClient, recruiter: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[bool] = []
    render = recruiter_web.render_offer_texts

    def observed(source: object) -> Any:
        threads.append(threading.current_thread() is threading.main_thread())
        return render(source)

    monkeypatch.setattr(recruiter_web, "render_offer_texts", observed)
    token = await csrf_token(client, "/espace/recruteur/offres/nouvelle")
    response = await client.post(
        "/espace/recruteur/offres/verifier",
        data={**VTA, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert "<strong>plan climat</strong>" in response.text
    assert threads and not any(threads)  # rendered, and never in the event loop's thread
