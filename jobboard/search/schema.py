"""The Whoosh schema, built in one place, and the document made from an offer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from jobboard.markdown import plain_text
from jobboard.search.analysis import fold_then_stem, spelling, stem_then_fold

# Fields searched by a user query, with their weight: title over employer/commune over body.
QUERY_FIELDS = {
    "title": 4.0,
    "title_f": 4.0,
    "place": 2.0,
    "place_f": 2.0,
    "body": 1.0,
    "body_f": 1.0,
}
SUMMARY_LENGTH = 600


def build_schema() -> Schema:
    stemmed, folded = stem_then_fold(), fold_then_stem()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=stemmed, stored=True, phrase=True),
        title_f=TEXT(analyzer=folded, phrase=True),
        place=TEXT(analyzer=stemmed, phrase=True),
        place_f=TEXT(analyzer=folded, phrase=True),
        body=TEXT(analyzer=stemmed, phrase=True),
        body_f=TEXT(analyzer=folded, phrase=True),
        spell=TEXT(analyzer=spelling(), spelling=True, phrase=False),
        kind=ID(stored=True),
        departement=ID(stored=True),
        region=ID(stored=True),
        themes=KEYWORD(stored=True, commas=True),
        published=NUMERIC(numtype=int, bits=64, stored=True, sortable=True),
        deadline=NUMERIC(numtype=int, stored=True),
        commune_name=STORED(),
        departement_name=STORED(),
        duration_months=STORED(),
        min_diploma_level=STORED(),
        summary=STORED(),
    )


def date_number(value: date) -> int:
    """20270315 for 15 March 2027: comparable and compact."""
    return value.year * 10_000 + value.month * 100 + value.day


def number_date(value: int) -> date:
    return date(value // 10_000, value // 100 % 100, value % 100)


def offer_document(offer: Any) -> dict[str, Any]:
    """Fields of an offer loaded with commune__departement, commune__region and organisation."""
    commune = offer.commune
    place = f"{offer.organisation.name} {commune.name} {commune.departement.name}"
    body = "\n".join(
        plain_text(text) for text in (offer.description, offer.missions, offer.profile)
    )
    summary = plain_text(offer.description)[:SUMMARY_LENGTH]
    published: datetime = offer.published_at or offer.created_at
    return {
        "id": str(offer.id),
        "title": offer.title,
        "title_f": offer.title,
        "place": place,
        "place_f": place,
        "body": body,
        "body_f": body,
        # Did-you-mean needs the vocabulary, not every occurrence: title, place and summary.
        "spell": f"{offer.title}\n{place}\n{summary}",
        "kind": str(offer.kind),
        "departement": commune.departement_id,
        "region": commune.region_id,
        "themes": ",".join(offer.themes),
        "published": int(published.timestamp()),
        "deadline": date_number(offer.deadline),
        "commune_name": commune.name,
        "departement_name": commune.departement.name,
        "duration_months": offer.duration_months,
        "min_diploma_level": offer.min_diploma_level,
        "summary": summary,
    }
