"""Schemathesis over /api/v1/openapi.json: every documented operation, fed with generated
valid and invalid requests (its coverage and fuzzing phases), must answer without a 5xx, with
a documented status code, content type and headers, a body matching its schema, 4xx to invalid
input and 405 (with `Allow`) to undocumented methods: all of Schemathesis' checks.

The requests go through the ASGI app on the test's event loop (the test database lives there):
the fixture keeps that loop, and each case runs on it while Hypothesis drives the test.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance
from starlette.applications import Starlette

from jobboard import clock
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.settings import Settings
from jobboard.web.openapi import openapi_document
from tests.conftest import FIXTURES, index_now, offer_row


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No rate limit in the way of a few hundred generated requests (tests/test_api.py has it)."""
    return replace(settings, api_rate_limit="100000/minute")


@dataclass
class Served:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    document: dict[str, Any]

    def send(self, case: Case) -> httpx.Response:
        prepared = requests.Request(**_request_kwargs(case)).prepare()
        call = self.client.request(
            str(prepared.method),
            str(prepared.url),
            headers=dict(prepared.headers),
            content=prepared.body,
        )
        return self.loop.run_until_complete(call)


def _request_kwargs(case: Case) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    return {k: kwargs[k] for k in ("method", "url", "params", "headers", "cookies") if k in kwargs}


@pytest_asyncio.fixture
async def served(app: Starlette, client: httpx.AsyncClient) -> AsyncIterator[Served]:
    today = clock.today()
    rows = [
        offer_row(title="VTA – plan climat"),
        offer_row(title="Chef de projet – Fumel", kind="chef_de_projet",
                  employer_insee="47106", duration_months=36),
        offer_row(title="VTA – pourvue"),
        offer_row(title="Brouillon", status="draft"),
    ]  # fmt: skip
    result = await import_offers(rows, today=today)
    assert not result.errors, result.errors
    await Offer.filter(id=result.created[2]).update(status="closed", closed_at=clock.now())
    await index_now(app)
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document == DOCUMENT
    yield Served(asyncio.get_running_loop(), client, document)


def _codes(name: str) -> list[str]:
    with (FIXTURES / name).open(encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f)]


# The document as the app serves it over the test database (whose départements and régions are
# the fixtures' files); `served` checks that the app serves exactly this one.
DOCUMENT = openapi_document(
    "http://testserver",
    departements=_codes("departements.csv"),
    regions=_codes("regions.csv"),
)
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.parametrize()
@hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,  # nothing written under .hypothesis/
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_the_promises_of_its_openapi_document(case: Case, served: Served) -> None:
    response = served.send(case)
    assert response.status_code < 500, response.text
    excluded = []
    if _refused_only_for_its_cursor(case, response):
        # A cursor is signed: no schema can tell a real one from a made-up string, which the
        # API refuses (400 naming `cursor`) although it is « schema-valid ».
        excluded.append(positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


def _refused_only_for_its_cursor(case: Case, response: httpx.Response) -> bool:
    query = case.query if isinstance(case.query, dict) else {}
    if response.status_code != 400 or "cursor" not in query:
        return False
    names = {p["name"] for p in response.json().get("invalid_params", [])}
    return names == {"cursor"}
