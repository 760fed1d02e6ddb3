"""The API's query string read strictly, and the keyset order its cursor follows (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from jobboard.domain.api_query import (
    API_PARAMS,
    DEFAULT_LIMIT,
    page_after,
    parse_api_query,
    sort_key,
)
from jobboard.domain.board_query import BOARD_PARAMS

REFERENCE = {"departements": ["05", "47", "2A"], "regions": ["75", "93"]}


def _parse(query: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return parse_api_query(query, **REFERENCE)


def test_the_api_reads_the_boards_parameters_but_page() -> None:
    names = [p.name for p in API_PARAMS]
    assert names == [p.name for p in BOARD_PARAMS if p.name != "page"] + ["limit", "cursor"]


def test_values_become_the_boards_query() -> None:
    api, errors = _parse(
        [
            ("q", "  maison   de santé "),
            ("type", "vta"),
            ("departement", "2A"),
            ("theme", "sante"),
            ("duree", "13-18"),
            ("diplome", "6"),
            ("teletravail", "true"),
            ("debut_avant", "2027-09-01"),
            ("tri", "echeance"),
            ("limit", "100"),
        ]
    )
    assert errors == []
    query = api.query
    assert (query.q, query.kind, query.departement, query.theme) == (
        "maison de santé", "vta", "2A", "sante",
    )  # fmt: skip
    assert (query.duration, query.diploma, query.remote) == ("13-18", 6, True)
    assert query.start_before == date(2027, 9, 1)
    assert api.sort == "echeance" and api.limit == 100 and api.cursor == ""


def test_defaults_newest_first_twenty_per_page_even_with_words() -> None:
    api, errors = _parse([("q", "urbanisme")])
    assert errors == [] and api.sort == "date" and api.limit == DEFAULT_LIMIT
    assert api.filter_params() == {"q": "urbanisme", "tri": "date"}
    assert _parse([("teletravail", "false")])[0].query.remote is False


def test_every_refusal_names_its_parameter() -> None:
    for name, value in [
        ("page", "2"),
        ("type", ""),
        ("type", "cdi"),
        ("departement", "99"),
        ("diplome", "2"),
        ("diplome", "+5"),
        ("diplome", "٣"),
        ("teletravail", "oui"),
        ("debut_avant", "1/9/2027"),
        ("debut_avant", " 2027-09-01"),
        ("tri", "pertinence"),
        ("limit", "-1"),
        ("limit", "1e3"),
        ("q", "x" * 201),
    ]:
        _, errors = _parse([(name, value)])
        assert [e.name for e in errors] == [name], (name, value)
        assert errors[0].reason, (name, value)
    _, errors = _parse([("type", "vta"), ("type", "vta")])
    assert [e.name for e in errors] == ["type"]


def test_keys_are_unique_and_follow_the_order() -> None:
    noon = datetime(2027, 3, 1, 12, tzinfo=UTC)
    rows = [  # (id, published, deadline)
        (1, noon, date(2027, 5, 1)),
        (2, noon, date(2027, 4, 1)),
        (3, noon + timedelta(microseconds=1), date(2027, 5, 1)),
        (4, noon - timedelta(days=1), date(2027, 4, 1)),
    ]
    by_date = sorted(rows, key=lambda r: sort_key("date", r[0], r[1], r[2]))
    assert [r[0] for r in by_date] == [3, 2, 1, 4]
    by_deadline = sorted(rows, key=lambda r: sort_key("echeance", r[0], r[1], r[2]))
    assert [r[0] for r in by_deadline] == [2, 4, 3, 1]


def test_pages_after_a_key_neither_repeat_nor_skip() -> None:
    keyed = [((-n,), n) for n in range(1, 8)]  # ids 7, 6, … 1 in order
    seen: list[int] = []
    after = None
    while True:
        ids, after = page_after(keyed, after, 3)
        seen += ids
        if after is None:
            break
        keyed.append(((-100 - len(seen),), 100 + len(seen)))  # newer offers come first
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert page_after([], None, 3) == ([], None)
    assert page_after(keyed[:3], None, 3)[1] is None  # exactly one full page: no next
