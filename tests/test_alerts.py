"""E-mail alerts on a board search: creation (candidate in one click, visitor by double opt-in),
the signed links, « Mes alertes », and the digest run (exactly the new matching offers, once
per period, idempotent under reruns, concurrent runs and crashes)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock, mail
from jobboard.domain.alerts import AlertFrequency, period_key
from jobboard.models import Alert, EmailOutbox, Offer, User
from jobboard.services import alerts as alert_service
from jobboard.services.account_deletion import BY_OWNER, delete_account
from jobboard.services.alerts import send_alerts
from jobboard.services.offer_import import import_offers
from jobboard.services.purge import purge
from jobboard.settings import Settings
from tests.conftest import (
    SmtpServer,
    approve,
    csrf_token,
    index_now,
    log_in,
    make_user,
    offer_row,
    smtp_settings,
    text_part,
)

TODAY = clock.today()
S = "\u202f"
VISITOR = "visiteur@example.fr"
COMMERCE = {
    "description": "Les commerces du bourg.",
    "missions": "- Animer les commerçants",
    "profile": "Commerce.",
    "themes": ["commerce"],
}


async def _offers(app: Starlette, *titles: str, **changes: Any) -> list[Offer]:
    rows = [offer_row(title=title, **changes) for title in titles]
    created = (await import_offers(rows, today=TODAY)).created
    await index_now(app)
    return [await Offer.get(id=i) for i in created]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The offers of a test are published a moment before its run: no settle window (one test
    puts it back)."""
    return replace(settings, alert_settle_seconds=0)


def _later(days: int = 0) -> datetime:
    """A run's instant: now, or this many days later."""
    return clock.now() + timedelta(days=days)


async def _create_visitor_alert(
    client: httpx.AsyncClient, search: str = "q=climat", email: str = VISITOR, **fields: str
) -> httpx.Response:
    token = await csrf_token(client, "/alertes/nouvelle")
    data = {"csrf_token": token, "recherche": search, "frequence": "quotidienne", "email": email}
    data.update(fields)
    return await client.post("/alertes/nouvelle", data=data)


def _link(body: str, path: str) -> str:
    match = re.search(rf"http://testserver({path}/[A-Za-z0-9_.-]+)", body)
    assert match, body
    return match.group(1)


async def _active_alert(search: str = "q=climat", email: str = VISITOR, **fields: Any) -> Alert:
    moment = clock.now()
    values: dict[str, Any] = dict(
        email=email, name=search, query=search, frequency=AlertFrequency.DAILY, status="active",
        created_at=moment, confirmed_at=moment, watermark=moment,
    )  # fmt: skip
    values.update(fields)
    return await Alert.create(**values)


# -- creation --


