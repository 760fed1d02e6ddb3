"""The open-data API over the ASGI app: search with the board's filters, cursor pagination,
one offer (410 once withdrawn), problem+json errors, ETag, CORS, rate limit, OpenAPI 3.1."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.app import create_app
from jobboard.domain.api_query import API_PARAMS
from jobboard.domain.board_query import BOARD_PARAMS
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web.session import COOKIE_NAME
from tests.conftest import index_now, offer_row

TODAY = clock.today()
PROBLEM = "application/problem+json"


async def _publish(app: Starlette, rows: list[dict[str, Any]]) -> list[int]:
    result = await import_offers(rows, today=TODAY)
    assert not result.errors, result.errors
    await index_now(app)
    return list(result.created)


def _row(title: str, **changes: Any) -> dict[str, Any]:
    return offer_row(title=title, **changes)


async def _get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    response = await client.get(url, **kwargs)
    assert response.status_code < 500, response.text
    return response


async def test_list_returns_open_offers_with_the_boards_filters(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    vta, cdp, closed_soon = await _publish(
        app,
        [
            _row("VTA – plan climat"),
            _row(
                "Chef de projet PVD – Fumel",
                kind="chef_de_projet",
                employer_insee="47106",
                duration_months=36,
                themes=["commerce"],
                remote="no",
                description="Fumel revitalise son centre-bourg.",
                missions="- Piloter la convention ORT",
            ),
            _row("VTA – à clore", themes=["commerce"]),
        ],
    )
    await Offer.filter(id=closed_soon).update(status="closed", closed_at=clock.now())
    await index_now(app)
    response = await _get(client, "/api/v1/offres")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert [item["id"] for item in body["items"]] == sorted([vta, cdp], reverse=True)
    assert body["total"] == 2 and body["next"] is None and "link" not in response.headers
    first = {item["id"]: item for item in body["items"]}[cdp]
    assert first["url"] == f"http://testserver/offres/{cdp}"
    assert first["employer"]["insee"] == "47106" and first["departement"]["code"] == "47"
    assert set(first["description"]) == {"markdown", "html"}
    for query, expected in (
        ("type=vta", [vta]),
        ("type=chef_de_projet", [cdp]),
        ("departement=47", [cdp]),
        ("region=75", [cdp]),
        ("theme=commerce", [cdp]),
        ("duree=12", [vta]),
        ("duree=19-plus", [cdp]),
        ("teletravail=true", [vta]),
        ("teletravail=false", [cdp, vta]),
        ("q=fumel", [cdp]),
        ("q=climat&type=chef_de_projet", []),
        ("diplome=4", []),
        ("diplome=5", [cdp, vta]),
        (f"debut_avant={(TODAY + timedelta(days=59)).isoformat()}", []),
        ("tri=echeance", [cdp, vta]),
    ):
        found = (await _get(client, f"/api/v1/offres?{query}")).json()
        assert sorted(i["id"] for i in found["items"]) == sorted(expected), query
        assert found["total"] == len(expected), query


async def test_walking_every_page_returns_each_offer_exactly_once(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    ids = await _publish(app, [_row(f"VTA n° {n}") for n in range(7)])
    # Same publication instant for some: the id breaks the tie.
    await Offer.filter(id__in=ids[:4]).update(published_at=clock.now() - timedelta(hours=1))
    await index_now(app)
    for sort in ("date", "echeance"):
        everything = (await _get(client, f"/api/v1/offres?limit=100&tri={sort}")).json()
        expected = [item["id"] for item in everything["items"]]
        assert set(ids) <= set(expected)
        url: str | None = f"http://testserver/api/v1/offres?limit=2&tri={sort}"
        seen: list[int] = []
        pages = 0
        while url:
            response = await _get(client, url)
            assert response.status_code == 200, response.text
            body = response.json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            if pages == 2:  # offers published meanwhile do not shift the walk
                await _publish(app, [_row("VTA publiée pendant le parcours")])
            url = body["next"]
            if url:
                assert response.headers["link"] == f'<{url}>; rel="next"'
                assert url.startswith("http://testserver/api/v1/offres?")
                assert parse_qs(urlsplit(url).query)["tri"] == [sort]
        assert seen == expected, sort  # the same order as one big page, nothing twice
        assert len(seen) == len(set(seen))
        assert pages == -(-len(expected) // 2)


async def test_one_offer_then_410_with_its_last_state_once_closed_or_expired(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    open_id, closing, expiring = await _publish(app, [_row("Ouverte"), _row("Close"), _row("Exp")])
    response = await _get(client, f"/api/v1/offres/{open_id}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == open_id and data["standing"]["code"] == "open"
    for key in ("kind", "title", "employer", "commune", "departement", "region", "themes",
                "description", "missions", "profile", "start_date", "duration_months",
                "weekly_hours", "min_diploma_level", "remote", "deadline", "published_at",
                "updated_at"):  # fmt: skip
        assert key in data, key
    assert data["min_diploma_level"] == {"level": 5, "label": data["min_diploma_level"]["label"]}
    await Offer.filter(id=closing).update(status="closed", closed_at=clock.now())
    await Offer.filter(id=expiring).update(deadline=TODAY - timedelta(days=1))
    for offer_id, standing in ((closing, "closed"), (expiring, "expired")):
        gone = await _get(client, f"/api/v1/offres/{offer_id}")
        assert gone.status_code == 410
        assert gone.headers["content-type"] == PROBLEM
        body = gone.json()
        assert body["status"] == 410 and body["offer"]["id"] == offer_id
        assert body["offer"]["standing"]["code"] == standing
        assert body["offer"]["title"] in ("Close", "Exp")
    listed = (await _get(client, "/api/v1/offres")).json()
    assert [i["id"] for i in listed["items"]] == [open_id]


async def test_unknown_and_unpublished_offers_are_404_problems(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    (draft,) = await _publish(app, [_row("Brouillon", status="draft")])
    for path in (f"/api/v1/offres/{draft}", "/api/v1/offres/999999", "/api/v1/inconnue"):
        response = await _get(client, path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert (
            body["status"] == 404
            and body["detail"]
            and body["type"].startswith("http://testserver/api#")
        )
    bad = await _get(client, "/api/v1/offres/abc")
    assert bad.status_code == 400 and bad.json()["invalid_params"][0]["name"] == "id"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("page=2", "page"),
        ("utm_source=x", "utm_source"),
        ("type=cdi", "type"),
        ("departement=999", "departement"),
        ("region=", "region"),
        ("theme=football", "theme"),
        ("duree=6", "duree"),
        ("diplome=9", "diplome"),
        ("diplome=", "diplome"),
        ("diplome=5.0", "diplome"),
        ("teletravail=1", "teletravail"),
        ("debut_avant=31/12/2027", "debut_avant"),
        ("debut_avant=2027-02-30", "debut_avant"),
        ("tri=pertinence", "tri"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("limit=abc", "limit"),
        ("q=" + "a" * 201, "q"),
        ("type=vta&type=vta_expertise", "type"),
        ("cursor=forged", "cursor"),
    ],
)
async def test_bad_parameters_are_400_problems_naming_the_parameter(
    client: httpx.AsyncClient, query: str, name: str
) -> None:
    response = await _get(client, f"/api/v1/offres?{query}")
    assert response.status_code == 400, query
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Requête incorrecte"
    assert [p["name"] for p in body["invalid_params"]] == [name]
    assert all(p["reason"] for p in body["invalid_params"])


async def test_a_cursor_is_bound_to_its_search_and_expires(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    await _publish(app, [_row(f"VTA {n}") for n in range(3)])
    first = (await _get(client, "/api/v1/offres?limit=1&type=vta")).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    other = await _get(client, f"/api/v1/offres?limit=1&cursor={cursor}")
    assert other.status_code == 400
    assert "autre recherche" in other.json()["invalid_params"][0]["reason"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    forged = await _get(client, f"/api/v1/offres?limit=1&type=vta&cursor={tampered}")
    assert forged.status_code == 400 and forged.json()["invalid_params"][0]["name"] == "cursor"
    import time_machine

    with time_machine.travel(clock.now() + timedelta(hours=25), tick=True):
        expired = await _get(client, f"/api/v1/offres?limit=1&type=vta&cursor={cursor}")
    assert expired.status_code == 400
    assert "expiré" in expired.json()["invalid_params"][0]["reason"]
    fine = await _get(client, f"/api/v1/offres?limit=1&type=vta&cursor={cursor}")
    assert fine.status_code == 200


async def test_other_methods_are_405_problems_without_cors(client: httpx.AsyncClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/api/v1/offres", "/api/v1/offres/1", "/api/v1/openapi.json"):
            response = await client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert response.headers["content-type"] == PROBLEM
            assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "HEAD"}
            assert "access-control-allow-origin" not in response.headers
            assert response.json()["status"] == 405


async def test_etag_and_if_none_match_answer_304(app: Starlette, client: httpx.AsyncClient) -> None:
    (offer_id,) = await _publish(app, [_row("VTA")])
    for path in ("/api/v1/offres?type=vta", f"/api/v1/offres/{offer_id}", "/api/v1/openapi.json"):
        response = await _get(client, path)
        etag = response.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
        assert response.headers["cache-control"].startswith("public, max-age=")
        again = await _get(client, path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        weak = await _get(client, path, headers={"If-None-Match": f'"autre", W/{etag}'})
        assert weak.status_code == 304
        other = await _get(client, path, headers={"If-None-Match": '"autre"'})
        assert other.status_code == 200
    before = (await _get(client, f"/api/v1/offres/{offer_id}")).headers["etag"]
    await Offer.filter(id=offer_id).update(title="VTA – titre changé")
    changed = await _get(client, f"/api/v1/offres/{offer_id}", headers={"If-None-Match": before})
    assert changed.status_code == 200 and changed.headers["etag"] != before


async def test_cors_on_get_and_preflight_for_get_only(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://agregateur.example"}
    response = await _get(client, "/api/v1/offres", headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    error = await _get(client, "/api/v1/offres?type=x", headers=origin)
    assert error.headers["access-control-allow-origin"] == "*"
    preflight = await client.options(
        "/api/v1/offres", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"
    refused = await client.options(
        "/api/v1/offres", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-methods" not in refused.headers
    # The HTML pages say nothing of CORS.
    page = await _get(client, "/offres", headers=origin)
    assert "access-control-allow-origin" not in page.headers


async def test_the_api_needs_no_cookie_and_sets_none(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    (offer_id,) = await _publish(app, [_row("VTA")])
    client.cookies.set(COOKIE_NAME, "forged-or-stale")
    for path in ("/api/v1/offres", f"/api/v1/offres/{offer_id}", "/api/v1/openapi.json",
                 "/api/v1/offres?type=x", "/api/v1/absente"):  # fmt: skip
        response = await _get(client, path)
        assert "set-cookie" not in response.headers, path
        assert response.headers.get("cache-control", "").startswith(("public", "no-store")) or (
            response.status_code >= 400
        ), path
    client.cookies.clear()
    post = await client.post("/api/v1/offres", content=b"{}")
    assert post.status_code == 405 and "set-cookie" not in post.headers


async def test_rate_limit_answers_429_with_retry_after(settings: Settings, db: None) -> None:
    low = replace(settings, api_rate_limit="3/minute")
    application = create_app(low, with_database=False)
    await application.state.indexer.rebuild()
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        for _ in range(3):
            assert (await c.get("/api/v1/offres")).status_code == 200
        limited = await c.get("/api/v1/offres")
        assert limited.status_code == 429
        assert limited.headers["content-type"] == PROBLEM
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["status"] == 429
        assert limited.headers["access-control-allow-origin"] == "*"
        # The site's pages are not counted.
        assert (await c.get("/offres")).status_code == 200
    application.state.search.close()
    await application.state.throttle.aclose()


def test_rate_limit_setting_is_checked() -> None:
    env = {"JOBBOARD_DATA_DIR": "/tmp/h14-unused", "JOBBOARD_SECRET_KEY": "x"}
    assert Settings.from_env(env).api_rate_limit == "60/minute"
    assert Settings.from_env({**env, "JOBBOARD_API_RATE_LIMIT": "5/second"}).api_rate_limit == (
        "5/second"
    )
    for bad in ("beaucoup", "0/minute", ""):
        with pytest.raises(ValueError, match="JOBBOARD_API_RATE_LIMIT"):
            Settings.from_env({**env, "JOBBOARD_API_RATE_LIMIT": bad})


async def test_openapi_document_is_valid_and_its_parameters_are_the_boards(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    from openapi_spec_validator import validate

    response = await _get(client, "/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    listing = document["paths"]["/api/v1/offres"]["get"]
    names = [p["name"] for p in listing["parameters"]]
    assert names == [p.name for p in API_PARAMS]
    assert names == [p.name for p in BOARD_PARAMS if p.name != "page"] + ["limit", "cursor"]
    by_name = {p["name"]: p for p in listing["parameters"]}
    for spec in BOARD_PARAMS:
        if spec.name in ("page", "tri"):
            continue
        if spec.name not in ("teletravail", "debut_avant"):  # strict: ISO dates, true/false
            assert by_name[spec.name]["description"] == spec.description
        schema = by_name[spec.name]["schema"]
        if spec.reference:
            assert schema["enum"], spec.name  # the reference data of the database
        else:
            assert schema == spec.json_schema(), spec.name
    assert by_name["tri"]["schema"]["enum"] == ["date", "echeance"]
    assert "47" in by_name["departement"]["schema"]["enum"]
    # Every documented response schema resolves, and the offer one is `as_json`'s.
    components = document["components"]["schemas"]
    for name in ("Offer", "OfferPage", "Problem", "Gone"):
        jsonschema.Draft202012Validator.check_schema(components[name])


async def test_responses_match_the_documented_schemas(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    open_id, closed = await _publish(app, [_row("VTA"), _row("Close")])
    await Offer.filter(id=closed).update(status="closed", closed_at=clock.now())
    document = (await _get(client, "/api/v1/openapi.json")).json()
    registry_root = {**document}

    def check(data: Any, name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", **registry_root}
        jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(data)

    check((await _get(client, "/api/v1/offres")).json(), "OfferPage")
    check((await _get(client, f"/api/v1/offres/{open_id}")).json(), "Offer")
    check((await _get(client, f"/api/v1/offres/{closed}")).json(), "Gone")
    check((await _get(client, "/api/v1/offres/424242")).json(), "Problem")
    check((await _get(client, "/api/v1/offres?limit=0")).json(), "Problem")
    check(json.loads((await client.post("/api/v1/offres")).content), "Problem")
