"""Alert rules without the database: periods, the canonical saved search, names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobboard.domain.alerts import (
    clean_name,
    describe,
    parse_frequency,
    parse_saved_search,
    period_key,
    saved_search,
)
from jobboard.domain.board_query import parse_board_query
from jobboard.domain.errors import Refused

S = "\u202f"


def test_a_daily_period_is_a_paris_day_starting_at_seven() -> None:
    # 05:59 UTC = 06:59 Paris in winter: still the previous day's period.
    assert period_key("daily", datetime(2026, 12, 3, 5, 59, tzinfo=UTC)) == "2026-12-02"
    assert period_key("daily", datetime(2026, 12, 3, 6, 0, tzinfo=UTC)) == "2026-12-03"
    # 23:30 UTC is already tomorrow in Paris, but before 07:00 there.
    assert period_key("daily", datetime(2026, 12, 3, 23, 30, tzinfo=UTC)) == "2026-12-03"


def test_a_weekly_period_is_an_iso_week_starting_on_monday_at_seven() -> None:
    sunday = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    monday_early = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    monday = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert period_key("weekly", sunday) == period_key("weekly", monday_early) == "2026-W49"
    assert period_key("weekly", monday) == "2026-W50"
    assert period_key("weekly", datetime(2027, 1, 1, 12, tzinfo=UTC)) == "2026-W53"


def test_the_saved_search_drops_page_and_order_and_keeps_a_preset_level() -> None:
    query, errors = parse_board_query({"q": " plan  climat ", "type": "vta", "tri": "date",
                                       "page": "3"})  # fmt: skip
    assert not errors
    assert saved_search(query) == "q=plan+climat&type=vta"
    preset = query.with_profile_diploma(6)
    assert saved_search(preset) == "q=plan+climat&type=vta&diplome=6"
    cleared, _ = parse_board_query({"q": "climat", "diplome": ""})
    assert saved_search(cleared.with_profile_diploma(6)) == "q=climat"
    assert saved_search(parse_board_query({})[0]) == ""


def test_a_search_the_board_refuses_is_refused_with_its_message() -> None:
    with pytest.raises(Refused, match="pompier"):
        parse_saved_search({"type": "pompier"}, departements=(), regions=())
    with pytest.raises(Refused, match="département"):
        parse_saved_search({"departement": "99"}, departements=("47",), regions=())
    assert parse_saved_search({"departement": "47"}, departements=("47",), regions=()).departement


def test_names_frequencies_and_descriptions() -> None:
    assert clean_name("  Climat   47 ", "x") == "Climat 47"
    assert clean_name("", "Toutes les offres") == "Toutes les offres"
    with pytest.raises(Refused):
        clean_name("x" * 101, "")
    assert parse_frequency("quotidienne") == "daily"
    with pytest.raises(Refused, match="fréquence"):
        parse_frequency("parfois")
    query, _ = parse_board_query({"q": "climat", "departement": "47"}, departements=("47",))
    names = {"departement": {"47": "Lot-et-Garonne"}}
    assert describe(query, names) == f"«{S}climat{S}» · Lot-et-Garonne"
    assert describe(query, names, quoted=False) == "climat · Lot-et-Garonne"
    assert describe(parse_board_query({})[0]) == "Toutes les offres"
