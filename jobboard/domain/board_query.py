"""The board's query string (`/offres?…`), declared once: what each parameter is, which values it
takes, what it means and what a user is told when a value is wrong (pure: no framework).

The same declaration serves the board (`/offres`), the saved searches of e-mail alerts (a stored
query string is parsed again with `parse_board_query`) and the open-data API, which validates its
parameters with it and writes their OpenAPI schemas from `BOARD_PARAMS` (`BoardParam.json_schema`).

Départements and régions change with reference data, not with the code: their allowed values
are given to the parser (and to `json_schema`) by the caller, who reads them from the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote_plus

from jobboard.domain.diploma import DIPLOMA_NAMES
from jobboard.domain.offer import KIND_SHORT_LABELS, THEMES
from jobboard.domain.parsing import parse_date, parse_int

MAX_QUERY_LENGTH = 200
MAX_PAGE = 10_000
NNBSP = "\u202f"


class ParamKind(StrEnum):
    """How a parameter's value is written (the OpenAPI type follows from it)."""

    STRING = "string"
    ENUM = "enum"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"


SORTS: dict[str, str] = {
    "pertinence": "Pertinence",
    "date": "Date de publication",
    "echeance": "Date limite la plus proche",
}


def _duration_label(shortest: int, longest: int | None) -> str:
    """« 12 mois », « De 13 à 18 mois », « Plus de 18 mois » (numbers written once, below)."""
    if longest is None:
        return f"Plus de {shortest - 1} mois"
    if shortest == longest:
        return f"{shortest} mois"
    return f"De {shortest} à {longest} mois"


# Duration buckets: slug → (shortest, longest months; None = no upper bound).
_BUCKETS: dict[str, tuple[int, int | None]] = {
    "12": (12, 12),
    "13-18": (13, 18),
    "19-plus": (19, None),
}
# slug → (French label, shortest, longest)
DURATIONS: dict[str, tuple[str, int, int | None]] = {
    slug: (_duration_label(shortest, longest), shortest, longest)
    for slug, (shortest, longest) in _BUCKETS.items()
}
DURATION_LABELS: dict[str, str] = {slug: label for slug, (label, _, _) in DURATIONS.items()}
DIPLOMA_CHOICES: dict[str, str] = {
    str(level): f"Niveau {level} ({name})" for level, name in DIPLOMA_NAMES.items()
}
MIN_DIPLOMA, MAX_DIPLOMA = min(DIPLOMA_NAMES), max(DIPLOMA_NAMES)
TRUE_WORDS = frozenset({"1", "true", "oui", "on"})
FALSE_WORDS = frozenset({"0", "false", "non", "off"})


