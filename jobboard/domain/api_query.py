"""The open-data API's query string (`/api/v1/offres?…`), read strictly (pure: no framework).

Its parameters are the board's (`BOARD_PARAMS`) with three differences, each written here once:
- `page` gives way to cursor pagination: `limit` (1 to 100 offers) and `cursor` (opaque, the
  `next` link of the previous page carries it);
- `tri` offers the two orders a cursor can follow without repeating or skipping an offer when
  offers are published meanwhile, publication date (`date`, the default) and deadline
  (`echeance`); relevance scores move whenever the index changes, so `pertinence` is refused;
- values are read strictly, as the OpenAPI document declares them: ISO dates only, `true` or
  `false`, an empty or unknown value is an error, and so is an unknown or repeated parameter.

Once read, the values go through `parse_board_query`, so the API searches exactly as the board
does. The OpenAPI document (jobboard.web.openapi) writes its parameters from `API_PARAMS`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

from jobboard.domain.board_query import (
    BOARD_PARAMS,
    NNBSP,
    PARAMS_BY_NAME,
    SORTS,
    BoardParam,
    BoardQuery,
    ParamKind,
    parse_board_query,
)
from jobboard.domain.parsing import parse_iso_date

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
API_SORTS = {name: SORTS[name] for name in ("date", "echeance")}
DEFAULT_SORT = "date"


def _quoted(text: str) -> str:
    return f"« {NNBSP}{text}{NNBSP} »"


_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = {"true": "1", "false": "0"}

LIMIT = BoardParam(
    "limit",
    "limit",
    ParamKind.INTEGER,
    "Nombre d’offres",
    f"Nombre d’offres par page, de 1 à {MAX_LIMIT} ({DEFAULT_LIMIT} par défaut).",
    f"Le nombre d’offres par page {_quoted('{value}')} n’est pas compris : "
    f"un nombre entier de 1 à {MAX_LIMIT}.",
    minimum=1,
    maximum=MAX_LIMIT,
)
CURSOR = BoardParam(
    "cursor",
    "cursor",
    ParamKind.STRING,
    "Curseur",
    "Position dans les résultats, opaque : recopiez le lien « next » de la page précédente "
    "(mêmes filtres). Un curseur vaut 24 heures.",
    "Le curseur n’est pas valide : recommencez depuis la première page.",
    max_length=1000,
)
_TRI = PARAMS_BY_NAME["tri"]
# Where the API's strict reading changes what a value may be: its own texts.
_STRICT_TEXTS: dict[str, dict[str, str]] = {
    "teletravail": {
        "description": "true : seulement les offres qui permettent le télétravail (partiel ou "
        "complet) ; false : toutes les offres.",
        "message": f"La valeur {_quoted('{value}')} du filtre télétravail n’est pas comprise "
        "(true ou false).",
    },
    "debut_avant": {
        "description": "Seulement les missions qui commencent au plus tard à cette date "
        "(AAAA-MM-JJ).",
        "message": f"La date de début {_quoted('{value}')} n’est pas une date valide au format "
        "AAAA-MM-JJ (par exemple 2027-09-01).",
    },
}
API_PARAMS: tuple[BoardParam, ...] = (
    *(
        replace(
            p,
            description=_STRICT_TEXTS[p.name]["description"],
            message=_STRICT_TEXTS[p.name]["message"],
        )
        if p.name in _STRICT_TEXTS
        else replace(
            _TRI,
            choices=API_SORTS,
            description="Ordre des résultats, stable d’une page à l’autre : date de publication "
            "(par défaut, la plus récente d’abord) ou échéance (la date limite de candidature "
            "la plus proche d’abord). Le tri par pertinence n’est pas proposé par l’API : il "
            "change dès qu’une offre est publiée et ferait sauter ou répéter des offres d’une "
            "page à l’autre.",
            message=f"Le tri {_quoted('{value}')} n’est pas proposé par l’API (date ou echeance).",
        )
        if p is _TRI
        else p
        for p in BOARD_PARAMS
        if p.name != "page"
    ),
    LIMIT,
    CURSOR,
)
API_PARAMS_BY_NAME: dict[str, BoardParam] = {p.name: p for p in API_PARAMS}


class InvalidParam(NamedTuple):
    """A parameter the API refuses, as RFC 9457's `invalid_params` lists it."""

    name: str
    reason: str


