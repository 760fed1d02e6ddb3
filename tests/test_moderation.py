"""ANCT moderation: queue, review, decisions with their e-mails, concurrency, diff, override."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.errors import Refused
from jobboard.domain.offer_form import OfferForm
from jobboard.models import Application, EmailOutbox, Offer, OfferEvent, Organisation, User
from jobboard.services import moderation, statistics
from jobboard.services.offer_editing import save_offer
from jobboard.settings import Settings
from tests.conftest import csrf_token, index_now, log_in, make_user, post_form

TODAY = clock.today()
VTA: dict[str, Any] = {
    "kind": "vta",
    "title": "VTA – Chargé(e) de mission énergie",
    "commune": "05050",
    "description": "Espinasses engage son plan de sobriété énergétique.",
    "missions": "- Suivre les consommations\n- Monter les dossiers Fonds vert",
    "profile": "Bac+3 en environnement.",
    "themes": ["transition_ecologique"],
    "deadline": (TODAY + timedelta(days=30)).isoformat(),
    "start_date": (TODAY + timedelta(days=60)).isoformat(),
    "duration_months": "12",
    "weekly_hours": "35",
    "min_diploma_level": "5",
    "remote": "no",
}


async def _submitted(**changes: Any) -> Offer:
    """An offer submitted by the verified recruiter of Espinasses (two recruiters there)."""
    recruiter = await User.get_or_none(email="rh@espinasses.fr") or await make_user(
        "recruiter", "rh@espinasses.fr", commune="05050", full_name="Anne Roux"
    )
    if not await User.exists(email="maire@espinasses.fr"):
        await make_user("recruiter", "maire@espinasses.fr", commune="05050", full_name="Le maire")
    organisation = await Organisation.get(id=recruiter.organisation_id)
    data = {**VTA, **changes}
    form = OfferForm.from_fields({k: v for k, v in data.items() if k != "themes"}, data["themes"])
    offer, _, refusal = await save_offer(
        user=recruiter, organisation=organisation, form=form, offer_id=None, version=None,
        submit=True, today=TODAY,
    )  # fmt: skip
    assert not refusal, refusal
    return offer


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> User:
    user = await make_user("staff", "moderation@anct.example", full_name="Claire Moreau")
    await log_in(client, "moderation@anct.example")
    return user


async def _decide(
    client: httpx.AsyncClient, offer: Offer, decision: str, comment: str = "", **extra: str
) -> httpx.Response:
    current = await Offer.get(id=offer.id)
    return await post_form(
        client,
        f"/moderation/offres/{offer.id}/decision",
        {"decision": decision, "comment": comment, "version": str(current.version), **extra},
        token_from="/moderation",
    )


async def test_queue_lists_submitted_offers_oldest_first(
    client: httpx.AsyncClient, staff: User
) -> None:
    first = await _submitted(title="VTA – Première offre")
    second = await _submitted(title="VTA – Seconde offre")
    await Offer.filter(id=first.id).update(submitted_at=first.submitted_at - timedelta(days=3))  # type: ignore[operator]
    page = await client.get("/moderation")
    assert page.status_code == 200
    assert page.text.index(f'href="/moderation/offres/{first.id}"') < page.text.index(
        f'href="/moderation/offres/{second.id}"'
    )
    assert page.text.index("Première offre") < page.text.index("Seconde offre")
    assert "3 jours" in page.text and "Espinasses" in page.text and "Hautes-Alpes" in page.text
    filtered = await client.get("/moderation", params={"type": "chef_de_projet"})
    assert "Première offre" not in filtered.text
    bad = await client.get("/moderation", params={"departement": "zz", "verdict": "x"})
    assert bad.status_code == 200 and "Département inconnu" in bad.text


async def test_approve_publishes_indexes_and_emails_every_recruiter(
    app: Starlette, client: httpx.AsyncClient, staff: User
) -> None:
    offer = await _submitted(title="VTA – Sobriété énergétique et patrimoine")
    review = await client.get(f"/moderation/offres/{offer.id}")
    assert review.status_code == 200
    assert "Très peu dense" not in review.text and "4 – très peu dense" in review.text
    assert "Oui (convention" in review.text  # Espinasses is PVD
    response = await _decide(client, offer, "approve")
    assert response.status_code == 303 and response.headers["location"] == "/moderation"
    offer = await Offer.get(id=offer.id)
    assert offer.status == "published" and offer.published_at is not None
    event = await OfferEvent.filter(offer_id=offer.id).order_by("-id").first()
    assert event and event.actor_id == staff.id and event.to_status == "published"
    emails = await EmailOutbox.filter(subject="Votre offre est publiée")
    assert {e.to for e in emails} == {"rh@espinasses.fr", "maire@espinasses.fr"}
    await index_now(app)
    found = await client.get("/offres", params={"q": "sobriété"})
    assert f"/offres/{offer.id}" in found.text


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
async def test_changes_and_rejection_need_a_comment_which_is_emailed(
    client: httpx.AsyncClient, staff: User, decision: str
) -> None:
    offer = await _submitted()
    missing = await _decide(client, offer, decision, "  ")
    assert missing.status_code == 400 and "Indiquez" in missing.text
    assert (await Offer.get(id=offer.id)).status == "submitted"
    comment = "Précisez la rémunération et le temps de travail."
    assert (await _decide(client, offer, decision, comment)).status_code == 303
    offer = await Offer.get(id=offer.id)
    assert offer.status == {"request_changes": "changes_requested", "reject": "rejected"}[decision]
    emails = await EmailOutbox.all()
    assert len(emails) == 2 and all(comment in e.body_text for e in emails)


async def test_htmx_decision_errors_come_back_as_a_fragment(
    client: httpx.AsyncClient, staff: User
) -> None:
    offer = await _submitted()
    token = await csrf_token(client, "/moderation")
    response = await client.post(
        f"/moderation/offres/{offer.id}/decision",
        data={
            "decision": "reject",
            "comment": "",
            "version": str(offer.version),
            "csrf_token": token,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400 and "<html" not in response.text
    assert 'id="decision"' in response.text and "motif du refus" in response.text
    ok = await client.post(
        f"/moderation/offres/{offer.id}/decision",
        data={"decision": "approve", "version": str(offer.version), "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 204 and ok.headers["hx-redirect"] == "/moderation"


async def test_transitions_refused_cleanly(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted()
    assert (await _decide(client, offer, "unpublish", "x")).status_code == 400  # not published
    assert (await _decide(client, offer, "reject", "Hors sujet")).status_code == 303
    # A rejected offer cannot be published without a new submission.
    again = await _decide(client, offer, "approve")
    assert again.status_code == 400 and "Action impossible" in again.text
    assert (await Offer.get(id=offer.id)).status == "rejected"
    unknown = await _decide(client, offer, "delete")
    assert unknown.status_code == 400


async def test_approving_twice_is_refused_without_a_second_transition(
    client: httpx.AsyncClient, staff: User
) -> None:
    offer = await _submitted()
    stale = offer.version
    assert (await _decide(client, offer, "approve")).status_code == 303
    second = await post_form(
        client,
        f"/moderation/offres/{offer.id}/decision",
        {"decision": "approve", "version": str(stale)},
        token_from="/moderation",
    )
    assert second.status_code == 409 and "Rien n’a été fait" in second.text
    assert await OfferEvent.filter(offer_id=offer.id, to_status="published").count() == 1


async def test_two_moderators_at_once_only_the_first_acts(
    client: httpx.AsyncClient, staff: User, settings: Settings
) -> None:
    offer = await _submitted()
    other = await make_user("staff", "autre@anct.example")
    version = offer.version
    await moderation.decide(
        offer.id, "approve", other, comment="", version=version, settings=settings, today=TODAY
    )
    with pytest.raises(moderation.AlreadyDecided):
        await moderation.decide(
            offer.id, "reject", staff, comment="Non", version=version, settings=settings,
            today=TODAY,
        )  # fmt: skip
    assert (await Offer.get(id=offer.id)).status == "published"


async def test_unpublish_needs_a_reason(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted()
    await _decide(client, offer, "approve")
    assert (await _decide(client, offer, "unpublish")).status_code == 400
    assert (await _decide(client, offer, "unpublish", "Poste déjà pourvu")).status_code == 303
    assert (await Offer.get(id=offer.id)).status == "changes_requested"


async def test_resubmission_shows_what_changed(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted()
    await _decide(client, offer, "request_changes", "Ajoutez la rémunération.")
    recruiter = await User.get(email="rh@espinasses.fr")
    organisation = await Organisation.get(id=recruiter.organisation_id)
    form = OfferForm.from_fields(
        {**{k: v for k, v in VTA.items() if k != "themes"}, "salary": "SMIC + 10 %",
         "title": "VTA – Chargé(e) de mission sobriété"},
        VTA["themes"],
    )  # fmt: skip
    current = await Offer.get(id=offer.id)
    await save_offer(
        user=recruiter, organisation=organisation, form=form, offer_id=offer.id,
        version=current.version, submit=True, today=TODAY,
    )  # fmt: skip
    page = await client.get(f"/moderation/offres/{offer.id}")
    assert "Changements depuis la dernière décision" in page.text
    assert "<del>énergie</del>" in page.text and "<ins>sobriété</ins>" in page.text
    assert "Rémunération" in page.text and "<ins>SMIC + 10 %</ins>" in page.text
    assert (
        "Missions"
        not in re.sub(r"<h2.*?Missions</h2>", "", page.text)
        .split("Changements")[1]
        .split("</table>")[0]
    )
    changes = await moderation.changes_since_last_review(await Offer.get(id=offer.id))
    assert changes is not None and {c.field for c in changes} == {"title", "salary"}


async def test_first_submission_has_no_diff(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted()
    assert await moderation.changes_since_last_review(offer) is None
    page = await client.get(f"/moderation/offres/{offer.id}")
    assert "Changements depuis la dernière décision" not in page.text


async def test_territory_override_needs_a_justification_and_is_logged(
    client: httpx.AsyncClient, staff: User
) -> None:
    await make_user("recruiter", "rh@lyon.fr", commune="69123")
    recruiter = await User.get(email="rh@lyon.fr")
    organisation = await Organisation.get(id=recruiter.organisation_id)
    form = OfferForm.from_fields(
        {**{k: v for k, v in VTA.items() if k != "themes"}, "commune": "69123"}, VTA["themes"]
    )
    offer, checked, _ = await save_offer(
        user=recruiter, organisation=organisation, form=form, offer_id=None, version=None,
        submit=False, today=TODAY,
    )  # fmt: skip
    # Lyon is dense (level 1 in fixtures/density_sample.csv): a VTA there is refused.
    assert checked.assessment.verdict.value == "ineligible"
    assert any(r.code == "density_dense" for r in checked.assessment.blocking)
    # Staff review the draft (as if submitted) and grant the exemption.
    page = await client.get(f"/moderation/offres/{offer.id}")
    assert "Accorder la dérogation" in page.text
    missing = await post_form(
        client, f"/moderation/offres/{offer.id}/derogation",
        {"justification": " ", "version": str(offer.version)}, token_from="/moderation",
    )  # fmt: skip
    assert missing.status_code == 400 and "justifiée par écrit" in missing.text
    granted = await post_form(
        client, f"/moderation/offres/{offer.id}/derogation",
        {"justification": "Arrêté préfectoral du 3 mars 2026", "version": str(offer.version)},
        token_from="/moderation",
    )  # fmt: skip
    assert granted.status_code == 303
    offer = await Offer.get(id=offer.id)
    assert offer.territory_override == "Arrêté préfectoral du 3 mars 2026"
    assert offer.eligibility_verdict == "to_review"
    event = await OfferEvent.filter(offer_id=offer.id).order_by("-id").first()
    assert event and event.comment.startswith("Dérogation territoriale : Arrêté préfectoral")


async def test_only_staff_moderate(client: httpx.AsyncClient) -> None:
    offer = await _submitted()
    await log_in(client, "rh@espinasses.fr")
    assert (await client.get("/moderation")).status_code == 403
    assert (await client.get(f"/moderation/offres/{offer.id}")).status_code == 403
    response = await post_form(
        client, f"/moderation/offres/{offer.id}/decision",
        {"decision": "approve", "version": str(offer.version)}, token_from="/espace/recruteur",
    )  # fmt: skip
    assert response.status_code == 403
    assert (await Offer.get(id=offer.id)).status == "submitted"


async def test_the_log_cannot_be_rewritten(db: None) -> None:
    offer = await _submitted()
    event = await OfferEvent.filter(offer_id=offer.id).first()
    assert event is not None
    event.comment = "réécrit"
    with pytest.raises(PermissionError):
        await event.save()
    with pytest.raises(PermissionError):
        await event.delete()
    with pytest.raises(Exception, match="append-only"):
        await OfferEvent.filter(id=event.id).update(comment="réécrit")
    assert (await OfferEvent.get(id=event.id)).comment != "réécrit"


async def test_staff_header_counts_what_waits(client: httpx.AsyncClient, staff: User) -> None:
    await _submitted()
    await make_user("recruiter", "new@thizy.fr", commune="69248", verification="pending")
    page = await client.get("/moderation")
    assert re.search(r'title="1 offre\(s\) et 1 compte\(s\) en attente">2<', page.text)


async def test_journal_filters_and_paginates(client: httpx.AsyncClient, staff: User) -> None:
    first = await _submitted(title="VTA – Journal A")
    second = await _submitted(title="VTA – Journal B")
    await _decide(client, first, "approve")
    page = await client.get("/moderation/journal")
    assert page.status_code == 200
    assert "Journal A" in page.text and "Journal B" in page.text
    assert "Claire Moreau (moderation@anct.example)" in page.text
    by_offer = await client.get("/moderation/journal", params={"offre": str(second.id)})
    assert "Journal B" in by_offer.text and "Journal A" not in by_offer.text
    by_actor = await client.get("/moderation/journal", params={"acteur": "anct.example"})
    assert by_actor.text.count("/moderation/offres/") == 1
    today = TODAY.isoformat()
    dated = await client.get("/moderation/journal", params={"du": today, "au": today})
    assert "Journal A" in dated.text
    later = (TODAY + timedelta(days=1)).isoformat()
    assert "Aucune entrée." in (await client.get("/moderation/journal", params={"du": later})).text
    bad = await client.get("/moderation/journal", params={"offre": "abc", "du": "hier"})
    assert (
        bad.status_code == 200 and "doit être un nombre" in bad.text and "Date invalide" in bad.text
    )
    for _ in range(60):
        await OfferEvent.create(offer_id=first.id, from_status="published", to_status="published",
                                comment="remplissage")  # fmt: skip
    page2 = await client.get("/moderation/journal", params={"page": "2"})
    assert "2 / 2" in page2.text and "Page précédente" in page2.text


async def test_statistics_against_a_known_fixture(client: httpx.AsyncClient, staff: User) -> None:
    a = await _submitted(title="VTA – Stat A")
    b = await _submitted(title="VTA – Stat B")
    await _submitted(title="VTA – Stat C")  # still waiting
    await _decide(client, a, "approve")
    await _decide(client, b, "reject", "Non")
    applicant = await make_user("candidate", "lea@example.fr")
    await Application.create(offer_id=a.id, candidate=applicant)
    stats = await _stats_numbers(client)
    assert stats["total"] == 3 and stats["published"] == 1
    assert ("En attente de modération", 1) in stats["by_status"]
    assert ("Publiée", 1) in stats["by_status"] and ("Refusée", 1) in stats["by_status"]
    assert stats["by_kind"] == [("VTA", 3)]
    assert stats["by_departement"] == [("Hautes-Alpes (05)", 3)]
    assert stats["decisions"] == 2 and stats["median_applications"] == 1
    page = await client.get("/moderation/statistiques")
    assert page.status_code == 200 and "<svg" in page.text and "Hautes-Alpes (05) : 3" in page.text
    bad = await client.get("/moderation/statistiques", params={"du": "n’importe"})
    assert bad.status_code == 400 and "Date de début invalide" in bad.text


async def _stats_numbers(client: httpx.AsyncClient) -> dict[str, Any]:
    stats = await statistics.compute(TODAY - timedelta(days=1), TODAY)
    return stats.__dict__


async def test_median_delay_from_submission_to_decision(db: None, settings: Settings) -> None:
    offer = await _submitted()
    staff = await make_user("staff", "s@anct.example")
    # The decision event is written 5 hours after the submission event (through created_at,
    # which the log sets only at insert time).
    submitted = await OfferEvent.filter(offer_id=offer.id, to_status="submitted").first()
    assert submitted is not None
    await OfferEvent.create(
        offer_id=offer.id, actor=staff, from_status="submitted", to_status="published",
        created_at=submitted.created_at + timedelta(hours=5),
    )  # fmt: skip
    stats = await statistics.compute(TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    assert stats.decisions == 1 and stats.median_delay_hours == pytest.approx(5, abs=0.01)


async def test_csv_export_opens_in_french_excel(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted(title='=HYPERLINK("x") ; «VTA» énergie')
    await _submitted(title="VTA – Autre")
    response = await client.get("/moderation/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["numéro", "intitulé", "type"] and len(rows) == 3
    first = rows[1]
    assert first[0] == str(offer.id) and first[1].startswith("'=HYPERLINK")  # not a formula
    assert first[1].endswith("\u00abVTA\u00bb énergie")  # the title as typed
    assert first[8] == "Hautes-Alpes" and first[-1] == "0"
    filtered = await client.get("/moderation/export.csv", params={"statut": "published"})
    assert (
        len(list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig")), delimiter=";"))) == 1
    )


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        # The journal is a search form: it shows the problem above the results.
        ("/moderation/journal", {"au": "9999-12-31"}, 200, "Date invalide"),
        ("/moderation/journal", {"du": "0001-01-01", "acteur": "a\x00b"}, 200, "Date invalide"),
        ("/moderation/statistiques", {"au": "9999-12-31"}, 400, "invalide"),
        ("/moderation/statistiques", {"du": "0001-01-01"}, 400, "invalide"),
        ("/moderation", {"departement": "\x00"}, 200, "Offres à modérer"),  # NUL dropped
        ("/moderation/journal", {"page": "999999999999"}, 200, "Journal"),
    ],
)
async def test_odd_query_parameters_never_fail(
    client: httpx.AsyncClient,
    staff: User,
    path: str,
    params: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == status
    assert message in response.text and "Erreur interne" not in response.text


async def test_export_refuses_unknown_filters(client: httpx.AsyncClient, staff: User) -> None:
    response = await client.get("/moderation/export.csv", params={"statut": "zz"})
    assert response.status_code == 400 and "État inconnu" in response.text
    response = await client.get("/moderation/export.csv", params={"departement": "zz"})
    assert response.status_code == 400 and "Département inconnu" in response.text


async def test_a_decision_without_version_is_a_400(client: httpx.AsyncClient, staff: User) -> None:
    offer = await _submitted()
    response = await post_form(
        client, f"/moderation/offres/{offer.id}/decision", {"decision": "approve"},
        token_from="/moderation",
    )  # fmt: skip
    assert response.status_code == 400 and "rechargez la page" in response.text
    assert (await Offer.get(id=offer.id)).status == "submitted"


async def test_override_only_where_a_territory_rule_refuses(
    client: httpx.AsyncClient, staff: User, settings: Settings
) -> None:
    offer = await _submitted()  # Espinasses: rural, nothing to override
    refused = await post_form(
        client, f"/moderation/offres/{offer.id}/derogation",
        {"justification": "Pourquoi pas", "version": str(offer.version)}, token_from="/moderation",
    )  # fmt: skip
    assert refused.status_code == 400 and "aucune dérogation" in refused.text
    await moderation.decide(
        offer.id, "reject", staff, comment="Non", version=offer.version, settings=settings,
        today=TODAY,
    )  # fmt: skip
    with pytest.raises(Refused, match="ne peut pas"):
        await moderation.override_territory(
            offer.id, staff, justification="x", version=offer.version + 1, today=TODAY
        )
    assert (await Offer.get(id=offer.id)).territory_override == ""


async def test_rejection_makes_pending_applications_obsolete(
    client: httpx.AsyncClient, staff: User
) -> None:
    offer = await _submitted()
    lea = await make_user("candidate", "lea@example.fr")
    application = await Application.create(offer_id=offer.id, candidate=lea)
    await _decide(client, offer, "reject", "Hors programme")
    assert (await Application.get(id=application.id)).status == "obsolete"
    assert await EmailOutbox.filter(to="lea@example.fr").exists()


async def test_the_log_refuses_deletes_even_in_bulk(db: None) -> None:
    offer = await _submitted()
    with pytest.raises(Exception, match="append-only"):
        await OfferEvent.filter(offer_id=offer.id).delete()
    assert await OfferEvent.filter(offer_id=offer.id).count() == 2


async def test_an_override_is_not_counted_as_a_decision(db: None) -> None:
    offer = await _submitted()
    staff = await make_user("staff", "s@anct.example")
    submitted = await OfferEvent.filter(offer_id=offer.id, to_status="submitted").first()
    assert submitted is not None
    t0 = submitted.created_at
    await OfferEvent.create(offer_id=offer.id, actor=staff, from_status="submitted",
                            to_status="submitted", comment="Dérogation territoriale : x",
                            created_at=t0 + timedelta(hours=1))  # fmt: skip
    await OfferEvent.create(offer_id=offer.id, actor=staff, from_status="submitted",
                            to_status="published", created_at=t0 + timedelta(hours=10))  # fmt: skip
    stats = await statistics.compute(TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    assert stats.decisions == 1 and stats.median_delay_hours == pytest.approx(10, abs=0.01)