async def test_board_box_works_without_javascript_for_a_visitor(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    board = await client.get("/offres?q=climat&type=vta&tri=date&page=1")
    assert board.status_code == 200
    assert "Créer une alerte" in board.text
    # A GET form (no session for a visitor) carrying the canonical search, without page/order.
    assert 'method="get" action="/alertes/nouvelle"' in board.text
    assert 'name="recherche" value="q=climat&amp;type=vta"' in board.text
    assert 'href="/flux.atom?q=climat&amp;type=vta' in board.text
    assert "set-cookie" not in board.headers
    form = await client.get("/alertes/nouvelle?recherche=q%3Dclimat%26type%3Dvta")
    assert form.status_code == 200
    assert f"«{S}climat{S}» · VTA" in form.text and 'name="email"' in form.text


async def test_a_visitor_confirms_by_the_emailed_link_and_nothing_is_sent_before(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await _create_visitor_alert(client)
    assert response.status_code == 200 and "Confirmez votre alerte" in response.text
    alert = await Alert.get(email=VISITOR)
    assert alert.status == "pending" and alert.query == "q=climat" and alert.user_id is None
    [confirmation] = await EmailOutbox.filter(to=VISITOR)
    assert confirmation.subject == "Confirmez votre alerte e-mail"
    # Pending: an offer published now is not sent.
    await _offers(app, "VTA – Plan climat")
    report = await send_alerts(settings, app.state.search, moment=_later())
    assert report.due == 0 and await EmailOutbox.filter(to=VISITOR).count() == 1

    link = _link(confirmation.body_text, "/alertes/confirmer")
    confirmed = await client.get(link)
    assert confirmed.status_code == 200 and "Alerte confirmée" in confirmed.text
    alert = await Alert.get(id=alert.id)
    assert alert.status == "active" and alert.confirmed_at is not None
    again = await client.get(link)  # a reused link: a clear page, nothing changes
    assert again.status_code == 409 and "déjà confirmée" in again.text
    assert (await Alert.get(id=alert.id)).confirmed_at == alert.confirmed_at


async def test_bad_and_expired_confirmation_links_change_nothing(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _create_visitor_alert(client)
    alert = await Alert.get(email=VISITOR)
    forged = await client.get("/alertes/confirmer/abc.def.ghi")
    assert forged.status_code == 400 and "n’est pas valide" in forged.text
    token = alert_service.confirm_token(alert, settings)
    tampered = await client.get(f"/alertes/confirmer/{token[:-2]}xx")
    assert tampered.status_code == 400
    # An unsubscribe token is no confirmation token (salts differ).
    other = alert_service.unsubscribe_token(alert, settings)
    assert (await client.get(f"/alertes/confirmer/{other}")).status_code == 400
    import time_machine

    with time_machine.travel(clock.now() + timedelta(days=8), tick=False):
        expired = await client.get(f"/alertes/confirmer/{token}")
    assert expired.status_code == 410 and "expiré" in expired.text
    assert (await Alert.get(id=alert.id)).status == "pending"


async def test_a_signed_in_candidate_creates_an_active_alert_in_one_click(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    lea = await make_user("candidate", "lea@example.fr", diploma_level=6)
    await log_in(client, "lea@example.fr")
    board = await client.get("/offres?q=climat")
    assert 'method="post" action="/alertes/nouvelle"' in board.text
    # The level preset from the profile is part of the search the candidate saw.
    assert 'name="recherche" value="q=climat&amp;diplome=6"' in board.text
    token = await csrf_token(client, "/offres?q=climat")
    created = await client.post(
        "/alertes/nouvelle",
        data={"csrf_token": token, "recherche": "q=climat&diplome=6", "frequence": "hebdomadaire"},
    )
    assert created.status_code == 303 and created.headers["location"] == "/espace/candidat/alertes"
    alert = await Alert.get(user_id=lea.id)
    assert alert.status == "active" and alert.frequency == "weekly"
    assert alert.email == "lea@example.fr" and alert.query == "q=climat&diplome=6"
    assert not await EmailOutbox.filter(to="lea@example.fr").exists()  # no confirmation needed
    page = await client.get("/espace/candidat/alertes")
    assert page.status_code == 200 and f"L’alerte «{S}" in page.text
    assert "Aucun envoi pour l’instant" in page.text and "Chaque semaine" in page.text
    assert 'href="/espace/candidat/alertes"' in (await client.get("/espace/candidat")).text


async def test_the_21st_alert_of_an_address_is_refused_with_the_reason(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    for number in range(20):
        await _active_alert(f"q=mot{number}")
    refused = await _create_visitor_alert(client, "q=encore")
    assert refused.status_code == 400
    assert "déjà 20 alertes pour cette adresse" in refused.text
    assert await Alert.filter(email=VISITOR).count() == 20
    assert await EmailOutbox.all().count() == 0


async def test_a_search_the_board_refuses_is_refused_the_same_way(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    board = await client.get("/offres?type=pompier")
    assert board.status_code == 400 and "Créer une alerte" not in board.text
    message = f"Le type d’offre «{S}pompier{S}» n’existe pas."
    assert message in board.text
    refused = await _create_visitor_alert(client, "type=pompier")
    assert refused.status_code == 400 and message in refused.text
    bad_email = await _create_visitor_alert(client, email="pas-une-adresse")
    assert bad_email.status_code == 400
    no_frequency = await _create_visitor_alert(client, frequence="parfois")
    assert no_frequency.status_code == 400 and "fréquence" in no_frequency.text
    assert await Alert.all().count() == 0 and await EmailOutbox.all().count() == 0
    page = await client.get("/alertes/nouvelle?recherche=type%3Dpompier")
    assert page.status_code == 400 and message in page.text


# -- « Mes alertes » --


async def test_the_owner_renames_changes_pauses_resumes_and_deletes(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    lea = await make_user("candidate", "lea@example.fr")
    await log_in(client, "lea@example.fr")
    alert = await _active_alert(email=lea.email, user=lea)
    other = await _active_alert(email="autre@example.fr")

    async def act(alert_id: int, **data: str) -> httpx.Response:
        token = await csrf_token(client, "/espace/candidat/alertes")
        return await client.post(
            f"/espace/candidat/alertes/{alert_id}", data={"csrf_token": token, **data}
        )

    assert (await act(alert.id, action="renommer", nom="  Climat  47 ")).status_code == 303
    assert (await Alert.get(id=alert.id)).name == "Climat 47"
    assert (await act(alert.id, action="frequence", frequence="hebdomadaire")).status_code == 303
    assert (await Alert.get(id=alert.id)).frequency == "weekly"
    assert (await act(alert.id, action="pause")).status_code == 303
    assert (await Alert.get(id=alert.id)).status == "paused"
    assert "En pause" in (await client.get("/espace/candidat/alertes")).text
    assert (await act(alert.id, action="reprendre")).status_code == 303
    assert (await Alert.get(id=alert.id)).status == "active"
    assert (await act(alert.id, action="renommer", nom=" ")).status_code == 400
    assert (await act(alert.id, action="frequence", frequence="jamais")).status_code == 400
    assert (await act(other.id, action="supprimer")).status_code == 404  # not theirs
    assert (await act(alert.id, action="supprimer")).status_code == 303
    assert not await Alert.filter(id=alert.id).exists() and await Alert.filter(id=other.id).exists()
    no_csrf = await client.post(f"/espace/candidat/alertes/{other.id}", data={"action": "pause"})
    assert no_csrf.status_code == 403


# -- the digest --


async def test_the_digest_lists_exactly_the_new_matching_offers_newest_first(
    app: Starlette, client: httpx.AsyncClient, settings: Settings, smtp_server: SmtpServer
) -> None:
    await _offers(app, "VTA – Ancien plan climat")  # published before the alert
    alert = await _active_alert("q=climat&type=vta")
    first, second = await _offers(app, "VTA – Plan climat", "VTA – Climat et énergie")
    await _offers(app, "VTA – Commerce de centre-bourg", **COMMERCE)
    await _offers(
        app,
        "Chef de projet – Climat",
        kind="chef_de_projet",
        duration_months=24,
        employer_insee="05050",
    )  # fmt: skip — matches the words, not the type

    report = await send_alerts(settings, app.state.search, moment=_later())
    assert (report.due, report.digests, report.empty) == (1, 1, 0)
    [row] = await EmailOutbox.filter(to=VISITOR)
    assert row.subject == f"2 nouvelles offres pour votre alerte «{S}q=climat&type=vta{S}»"
    assert row.body_text.index(second.title) < row.body_text.index(first.title)
    assert "Ancien" not in row.body_text and "Commerce" not in row.body_text
    assert "Chef de projet" not in row.body_text
    assert "/offres?q=climat&type=vta&tri=date" in row.body_text
    assert second.title in row.body_html
    alert = await Alert.get(id=alert.id)
    assert alert.last_sent_at is not None
    assert alert.last_period == period_key(AlertFrequency.DAILY, _later())

    backend = mail.backend_for(smtp_settings(settings, smtp_server.port))
    assert await mail.send_pending(backend, settings.email_from) == (1, 0)
    [message] = smtp_server.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://testserver/alertes/desabonnement/")
    assert unsubscribe in text_part(message)

    # RFC 8058: the mail client posts, with no cookie and no CSRF token.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
        posted = await bare.post(
            urlsplit(unsubscribe).path,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert posted.status_code == 200 and "Vous ne recevrez plus l’alerte" in posted.text
    assert (await Alert.get(id=alert.id)).status == "paused"
    # Used again: a clear page, nothing changes.
    again = await client.get(urlsplit(unsubscribe).path)
    assert again.status_code == 409 and "déjà arrêtée" in again.text

    # « Annuler »: the alert runs again.
    page = await client.post(urlsplit(unsubscribe).path)  # the CSRF exemption is that route only
    assert page.status_code == 409
    await Alert.filter(id=alert.id).update(status="active", unsubscribed_at=None)
    stopped = await client.get(urlsplit(unsubscribe).path)
    assert stopped.status_code == 200 and "Annuler" in stopped.text, stopped.text
    undo = re.search(r'action="(/alertes/desabonnement/[^"]+/annuler)"', stopped.text)
    assert undo, stopped.text[stopped.text.find("<form") :][:400]
    token = re.search(r'name="csrf_token" value="([^"]+)"', stopped.text)
    assert token
    assert (await client.post(undo.group(1))).status_code == 403  # the undo form needs CSRF
    resumed = await client.post(undo.group(1), data={"csrf_token": token.group(1)})
    assert resumed.status_code == 200 and "reprend" in resumed.text
    assert (await Alert.get(id=alert.id)).status == "active"
    twice = await client.post(undo.group(1), data={"csrf_token": token.group(1)})
    assert twice.status_code == 409


async def test_nothing_is_sent_when_nothing_is_new_but_the_period_is_covered(
    app: Starlette, settings: Settings
) -> None:
    alert = await _active_alert("q=climat")
    await _offers(app, "VTA – Commerce", **COMMERCE)
    moment = _later()
    report = await send_alerts(settings, app.state.search, moment=moment)
    assert (report.due, report.digests, report.empty) == (1, 0, 1)
    assert await EmailOutbox.all().count() == 0
    alert = await Alert.get(id=alert.id)
    assert alert.last_sent_at is None and alert.watermark == moment
    assert (await send_alerts(settings, app.state.search, moment=moment)).due == 0


async def test_a_second_run_in_the_period_sends_nothing_the_next_period_sends_the_new(
    app: Starlette, settings: Settings
) -> None:
    alert = await _active_alert("q=climat")
    [first] = await _offers(app, "VTA – Plan climat")
    moment = _later()
    assert (await send_alerts(settings, app.state.search, moment=moment)).digests == 1
    assert (await send_alerts(settings, app.state.search, moment=moment)).digests == 0
    assert await EmailOutbox.all().count() == 1
    [second] = await _offers(app, "VTA – Climat et forêts")
    tomorrow = moment + timedelta(days=1)
    assert (await send_alerts(settings, app.state.search, moment=tomorrow)).digests == 1
    rows = await EmailOutbox.filter(to=alert.email).order_by("id")
    assert len(rows) == 2 and first.title not in rows[1].body_text
    assert second.title in rows[1].body_text
    # Weekly alerts: once per ISO week.
    assert period_key("weekly", tomorrow) == period_key("weekly", tomorrow + timedelta(hours=1))


async def test_two_runs_at_once_send_one_email(app: Starlette, settings: Settings) -> None:
    for number in range(6):
        await _active_alert("q=climat", email=f"personne{number}@example.fr")
    await _offers(app, "VTA – Plan climat")
    moment = _later()
    one, two = await asyncio.gather(
        send_alerts(settings, app.state.search, moment=moment),
        send_alerts(settings, app.state.search, moment=moment),
    )
    assert one.digests + two.digests == 6
    assert await EmailOutbox.all().count() == 6
    assert sorted(await EmailOutbox.all().values_list("to", flat=True)) == sorted(
        f"personne{number}@example.fr" for number in range(6)
    )


async def test_a_crash_midway_then_a_rerun_leaves_no_gap_and_no_duplicate(
    app: Starlette, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(5):
        await _active_alert("q=climat", email=f"personne{number}@example.fr")
    [offer] = await _offers(app, "VTA – Plan climat")
    real = alert_service.queue_email
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> EmailOutbox:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the host stopped here")
        return await real(*args, **kwargs)

    monkeypatch.setattr(alert_service, "queue_email", failing)
    moment = _later()
    with pytest.raises(RuntimeError):
        await send_alerts(settings, app.state.search, moment=moment)
    assert await EmailOutbox.all().count() == 2
    monkeypatch.setattr(alert_service, "queue_email", real)
    # Meanwhile another offer is published: the rerun covers it for the alerts not yet done.
    [late] = await _offers(app, "VTA – Climat et eau")
    report = await send_alerts(settings, app.state.search, moment=_later())
    assert report.digests == 3
    rows = await EmailOutbox.all().order_by("id")
    assert sorted(r.to for r in rows) == sorted(f"personne{n}@example.fr" for n in range(5))
    assert all(offer.title in r.body_text for r in rows)
    assert [late.title in r.body_text for r in rows] == [False, False, True, True, True]
    tomorrow = _later(1)
    again = await send_alerts(settings, app.state.search, moment=tomorrow)
    assert again.digests == 2  # the first two get the late offer the next day, once
    assert all(late.title in r.body_text for r in (await EmailOutbox.all().order_by("id"))[5:])


async def test_an_offer_published_by_moderation_keeps_its_first_publication(
    app: Starlette, settings: Settings
) -> None:
    [offer] = await _offers(app, "VTA – Plan climat", status="submitted")
    assert offer.first_published_at is None
    await approve(offer.id, settings)
    published = await Offer.get(id=offer.id)
    assert published.first_published_at is not None
    assert published.first_published_at == published.published_at


async def test_at_most_twenty_offers_with_a_link_to_the_rest(
    app: Starlette, settings: Settings
) -> None:
    await _active_alert("q=climat")
    await _offers(app, *(f"VTA – Climat n° {n}" for n in range(23)))
    assert (await send_alerts(settings, app.state.search, moment=_later())).digests == 1
    [row] = await EmailOutbox.all()
    assert row.subject.startswith("23 nouvelles offres")
    assert row.body_text.count("/offres/") == 20 and "Et 3 autres" in row.body_text


async def test_offers_of_the_last_minutes_wait_for_the_next_run(
    app: Starlette, settings: Settings
) -> None:
    settings = replace(settings, alert_settle_seconds=300)
    alert = await _active_alert("q=climat", watermark=clock.now() - timedelta(hours=1))
    [offer] = await _offers(app, "VTA – Plan climat")
    assert (await send_alerts(settings, app.state.search)).digests == 0  # maybe not indexed yet
    assert (await Alert.get(id=alert.id)).watermark < offer.first_published_at  # type: ignore[operator]
    assert (await send_alerts(settings, app.state.search, moment=_later(1))).digests == 1


async def test_dry_run_counts_and_writes_nothing(app: Starlette, settings: Settings) -> None:
    alert = await _active_alert("q=climat")
    await _offers(app, "VTA – Plan climat")
    report = await send_alerts(settings, app.state.search, moment=_later(), dry_run=True)
    assert report.digests == 1 and "simulation" in report.line()
    assert await EmailOutbox.all().count() == 0
    assert (await Alert.get(id=alert.id)).last_period == ""


# -- retention and personal data --


async def test_an_unconfirmed_alert_is_purged_after_seven_days(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _create_visitor_alert(client)
    confirmed = await _active_alert("q=forêt", email="autre@example.fr")
    alert = await Alert.get(email=VISITOR)
    await Alert.filter(id=alert.id).update(created_at=clock.now() - timedelta(days=6))
    assert (await purge(settings)).counts["unconfirmed_alerts"] == 0
    await Alert.filter(id=alert.id).update(created_at=clock.now() - timedelta(days=7, minutes=1))
    await Alert.filter(id=confirmed.id).update(created_at=clock.now() - timedelta(days=30))
    assert (await purge(settings, dry_run=True)).counts["unconfirmed_alerts"] == 1
    assert await Alert.filter(id=alert.id).exists()
    assert (await purge(settings)).counts["unconfirmed_alerts"] == 1
    assert not await Alert.filter(id=alert.id).exists()
    assert await Alert.filter(id=confirmed.id).exists()
    privacy = await client.get("/donnees-personnelles")
    assert "Alertes e-mail dont l’adresse n’a jamais été confirmée" in privacy.text


async def test_an_unsubscribed_alert_is_deleted_once_undo_is_no_longer_offered(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    stopped = await _active_alert("q=climat", status="paused")
    paused = await _active_alert("q=forêt", status="paused")  # paused by its owner: kept
    moment = clock.now()
    await Alert.filter(id=stopped.id).update(unsubscribed_at=moment - timedelta(days=29))
    assert (await purge(settings)).counts["unsubscribed_alerts"] == 0
    await Alert.filter(id=stopped.id).update(unsubscribed_at=moment - timedelta(days=30, minutes=1))
    assert (await purge(settings, dry_run=True)).counts["unsubscribed_alerts"] == 1
    assert await Alert.filter(id=stopped.id).exists()
    assert (await purge(settings)).counts["unsubscribed_alerts"] == 1
    assert not await Alert.filter(id=stopped.id).exists()
    assert await Alert.filter(id=paused.id).exists()
    privacy = await client.get("/donnees-personnelles")
    assert "Alertes e-mail arrêtées par le lien de désabonnement" in privacy.text


async def test_the_export_and_the_account_deletion_include_alerts(
    app: Starlette, client: httpx.AsyncClient, settings: Settings
) -> None:
    from tests.test_data_export import _build, _zip

    lea = await make_user("candidate", "lea@example.fr")
    await _active_alert("q=climat", email=lea.email, user=lea, name="Climat")
    await _active_alert("q=forêt", email=lea.email, name="Forêt (créée en visiteur)")
    await _active_alert("q=mer", email="autre@example.fr")
    await log_in(client, lea.email)
    data, _ = _zip(await client.get((await _build(client)).headers["location"]))
    alerts = data["alerts"]
    assert isinstance(alerts, list)
    assert [(a["name"], a["search"]) for a in alerts] == [
        ("Climat", "q=climat"),
        ("Forêt (créée en visiteur)", "q=forêt"),
    ]
    assert await delete_account(lea.id, settings, reason=BY_OWNER)
    assert not await User.filter(id=lea.id).exists()
    assert await Alert.all().values_list("email", flat=True) == ["autre@example.fr"]


def test_the_send_alerts_command(tmp_path: Path) -> None:
    from tests.test_cli import run

    assert run(tmp_path, "migrate").returncode == 0
    assert run(tmp_path, "reindex").returncode == 0
    dry = run(tmp_path, "send-alerts", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "0 alerte(s) à traiter" in dry.stdout and "simulation" in dry.stdout
    done = run(tmp_path, "send-alerts")
    assert done.returncode == 0 and "simulation" not in done.stdout
