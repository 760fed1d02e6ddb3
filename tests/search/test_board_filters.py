"""The board's filters in the index: duration, diploma, remote work, start date, deadline order;
and an index written with an earlier schema is rebuilt, not read."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.board_query import parse_board_query
from jobboard.search.schema import SCHEMA_VERSION
from jobboard.search.searcher import SearchRequest
from jobboard.search.store import VERSION_FILE
from jobboard.services.offer_import import import_offers
from tests.conftest import index_now, offer_row


def _row(title: str, *, deadline: int, start: int, **changes: object) -> dict[str, object]:
    today = clock.today()
    return offer_row(
        title=title,
        deadline=(today + timedelta(days=deadline)).isoformat(),
        start_date=(today + timedelta(days=start)).isoformat(),
        **changes,
    )


@pytest.fixture
async def board(app: Starlette) -> Starlette:
    rows = [
        _row("Alpha patrimoine", deadline=30, start=60, duration_months=12, remote="partial"),
        _row(
            "Bravo patrimoine",
            deadline=10,
            start=100,
            duration_months=18,
            min_diploma_level=6,
            remote="no",
        ),
        _row(
            "Charlie patrimoine",
            kind="chef_de_projet",
            deadline=20,
            start=40,
            duration_months=36,
            min_diploma_level=7,
            remote="full",
        ),
        _row("Delta musée", deadline=60, start=200, duration_months=15, remote="no"),
    ]
    result = await import_offers(rows, today=clock.today())
    assert result.errors == [] and len(result.created) == 4
    await index_now(app)
    return app


def titles(app: Starlette, **fields: object) -> list[str]:
    result = app.state.search.search(SearchRequest(**fields))  # type: ignore[arg-type]
    return [hit.title.split()[0] for hit in result.hits]


def found(app: Starlette, **fields: object) -> set[str]:
    return set(titles(app, **fields))


ALL = {"Alpha", "Bravo", "Charlie", "Delta"}


@pytest.mark.parametrize("q", ["", "patrimoine"])
@pytest.mark.parametrize("sort", ["pertinence", "date", "echeance"])
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ALL),
        ({"duration": "12"}, {"Alpha"}),
        ({"duration": "13-18"}, {"Bravo", "Delta"}),
        ({"duration": "19-plus"}, {"Charlie"}),
        ({"max_diploma": 4}, set()),
        ({"max_diploma": 5}, {"Alpha", "Delta"}),
        ({"max_diploma": 6}, {"Alpha", "Bravo", "Delta"}),
        ({"max_diploma": 8}, ALL),
        ({"remote": True}, {"Alpha", "Charlie"}),
        ({"start_before": 60}, {"Alpha", "Charlie"}),  # the day itself is included
        ({"start_before": 59}, {"Charlie"}),
        ({"start_before": 39}, set()),
        ({"remote": True, "duration": "12", "max_diploma": 5}, {"Alpha"}),
        ({"kind": "vta", "start_before": 150}, {"Alpha", "Bravo"}),
    ],
)
async def test_each_filter_keeps_the_offers_it_names(
    board: Starlette, q: str, sort: str, fields: dict[str, object], expected: set[str]
) -> None:
    if "start_before" in fields:
        fields = {**fields, "start_before": clock.today() + timedelta(days=fields["start_before"])}  # type: ignore[operator]
    wanted = expected if not q else expected - {"Delta"}  # « Delta musée » has no patrimoine
    assert found(board, q=q, sort=sort, **fields) == wanted


@pytest.mark.parametrize("q", ["", "patrimoine"])
async def test_nearest_deadline_first(board: Starlette, q: str) -> None:
    expected = ["Bravo", "Charlie", "Alpha", "Delta"] if not q else ["Bravo", "Charlie", "Alpha"]
    assert titles(board, q=q, sort="echeance") == expected
    assert titles(board, q=q, sort="echeance", page_size=2, page=2) == expected[2:4]


async def test_filters_narrow_the_facet_counts(board: Starlette) -> None:
    result = board.state.search.search(SearchRequest(remote=True))
    assert dict(result.facets["kind"]) == {"vta": 1, "chef_de_projet": 1}
    assert result.total == 2
    result = board.state.search.search(SearchRequest(duration="13-18", kind="vta"))
    assert dict(result.facets["kind"]) == {"vta": 2}


async def test_a_board_query_string_makes_the_search_request(board: Starlette) -> None:
    query, errors = parse_board_query({"duree": "13-18", "diplome": "5", "tri": "echeance"})
    assert errors == []
    request = SearchRequest.from_query(query, page_size=5)
    assert (request.duration, request.max_diploma, request.sort, request.page_size) == (
        "13-18",
        5,
        "echeance",
        5,
    )
    assert titles(board, **request.__dict__) == ["Delta"]


async def test_hits_carry_the_start_date_and_remote_work(board: Starlette) -> None:
    hit = board.state.search.search(SearchRequest(q="alpha")).hits[0]
    assert hit.start_date == clock.today() + timedelta(days=60)
    assert hit.remote == "partial"


INDEXER_LOG = "jobboard.search.indexer"


async def test_an_index_of_an_earlier_schema_is_rebuilt_at_start(
    board: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    store = board.state.indexer.store
    assert (store.current / VERSION_FILE).read_text().strip() == str(SCHEMA_VERSION)
    assert store.is_usable()
    # Indexes written before the schema had a version carry no version file.
    (store.current / VERSION_FILE).unlink()
    old_generation = store.generation()
    assert store.is_readable() and store.is_outdated() and not store.is_usable()
    caplog.set_level(logging.INFO, logger=INDEXER_LOG)
    assert await board.state.indexer.ensure_ready() is True
    assert [r.getMessage() for r in caplog.records if r.name == INDEXER_LOG] == [
        "Index de recherche d’une version précédente : reconstruction à partir de la base."
    ]
    assert store.generation() != old_generation and store.is_usable()
    assert found(board, duration="13-18") == {"Bravo", "Delta"}
    assert await board.state.indexer.ensure_ready() is False
    # A later version's index is not read either.
    (store.current / VERSION_FILE).write_text(f"{SCHEMA_VERSION + 1}\n")
    assert not store.is_usable()