@dataclass(frozen=True)
class ApiQuery:
    query: BoardQuery  # the board's query (its sort is `date` or `echeance`, page 1)
    limit: int = DEFAULT_LIMIT
    cursor: str = ""  # as received; jobboard.web.api reads it

    @property
    def sort(self) -> str:
        return self.query.sort or DEFAULT_SORT

    def filter_params(self) -> dict[str, str]:
        """The search this page belongs to, as URL parameters (no limit, no cursor): what a
        cursor is bound to, and what the `next` link repeats."""
        params = self.query.params()
        params.pop("page", None)
        return params


def _strict(spec: BoardParam, raw: str, reference: Mapping[str, Collection[str]]) -> str | None:
    """The value as the board's parser reads it, or None when the API's schema refuses it."""
    if spec.kind is ParamKind.STRING:
        return raw if spec.max_length is None or len(raw) <= spec.max_length else None
    if spec.kind is ParamKind.ENUM:
        return raw if raw in spec.allowed(reference) else None
    if spec.kind is ParamKind.INTEGER:
        if not _INTEGER.fullmatch(raw) or len(raw) > 12:
            return None
        number = int(raw)
        if spec.minimum is not None and number < spec.minimum:
            return None
        if spec.maximum is not None and number > spec.maximum:
            return None
        return str(number)
    if spec.kind is ParamKind.BOOLEAN:
        return _BOOLEANS.get(raw)
    if spec.kind is ParamKind.DATE:
        return raw if parse_iso_date(raw) is not None and raw == raw.strip() else None
    raise AssertionError(spec.kind)  # pragma: no cover


def parse_api_query(
    items: Iterable[tuple[str, str]],
    *,
    departements: Collection[str] = (),
    regions: Collection[str] = (),
) -> tuple[ApiQuery, list[InvalidParam]]:
    """Read the query string's (name, value) pairs; every refusal names its parameter."""
    reference: dict[str, Collection[str]] = {"departements": departements, "regions": regions}
    errors: list[InvalidParam] = []
    seen: dict[str, str] = {}
    for name, raw in items:
        spec = API_PARAMS_BY_NAME.get(name)
        if spec is None:
            errors.append(InvalidParam(name[:50], "Paramètre inconnu de l’API."))
            continue
        if name in seen:
            errors.append(InvalidParam(name, "Ce paramètre ne peut être donné qu’une fois."))
            continue
        value = _strict(spec, raw, reference)
        if value is None:
            message = spec.message or f"La valeur de {name} dépasse {spec.max_length} caractères."
            errors.append(InvalidParam(name, message.format(value=raw[:50])))
            continue
        seen[name] = value
    limit = int(seen.pop("limit", DEFAULT_LIMIT))
    cursor = seen.pop("cursor", "")
    seen.setdefault("tri", DEFAULT_SORT)
    query, board_errors = parse_board_query(seen, departements=departements, regions=regions)
    errors.extend(InvalidParam(e.param, e.message) for e in board_errors)
    return ApiQuery(query=query, limit=limit, cursor=cursor), errors


# Order and keyset: each offer's sort key is a tuple of integers, unique (the id ends it) and
# ascending in the API's order, so « the offers after the cursor » is `key > cursor key`.
def _micros(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


def sort_key(sort: str, offer_id: int, published_at: datetime, deadline: date) -> tuple[int, ...]:
    """`date`: newest publication first; `echeance`: nearest deadline first, then the newest;
    the larger id first among equals (offers published in the same microsecond)."""
    if sort == "echeance":
        return (deadline.toordinal(), -_micros(published_at), -offer_id)
    return (-_micros(published_at), -offer_id)


def page_after(
    keyed: Iterable[tuple[tuple[int, ...], int]], after: tuple[int, ...] | None, limit: int
) -> tuple[list[int], tuple[int, ...] | None]:
    """The ids of the `limit` offers following `after` (None: from the start) among (key, id)
    pairs, and the key to continue from (None on the last page)."""
    ordered = sorted(pair for pair in keyed if after is None or pair[0] > after)
    page = ordered[:limit]
    more = len(ordered) > limit
    return [offer_id for _, offer_id in page], (page[-1][0] if more and page else None)
