"""The board's query string, read and written without a database or a web framework."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobboard.domain.alerts import saved_search
from jobboard.domain.board_query import (
    BOARD_PARAMS,
    FILTER_NAMES,
    PARAMS_BY_NAME,
    BoardError,
    BoardQuery,
    ParamKind,
    parse_board_query,
)

DEPARTEMENTS = ("05", "2A", "47", "974")
REGIONS = ("75", "93")
N = "\u202f"


def parse(query: str) -> tuple[BoardQuery, list[BoardError]]:
    return parse_board_query(
        dict(parse_qsl(query, keep_blank_values=True)), departements=DEPARTEMENTS, regions=REGIONS
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", BoardQuery()),
        ("q=  chef   de projet ", BoardQuery(q="chef de projet")),
        ("type=vta", BoardQuery(kind="vta")),
        ("type=vta_expertise", BoardQuery(kind="vta_expertise")),
        ("departement=2A", BoardQuery(departement="2A")),
        ("region=75", BoardQuery(region="75")),
        ("theme=numerique", BoardQuery(theme="numerique")),
        ("duree=12", BoardQuery(duration="12")),
        ("duree=13-18", BoardQuery(duration="13-18")),
        ("duree=19-plus", BoardQuery(duration="19-plus")),
        ("diplome=3", BoardQuery(diploma=3)),
        ("diplome=8", BoardQuery(diploma=8)),
        ("diplome=", BoardQuery(diploma_cleared=True)),
        ("teletravail=1", BoardQuery(remote=True)),
        ("teletravail=oui", BoardQuery(remote=True)),
        ("teletravail=true", BoardQuery(remote=True)),
        ("teletravail=0", BoardQuery()),
        ("teletravail=false", BoardQuery()),
        ("teletravail=", BoardQuery()),
        ("debut_avant=2027-09-01", BoardQuery(start_before=date(2027, 9, 1))),
        ("debut_avant=1/9/2027", BoardQuery(start_before=date(2027, 9, 1))),
        ("debut_avant=01/09/2027", BoardQuery(start_before=date(2027, 9, 1))),
        ("tri=echeance", BoardQuery(sort="echeance")),
        ("tri=date", BoardQuery(sort="date")),
        ("page=3", BoardQuery(page=3)),
        ("utm_source=lettre&type=", BoardQuery()),  # unknown and empty parameters: ignored
    ],
)
def test_valid_values_are_read(query: str, expected: BoardQuery) -> None:
    assert parse(query) == (expected, [])


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("type=stage", "type", f"Le type d’offre «{N}stage{N}» n’existe pas."),
        ("departement=99", "departement", f"Le département «{N}99{N}» n’existe pas."),
        ("region=01", "region", f"La région «{N}01{N}» n’existe pas."),
        ("theme=foot", "theme", f"La thématique «{N}foot{N}» n’existe pas."),
        ("duree=18", "duree", f"La durée «{N}18{N}» n’existe pas (12, 13-18 ou 19-plus)."),
        ("duree=13–18", "duree", f"La durée «{N}13–18{N}» n’existe pas (12, 13-18 ou 19-plus)."),
        ("diplome=2", "diplome", f"Le niveau de diplôme «{N}2{N}» n’existe pas"),
        ("diplome=9", "diplome", f"Le niveau de diplôme «{N}9{N}» n’existe pas"),
        ("diplome=bac", "diplome", f"Le niveau de diplôme «{N}bac{N}» n’existe pas"),
        ("teletravail=2", "teletravail", f"La valeur «{N}2{N}» du filtre télétravail"),
        ("debut_avant=31/02/2027", "debut_avant", f"La date de début «{N}31/02/2027{N}»"),
        ("debut_avant=demain", "debut_avant", f"La date de début «{N}demain{N}» n’est pas"),
        ("tri=prix", "tri", f"Le tri «{N}prix{N}» n’existe pas (pertinence, date ou echeance)."),
        ("page=0", "page", "Le numéro de page doit être un nombre entier positif."),
        ("page=-1", "page", "Le numéro de page doit être un nombre entier positif."),
        ("page=10001", "page", "Le numéro de page doit être un nombre entier positif."),
        ("page=٣", "page", "Le numéro de page doit être un nombre entier positif."),
    ],
)
def test_wrong_values_are_reported_with_their_parameter_and_left_out(
    query: str, param: str, message: str
) -> None:
    parsed, errors = parse(query)
    assert parsed == BoardQuery()
    assert len(errors) == 1 and errors[0].param == param
    assert errors[0].message.startswith(message)


def test_every_wrong_value_is_reported_and_the_good_ones_kept() -> None:
    parsed, errors = parse("type=vta&duree=7&diplome=x&theme=culture")
    assert parsed == BoardQuery(kind="vta", theme="culture")
    assert [e.param for e in errors] == ["duree", "diplome"]


def test_a_long_value_is_cut_in_the_message_and_the_query_is_bounded() -> None:
    _, errors = parse("type=" + "z" * 500)
    assert errors[0].message.count("z") == 50
    parsed, _ = parse("q=" + "a" * 500)
    assert len(parsed.q) == 200


def test_departements_and_regions_come_from_the_caller() -> None:
    query = {"departement": "2B", "region": "94"}
    _, errors = parse_board_query(query, departements=DEPARTEMENTS, regions=REGIONS)
    assert [e.param for e in errors] == ["departement", "region"]
    parsed, errors = parse_board_query(query, departements=("2B",), regions=("94",))
    assert errors == [] and (parsed.departement, parsed.region) == ("2B", "94")


@pytest.mark.parametrize(
    "query",
    [
        "q=patrimoine+b%C3%A2ti&type=vta&departement=47&region=75&theme=patrimoine"
        "&duree=13-18&diplome=6&teletravail=1&debut_avant=2027-09-01&tri=echeance&page=2",
        "diplome=",
        "q=%22maison+de+sant%C3%A9%22",
    ],
)
def test_the_query_string_reads_back_to_the_same_query(query: str) -> None:
    parsed, errors = parse(query)
    assert errors == []
    assert parse(parsed.query_string()) == (parsed, [])
    assert parsed.query_string() == query


def test_the_query_string_writes_only_what_is_in_use() -> None:
    assert BoardQuery().query_string() == ""
    assert BoardQuery(page=1, remote=False).query_string() == ""
    french_date, _ = parse("debut_avant=1/9/2027")
    assert french_date.query_string() == "debut_avant=2027-09-01"


def test_changes_accept_parameter_or_attribute_names_and_empty_removes() -> None:
    query = BoardQuery(kind="vta", theme="culture", page=3, remote=True)
    assert query.query_string(theme="", page=1) == "type=vta&teletravail=1"
    assert (
        query.query_string(type="chef_de_projet")
        == "type=chef_de_projet&theme=culture&teletravail=1&page=3"
    )
    assert query.query_string(kind="", teletravail=False) == "theme=culture&page=3"
    assert query.changed(duree="12", diplome="5").duration_range == (12, 12)
    assert query.changed(diplome="5").diploma == 5
    assert query.changed(debut_avant="2027-01-31").start_before == date(2027, 1, 31)


def test_the_profile_diploma_presets_the_filter_only_when_the_url_is_silent() -> None:
    preset = BoardQuery().with_profile_diploma(6)
    assert preset.diploma == 6 and preset.diploma_preset
    # The preset stays implicit in links: the URL keeps following the profile.
    assert preset.query_string(type="vta") == "type=vta"
    # Removing it writes `diplome=` so the next page does not preset it again.
    removed = preset.query_string(diplome="")
    assert removed == "diplome="
    again, _ = parse(removed)
    assert again.with_profile_diploma(6).diploma is None
    chosen, _ = parse("diplome=4")
    assert chosen.with_profile_diploma(6) == BoardQuery(diploma=4)
    assert BoardQuery().with_profile_diploma(None) == BoardQuery()
    # Without a level to preset, `diplome=` (every form sends it) is not worth a link.
    assert again.with_profile_diploma(None) == BoardQuery()
    assert again.with_profile_diploma(None).query_string(type="vta") == "type=vta"
    assert BoardQuery().with_profile_diploma(12) == BoardQuery()  # off the scale: ignored


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=maison de santé&type=vta&theme=numerique&page=4",
        "region=75&departement=2A&tri=echeance&teletravail=1&diplome=",
        "q=« café » & co&debut_avant=2027-09-01&duree=13-18&diplome=5",
    ],
)
@pytest.mark.parametrize("name", ["kind", "type", "theme", "region", "departement"])
def test_toggle_links_are_the_query_strings_of_each_value(query: str, name: str) -> None:
    filters, errors = parse(query)
    assert not errors
    values = ["vta", "chef_de_projet", "numerique", "culture", "75", "93", "2A", "47", "a b&c"]
    spec = PARAMS_BY_NAME.get(name) or next(p for p in BOARD_PARAMS if p.attribute == name)
    current = getattr(filters, spec.attribute)
    expected = [
        filters.query_string(**{name: "" if value == current else value, "page": 1})
        for value in values
    ]
    assert filters.toggle_links(name, values) == expected


_TEXT = st.text(alphabet='ab é&=+%«»"/?', max_size=6)
_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "q": _TEXT,
    "type": st.sampled_from(["", "vta", "chef_de_projet"]),
    "departement": st.sampled_from(["", "05", "2A"]),
    "region": st.sampled_from(["", "75"]),
    "theme": st.sampled_from(["", "culture", "a b&c"]),
    "duree": st.sampled_from(["", "12", "13-18"]),
    "diplome": st.sampled_from(["", None, 4, "6"]),
    "teletravail": st.sampled_from(["", True, False, "1"]),
    "debut_avant": st.sampled_from(["", None, date(2027, 9, 1), "2027-01-31"]),
    "tri": st.sampled_from(["", "date", "echeance"]),
    "page": st.sampled_from(["", 1, 2, "3"]),
}


@given(
    base=st.fixed_dictionaries({}, optional=_VALUES),
    changes=st.fixed_dictionaries({}, optional=_VALUES),
    preset=st.sampled_from([None, 5]),
)
def test_a_link_s_query_string_is_the_changed_query_s_parameters_encoded(
    base: dict[str, Any], changes: dict[str, Any], preset: int | None
) -> None:
    query = BoardQuery().changed(**base).with_profile_diploma(preset)
    assert query.query_string(**changes) == urlencode(query.changed(**changes).params())
    assert query.query_string() == urlencode(query.params())


@given(base=st.fixed_dictionaries({}, optional=_VALUES), preset=st.sampled_from([None, 5]))
def test_an_alert_keeps_the_changed_query_s_parameters_without_page_and_order(
    base: dict[str, Any], preset: int | None
) -> None:
    query = BoardQuery().changed(**base).with_profile_diploma(preset)
    kept = query.changed(page=1, sort="")
    if query.diploma_preset:
        kept = kept.changed(diploma=query.diploma)
    params = {name: text for name, text in kept.params().items() if name != "diplome" or text}
    assert saved_search(query) == urlencode(params)


def test_active_filters_name_each_filter_and_its_value_in_french() -> None:
    query, _ = parse("q=eau&type=vta&duree=19-plus&diplome=5&teletravail=1&tri=date&page=2")
    assert [(spec.name, text) for spec, text in query.active_filters()] == [
        ("type", "VTA"),
        ("duree", "Plus de 18 mois"),
        ("diplome", "Niveau 5 (bac+2)"),
        ("teletravail", "1"),
    ]
    assert set(FILTER_NAMES) == {
        "type",
        "departement",
        "region",
        "theme",
        "duree",
        "diplome",
        "teletravail",
        "debut_avant",
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "q": {"type": "string", "maxLength": 200},
    "type": {"type": "string", "enum": ["chef_de_projet", "vta", "vta_expertise"]},
    "departement": {"type": "string", "enum": ["05", "2A", "47", "974"]},
    "region": {"type": "string", "enum": ["75", "93"]},
    "duree": {"type": "string", "enum": ["12", "13-18", "19-plus"]},
    "diplome": {"type": "integer", "minimum": 3, "maximum": 8},
    "teletravail": {"type": "boolean"},
    "debut_avant": {"type": "string", "format": "date"},
    "tri": {"type": "string", "enum": ["pertinence", "date", "echeance"]},
    "page": {"type": "integer", "minimum": 1, "maximum": 10_000},
}


@pytest.mark.parametrize(("name", "schema"), SCHEMAS.items())
def test_each_parameter_describes_itself_for_the_api(name: str, schema: dict[str, Any]) -> None:
    reference = {"departements": DEPARTEMENTS, "regions": REGIONS}
    spec = PARAMS_BY_NAME[name]
    assert spec.json_schema(reference) == schema
    assert spec.description.endswith(".") and spec.label


def test_every_parameter_has_a_french_error_and_a_kind() -> None:
    assert len({p.name for p in BOARD_PARAMS}) == len(BOARD_PARAMS) == 11
    for spec in BOARD_PARAMS:
        assert isinstance(spec.kind, ParamKind)
        assert spec.message or spec.kind is ParamKind.STRING
        assert "'" not in spec.message + spec.description  # typographic apostrophes only
    themes = PARAMS_BY_NAME["theme"].json_schema()
    assert "numerique" in themes["enum"] and len(themes["enum"]) == 14