@dataclass(frozen=True)
class BoardParam:
    """One query-string parameter: name, kind, allowed values or bounds, French texts."""

    name: str  # in the URL
    attribute: str  # on BoardQuery
    kind: ParamKind
    label: str  # short French name (form label, active-filter chip)
    description: str  # French, for the API documentation
    message: str  # French error; `{value}` is the value received (cut to 50 characters)
    choices: Mapping[str, str] = field(default_factory=dict)  # value → French label
    reference: str = ""  # allowed values given at parse time: "departements" or "regions"
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    def allowed(self, reference: Mapping[str, Collection[str]] | None = None) -> list[str]:
        """The enum values: the declared ones, or the reference data given by the caller."""
        if self.reference:
            return sorted((reference or {}).get(self.reference, ()))
        return list(self.choices)

    def json_schema(self, reference: Mapping[str, Collection[str]] | None = None) -> dict[str, Any]:
        """The parameter's schema as OpenAPI 3.1 (JSON Schema) writes it."""
        schema: dict[str, Any]
        if self.kind is ParamKind.ENUM:
            schema = {"type": "string", "enum": self.allowed(reference)}
        elif self.kind is ParamKind.INTEGER:
            schema = {"type": "integer"}
        elif self.kind is ParamKind.DATE:
            schema = {"type": "string", "format": "date"}
        elif self.kind is ParamKind.BOOLEAN:
            schema = {"type": "boolean"}
        else:
            schema = {"type": "string"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


def _quoted(text: str) -> str:
    return f"«{NNBSP}{text}{NNBSP}»"


BOARD_PARAMS: tuple[BoardParam, ...] = (
    BoardParam(
        "q",
        "q",
        ParamKind.STRING,
        "Mots-clés",
        "Mots cherchés dans le titre, l’employeur, la commune et le texte de l’offre ; "
        "les guillemets cherchent une expression exacte.",
        "",
        max_length=MAX_QUERY_LENGTH,
    ),
    BoardParam(
        "type",
        "kind",
        ParamKind.ENUM,
        "Type d’offre",
        "Type d’offre : chef de projet Petites villes de demain, VTA ou VTA expertise.",
        f"Le type d’offre {_quoted('{value}')} n’existe pas.",
        choices={str(k): v for k, v in KIND_SHORT_LABELS.items()},
    ),
    BoardParam(
        "departement",
        "departement",
        ParamKind.ENUM,
        "Département",
        "Code INSEE du département de la commune employeuse (« 47 », « 2A », « 974 »).",
        f"Le département {_quoted('{value}')} n’existe pas.",
        reference="departements",
    ),
    BoardParam(
        "region",
        "region",
        ParamKind.ENUM,
        "Région",
        "Code INSEE de la région de la commune employeuse (« 75 » : Nouvelle-Aquitaine).",
        f"La région {_quoted('{value}')} n’existe pas.",
        reference="regions",
    ),
    BoardParam(
        "theme",
        "theme",
        ParamKind.ENUM,
        "Thématique",
        "Thématique de l’offre.",
        f"La thématique {_quoted('{value}')} n’existe pas.",
        choices=THEMES,
    ),
    BoardParam(
        "duree",
        "duration",
        ParamKind.ENUM,
        "Durée",
        "Durée de la mission : "
        + ", ".join(f"{label.lower()} (« {slug} »)" for slug, label in DURATION_LABELS.items())
        + ".",
        f"La durée {_quoted('{value}')} n’existe pas (12, 13-18 ou 19-plus).",
        choices=DURATION_LABELS,
    ),
    BoardParam(
        "diplome",
        "diploma",
        ParamKind.INTEGER,
        "Accessible avec mon diplôme",
        "Niveau de diplôme du candidat sur l’échelle nationale de 2019 ("
        + " ; ".join(f"{level} : {name}" for level, name in DIPLOMA_NAMES.items())
        + ") : seules les offres dont le niveau minimum requis ne dépasse pas ce niveau "
        "sont retenues.",
        f"Le niveau de diplôme {_quoted('{value}')} n’existe pas : choisissez un niveau "
        f"de {MIN_DIPLOMA} (CAP, BEP) à {MAX_DIPLOMA} (doctorat).",
        choices=DIPLOMA_CHOICES,
        minimum=MIN_DIPLOMA,
        maximum=MAX_DIPLOMA,
    ),
    BoardParam(
        "teletravail",
        "remote",
        ParamKind.BOOLEAN,
        "Télétravail possible",
        "Seulement les offres qui permettent le télétravail (partiel ou complet).",
        f"La valeur {_quoted('{value}')} du filtre télétravail n’est pas comprise "
        "(1 pour oui, 0 pour non).",
    ),
    BoardParam(
        "debut_avant",
        "start_before",
        ParamKind.DATE,
        "Début au plus tard le",
        "Seulement les missions qui commencent au plus tard à cette date (AAAA-MM-JJ ; "
        "JJ/MM/AAAA est aussi compris).",
        f"La date de début {_quoted('{value}')} n’est pas une date valide "
        "(par exemple 01/09/2027).",
    ),
    BoardParam(
        "tri",
        "sort",
        ParamKind.ENUM,
        "Trier par",
        "Ordre des résultats : pertinence (par défaut avec des mots-clés), date de "
        "publication (par défaut sans mots-clés, la plus récente d’abord) ou échéance "
        "(la date limite de candidature la plus proche d’abord).",
        f"Le tri {_quoted('{value}')} n’existe pas (pertinence, date ou echeance).",
        choices=SORTS,
    ),
    BoardParam(
        "page",
        "page",
        ParamKind.INTEGER,
        "Page",
        "Numéro de la page de résultats, à partir de 1.",
        "Le numéro de page doit être un nombre entier positif.",
        minimum=1,
        maximum=MAX_PAGE,
    ),
)
PARAMS_BY_NAME: dict[str, BoardParam] = {p.name: p for p in BOARD_PARAMS}
PARAMS_BY_ATTRIBUTE: dict[str, BoardParam] = {p.attribute: p for p in BOARD_PARAMS}
_ORDER: dict[str, int] = {p.name: i for i, p in enumerate(BOARD_PARAMS)}  # as params() writes
# The parameters that narrow the results (all but the words, the order and the page).
FILTER_NAMES: tuple[str, ...] = tuple(
    p.name for p in BOARD_PARAMS if p.name not in ("q", "tri", "page")
)


class BoardError(NamedTuple):
    param: str
    message: str


@dataclass(frozen=True)
class BoardQuery:
    """The board's query, validated. Empty strings / None / False mean « no such filter »."""

    q: str = ""
    kind: str = ""
    departement: str = ""
    region: str = ""
    theme: str = ""
    duration: str = ""
    diploma: int | None = None
    remote: bool = False
    start_before: date | None = None
    sort: str = ""
    page: int = 1
    # `diplome=` given empty: the candidate removed the level preset from their profile.
    diploma_cleared: bool = False
    # The level comes from the signed-in candidate's profile, not from the URL.
    diploma_preset: bool = False

    @property
    def effective_sort(self) -> str:
        """Relevance when there is a query, newest first otherwise."""
        return self.sort or ("pertinence" if self.q else "date")

    @property
    def duration_range(self) -> tuple[int, int | None] | None:
        if not self.duration:
            return None
        _, shortest, longest = DURATIONS[self.duration]
        return shortest, longest

    def with_profile_diploma(self, level: int | None) -> BoardQuery:
        """The candidate's own level as the diploma filter when the URL says nothing of it.
        Without a level to preset (visitors, no level in the profile), an empty `diplome=`
        means nothing and is dropped from links."""
        if level is None or not MIN_DIPLOMA <= level <= MAX_DIPLOMA:
            return replace(self, diploma_cleared=False) if self.diploma_cleared else self
        if self.diploma is not None or self.diploma_cleared:
            return self
        return replace(self, diploma=level, diploma_preset=True)

    def changed(self, **changes: Any) -> BoardQuery:
        """This query with some values replaced; keys are attribute or parameter names, and
        "" (or None) removes a filter. Removing `diplome` keeps it removed (no preset)."""
        values: dict[str, Any] = {}
        for key, value in changes.items():
            spec = PARAMS_BY_NAME.get(key) or PARAMS_BY_ATTRIBUTE[key]
            values[spec.attribute] = _typed(spec, value)
        if "diploma" in values:
            values["diploma_preset"] = False
            values["diploma_cleared"] = values["diploma"] is None
        return replace(self, **values)

    def params(self) -> dict[str, str]:
        """The query as URL parameters, only those in use (a preset diploma stays implicit)."""
        return dict(self._params)

    @cached_property
    def _params(self) -> tuple[tuple[str, str], ...]:
        out: dict[str, str] = {}
        for spec in BOARD_PARAMS:
            text = _text(spec, getattr(self, spec.attribute))
            if spec.name == "page" and self.page == 1:
                continue
            if spec.name == "diplome":
                if self.diploma_preset:
                    continue
                if self.diploma is None and self.diploma_cleared:
                    out[spec.name] = ""
                    continue
            if text:
                out[spec.name] = text
        return tuple(out.items())

    def query_string(self, **changes: Any) -> str:
        """`q=…&type=…` for a link; `changes` as in `changed` (e.g. `page=2`, `theme=""`).

        What `urlencode(self.changed(**changes).params())` writes, without a new query per
        link: a board page writes about ten (pagination, alert, feed, removal links)."""
        if not changes:
            return _encoded(self._params)
        written: dict[str, str] = {}
        for key, value in changes.items():
            spec = PARAMS_BY_NAME.get(key) or PARAMS_BY_ATTRIBUTE[key]
            if spec.name == "diplome":  # its preset and removal rules: the long way
                return _encoded(self.changed(**changes)._params)
            written[spec.name] = _text(spec, _typed(spec, value))
        out = dict(self._params)
        for name, text in written.items():
            if text and not (name == "page" and text == "1"):
                out[name] = text
            else:
                out.pop(name, None)
        return _encoded(sorted(out.items(), key=lambda item: _ORDER[item[0]]))

    def toggle_links(self, name: str, values: Iterable[str]) -> list[str]:
        """For each value of one filter, `query_string(**{name: value, "page": 1})`, or with
        the filter removed for the value in use (a facet's links). The other parameters are
        encoded once for all the values: a board page has more than a hundred such links."""
        spec = PARAMS_BY_NAME.get(name) or PARAMS_BY_ATTRIBUTE[name]
        if spec.name == "diplome":  # its preset and removal rules: the long way
            others = self.changed(**{spec.name: "", "page": 1})._params
        else:  # the filter removed and the first page: their parameters left out
            others = tuple(p for p in self._params if p[0] != spec.name and p[0] != "page")
        place = _ORDER[spec.name]
        before = _encoded([(k, v) for k, v in others if _ORDER[k] < place])
        after = _encoded([(k, v) for k, v in others if _ORDER[k] > place])
        current = _text(spec, getattr(self, spec.attribute))
        links = []
        for value in values:
            text = "" if value == current else _text(spec, _typed(spec, value))
            middle = _pair(spec.name, text) if text else ""
            links.append("&".join(part for part in (before, middle, after) if part))
        return links

    def active_filters(self) -> list[tuple[BoardParam, str]]:
        """The filters in use, each with the French label of its value, in declaration order."""
        found = []
        for name in FILTER_NAMES:
            spec = PARAMS_BY_NAME[name]
            value = getattr(self, spec.attribute)
            text = _text(spec, value)
            if text:
                found.append((spec, spec.choices.get(text, text) if spec.choices else text))
        return found


def _encoded(params: Iterable[tuple[str, str]]) -> str:
    """`urlencode(params)`, each parameter encoded once per process (see `_pair`)."""
    return "&".join(_pair(name, text) for name, text in params)


@lru_cache(maxsize=4096)
def _pair(name: str, text: str) -> str:
    """One `name=value` as `urlencode` writes it: facet codes, page numbers and the words
    typed come back on every link of every page."""
    return f"{quote_plus(name)}={quote_plus(text)}"


def _typed(spec: BoardParam, value: Any) -> Any:
    """A template's or caller's value, as the attribute stores it."""
    if spec.kind is ParamKind.INTEGER:
        if value in ("", None):
            return 1 if spec.name == "page" else None
        return int(value)
    if spec.kind is ParamKind.BOOLEAN:
        return bool(value) and value not in FALSE_WORDS
    if spec.kind is ParamKind.DATE:
        if value in ("", None):
            return None
        return value if isinstance(value, date) else parse_date(str(value))
    return "" if value is None else str(value)


def _text(spec: BoardParam, value: Any) -> str:
    """An attribute's value as the URL writes it ("" when unset)."""
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return "1"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_board_query(
    params: Mapping[str, str],
    *,
    departements: Collection[str] = (),
    regions: Collection[str] = (),
) -> tuple[BoardQuery, list[BoardError]]:
    """Read a query string's parameters. A wrong value is left out of the query and reported,
    with its parameter and a French message; unknown parameters are ignored (tracking tags)."""
    reference: dict[str, Collection[str]] = {"departements": departements, "regions": regions}
    values: dict[str, Any] = {}
    errors: list[BoardError] = []
    for spec in BOARD_PARAMS:
        raw = params.get(spec.name)
        if raw is None:
            continue
        if spec.name == "diplome" and not raw.strip():
            values["diploma_cleared"] = True
            continue
        text = raw.strip()
        if spec.kind is ParamKind.STRING:
            text = " ".join(raw.split())[: spec.max_length]
        if not text:
            continue
        parsed = _parse_value(spec, text, reference)
        if parsed is None:
            errors.append(BoardError(spec.name, spec.message.format(value=text[:50])))
        else:
            values[spec.attribute] = parsed
    return BoardQuery(**values), errors


def _parse_value(
    spec: BoardParam, text: str, reference: Mapping[str, Collection[str]]
) -> object | None:
    if spec.kind is ParamKind.STRING:
        return text
    if spec.kind is ParamKind.ENUM:
        allowed = reference[spec.reference] if spec.reference else spec.choices
        return text if text in allowed else None
    if spec.kind is ParamKind.INTEGER:
        return parse_int(text, minimum=spec.minimum or 0, maximum=spec.maximum)
    if spec.kind is ParamKind.BOOLEAN:
        word = text.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None
    if spec.kind is ParamKind.DATE:
        return parse_date(text)
    raise AssertionError(spec.kind)  # pragma: no cover
