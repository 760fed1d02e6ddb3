"""The Whoosh schema, built in one place, and the document made from an offer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from jobboard.markdown import plain_text
from jobboard.search.analysis import french, spelling

# Fields searched by a user query, with their weight: title over employer/commune over body.
QUERY_FIELDS = {"title": 4.0, "place": 2.0, "body": 1.0}
SUMMARY_LENGTH = 600
# Bump when a field is added, removed or changes type: an index on disk written with another
# version is rebuilt from the database at the next start (IndexStore.is_usable says no).
# 3: numbers indexed as one term each, or not at all (see NUMBER_TIERS).
SCHEMA_VERSION = 3
# Whoosh indexes a number as a term per 4 bits of precision by default (16 terms for a 64-bit
# date, 8 for the others), the tiers a NumericRange query needs to read few terms. Nothing asks
# them: filters and sorts read the numbers' columns (searcher.NUMBER_COLUMNS), and the one range
# query, expiry's deadline, reads a few hundred dates. So the deadline is indexed as one term
# per value and the other numbers not at all (stored and in a column only): a rebuild wrote 48
# number postings per offer and now one, and 44 % fewer terms (each offer's publication time
# was a term of its own).
NUMBER_TIERS = 0


def build_schema() -> Schema:
    analyzer = french()

    def number(bits: int = 32, *, indexed: bool = False) -> NUMERIC:
        # Sortable numbers have a column: the searcher reads them into arrays for filters.
        field = NUMERIC(numtype=int, bits=bits, stored=True, sortable=True, shift_step=NUMBER_TIERS)
        field.indexed = indexed  # an attribute Whoosh's writers and readers check
        return field

    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        place=TEXT(analyzer=analyzer, phrase=True),
        body=TEXT(analyzer=analyzer, phrase=True),
        spell=TEXT(analyzer=spelling(), spelling=True, phrase=False),
        kind=ID(stored=True),
        departement=ID(stored=True),
        region=ID(stored=True),
        themes=KEYWORD(stored=True, commas=True),
        published=number(bits=64),
        deadline=number(indexed=True),  # IndexStore.delete_expired's NumericRange
        start=number(),
        duration_months=number(),
        min_diploma_level=number(),
        remote=ID(stored=True),
        commune_name=STORED(),
        departement_name=STORED(),
        summary=STORED(),
    )


def date_number(value: date) -> int:
    """20270315 for 15 March 2027: comparable and compact."""
    return value.year * 10_000 + value.month * 100 + value.day


def number_date(value: int) -> date:
    return date(value // 10_000, value // 100 % 100, value % 100)


def document(
    *,
    offer_id: int,
    title: str,
    place: str,
    body: str,
    summary: str,
    kind: str,
    departement: str,
    region: str,
    themes: list[str],
    published: int,
    deadline: date,
    start_date: date,
    remote: str,
    commune_name: str,
    departement_name: str,
    duration_months: int,
    min_diploma_level: int,
) -> dict[str, Any]:
    """The index document; the one place that knows which field gets what."""
    return {
        "id": str(offer_id),
        "title": title,
        "place": place,
        "body": body,
        # Did-you-mean needs the vocabulary, not every occurrence: title, place and summary.
        "spell": f"{title}\n{place}\n{summary}",
        "kind": kind,
        "departement": departement,
        "region": region,
        "themes": ",".join(themes),
        "published": published,
        "deadline": date_number(deadline),
        "start": date_number(start_date),
        "remote": remote,
        "commune_name": commune_name,
        "departement_name": departement_name,
        "duration_months": duration_months,
        "min_diploma_level": min_diploma_level,
        "summary": summary,
    }


def offer_document(offer: Any) -> dict[str, Any]:
    """Fields of an offer loaded with commune__departement and organisation."""
    commune = offer.commune
    body = "\n".join(
        plain_text(text) for text in (offer.description, offer.missions, offer.profile)
    )
    published: datetime = offer.published_at or offer.created_at
    return document(
        offer_id=offer.id,
        title=offer.title,
        place=f"{offer.organisation.name} {commune.name} {commune.departement.name}",
        body=body,
        summary=plain_text(offer.description)[:SUMMARY_LENGTH],
        kind=str(offer.kind),
        departement=commune.departement_id,
        region=commune.region_id,
        themes=list(offer.themes),
        published=int(published.timestamp()),
        deadline=offer.deadline,
        start_date=offer.start_date,
        remote=str(offer.remote),
        commune_name=commune.name,
        departement_name=commune.departement.name,
        duration_months=offer.duration_months,
        min_diploma_level=offer.min_diploma_level,
    )
