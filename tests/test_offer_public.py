"""The public representation of an offer: pure formatting, then loading in constant queries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
import time_machine

from jobboard import clock
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer
from jobboard.services.offer_import import import_offers
from jobboard.services.offer_public import (
    OFFER_JSON_SCHEMA,
    as_json,
    public_offer,
    public_offers,
    public_offers_by_id,
    represent,
)
from jobboard.services.offer_transitions import transition_offer
from jobboard.services.visibility import visible_offers
from jobboard.settings import Settings
from tests.conftest import approve, make_user, offer_row

BASE = "https://bourse.example.fr"
DAY = date(2027, 3, 10)
FIRST = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)


def _offer(**changes: Any) -> Any:
    """An offer with its related rows, as the loader hands it over, without a database."""
    region = SimpleNamespace(code="93", name="Provence-Alpes-Côte d’Azur")
    departement = SimpleNamespace(code="05", name="Hautes-Alpes")
    commune = SimpleNamespace(
        insee="05050",
        name="Espinasses",
        postal_codes="05190 05191",
        siren="210500500",
        departement=departement,
        region=region,
    )
    organisation = SimpleNamespace(
        kind="commune", name="Commune d’Espinasses", commune=commune, epci_id=None
    )
    values: dict[str, Any] = {
        "id": 42,
        "kind": "vta",
        "status": OfferStatus.PUBLISHED,
        "title": "VTA – transition écologique",
        "organisation": organisation,
        "commune": commune,
        "description": "La commune **recrute**.<script>alert(1)</script>",
        "missions": "- Animer le plan climat",
        "profile": "Bac+5",
        "themes": ["transition_ecologique", "amenagement"],
        "start_date": date(2027, 5, 1),
        "duration_months": 12,
        "weekly_hours": Decimal("35.00"),
        "min_diploma_level": 5,
        "deadline": date(2027, 4, 1),
        "salary": "Entre 2 600 € et 3 200 € brut mensuels",
        "remote": "partial",
        "created_at": FIRST - timedelta(days=3),
        "published_at": FIRST + timedelta(days=10),
        "updated_at": FIRST + timedelta(days=12),
        "closed_at": None,
    }
    values.update(changes)
    return SimpleNamespace(**values)


def test_every_field_of_an_open_offer() -> None:
    public = represent(_offer(), base_url=BASE + "/", first_published=FIRST, on=DAY)
    assert public.id == 42
    assert public.url == "https://bourse.example.fr/offres/42"
    assert (public.kind.code, public.kind.label) == (
        "vta",
        "Volontariat territorial en administration (VTA)",
    )
    assert public.title == "VTA – transition écologique"
    assert (public.employer.name, public.employer.insee, public.employer.siren) == (
        "Commune d’Espinasses",
        "05050",
        "210500500",
    )
    assert (public.commune.insee, public.commune.name, public.commune.postal_code) == (
        "05050",
        "Espinasses",
        "05190",
    )
    assert (public.departement.code, public.departement.label) == ("05", "Hautes-Alpes")
    assert public.region.code == "93"
    assert [(t.code, t.label) for t in public.themes] == [
        ("transition_ecologique", "Transition écologique"),
        ("amenagement", "Aménagement"),
    ]
    assert public.description.markdown.startswith("La commune **recrute**.")
    assert "<strong>recrute</strong>" in public.description.html
    assert "<script" not in public.description.html
    assert public.missions.html.startswith("<ul>")
    assert public.start_date == date(2027, 5, 1) and public.deadline == date(2027, 4, 1)
    assert public.duration_months == 12 and public.weekly_hours == Decimal(35)
    assert (public.min_diploma_level.level, public.min_diploma_level.label) == (
        5,
        "Niveau 5 – bac+2 (BTS, DUT)",
    )
    assert (public.remote.code, public.remote.label) == ("partial", "Télétravail partiel possible")
    assert public.salary is not None and public.salary.range is not None
    assert public.salary.range.minimum == 2600 and public.salary.range.period == "MONTH"
    # The first publication, not the latest re-publication after an edit.
    assert public.published_at == FIRST
    assert public.updated_at == FIRST + timedelta(days=12)
    assert (public.standing.code, public.standing.label) == ("open", "Ouverte aux candidatures")
    assert public.closed_at is None and public.is_open


def test_publication_falls_back_to_the_column_then_the_creation() -> None:
    offer = _offer()
    assert represent(offer, base_url=BASE, first_published=None, on=DAY).published_at == (
        offer.published_at
    )
    bare = _offer(published_at=None)
    assert represent(bare, base_url=BASE, first_published=None, on=DAY).published_at == (
        bare.created_at
    )
    # Never updated before it was published.
    late = _offer(updated_at=FIRST - timedelta(days=5))
    assert represent(late, base_url=BASE, first_published=FIRST, on=DAY).updated_at == FIRST


@pytest.mark.parametrize(
    ("changes", "standing"),
    [
        ({"status": OfferStatus.CLOSED, "closed_at": FIRST + timedelta(days=20)}, "closed"),
        ({"status": OfferStatus.EXPIRED, "closed_at": FIRST + timedelta(days=20)}, "expired"),
        ({"deadline": DAY - timedelta(days=1)}, "expired"),  # not swept by the expiry yet
    ],
)
def test_closed_and_expired_offers_say_so(changes: dict[str, Any], standing: str) -> None:
    public = represent(_offer(**changes), base_url=BASE, first_published=FIRST, on=DAY)
    assert public.standing.code == standing and not public.is_open
    if changes.get("closed_at"):
        assert public.closed_at == changes["closed_at"]


@pytest.mark.parametrize(
    "status", [OfferStatus.DRAFT, OfferStatus.SUBMITTED, OfferStatus.REJECTED, "archived"]
)
def test_offers_without_a_public_page_have_no_representation(status: str) -> None:
    with pytest.raises(ValueError, match="no public page"):
        represent(_offer(status=status), base_url=BASE, first_published=FIRST, on=DAY)


def test_epci_employer_has_a_siren_and_no_insee_code() -> None:
    epci = SimpleNamespace(kind="epci", name="CC Serre-Ponçon", commune=None, epci_id="200067452")
    public = represent(_offer(organisation=epci), base_url=BASE, first_published=FIRST, on=DAY)
    assert (public.employer.kind, public.employer.insee, public.employer.siren) == (
        "epci",
        None,
        "200067452",
    )


def test_salary_without_amount_and_no_salary() -> None:
    text_only = represent(
        _offer(salary="SMIC + 15 %"), base_url=BASE, first_published=FIRST, on=DAY
    )
    assert text_only.salary is not None
    assert (text_only.salary.text, text_only.salary.range) == ("SMIC + 15 %", None)
    assert (
        represent(_offer(salary="  "), base_url=BASE, first_published=FIRST, on=DAY).salary is None
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"salary": ""},
        {"salary": "Selon grille"},
        {"status": OfferStatus.CLOSED, "closed_at": FIRST},
        {"weekly_hours": Decimal("17.50"), "themes": []},
    ],
)
def test_json_matches_its_schema(changes: dict[str, Any]) -> None:
    public = represent(_offer(**changes), base_url=BASE, first_published=FIRST, on=DAY)
    data = as_json(public)
    jsonschema.Draft202012Validator.check_schema(OFFER_JSON_SCHEMA)
    jsonschema.validate(
        data, OFFER_JSON_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_json_values() -> None:
    data = as_json(represent(_offer(), base_url=BASE, first_published=FIRST, on=DAY))
    assert data["published_at"] == "2027-02-01T09:30:00+00:00"
    assert data["deadline"] == "2027-04-01" and data["start_date"] == "2027-05-01"
    assert data["weekly_hours"] == 35 and isinstance(data["weekly_hours"], int)
    assert data["departement"] == {"code": "05", "name": "Hautes-Alpes"}
    assert data["salary"] == {
        "text": "Entre 2 600 € et 3 200 € brut mensuels",
        "minimum": 2600,
        "maximum": 3200,
        "period": "MONTH",
        "currency": "EUR",
    }
    assert data["description"]["html"].startswith("<p>La commune <strong>")
    assert data["standing"] == {"code": "open", "label": "Ouverte aux candidatures"}


# Loading from the database.


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The SQL statements Tortoise sends meanwhile (its db_client logger, at debug level)."""
    statements: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
                statements.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler, level = _Collect(level=logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _import(count: int, **changes: Any) -> list[int]:
    rows = [offer_row(title=f"Offre {i}", **changes) for i in range(count)]
    result = await import_offers(rows, today=clock.today())
    assert result.errors == []
    return result.created


@pytest.mark.parametrize("count", [1, 12])
async def test_a_list_loads_in_two_queries_whatever_its_size(db: None, count: int) -> None:
    ids = await _import(count)
    with counted_queries() as statements:
        offers = await public_offers(visible_offers().order_by("id"), base_url=BASE)
    assert [o.id for o in offers] == ids
    assert len(statements) == 2, statements
    assert all(o.commune.name == "Espinasses" and o.region.label for o in offers)
    with counted_queries() as statements:
        one = await public_offer(ids[0], base_url=BASE)
    assert one is not None and one.employer.siren and len(statements) == 2


async def test_by_id_keeps_the_order_and_leaves_hidden_offers_out(db: None) -> None:
    first, second = await _import(2)
    (draft,) = await _import(1, status="draft")
    (closed,) = await _import(1, status="closed")
    offers = await public_offers_by_id([second, draft, 999_999, closed, first], base_url=BASE)
    assert [(o.id, o.standing.code) for o in offers] == [
        (second, "open"),
        (closed, "closed"),
        (first, "open"),
    ]
    assert await public_offer(draft, base_url=BASE) is None
    assert await public_offers_by_id([], base_url=BASE) == []


async def test_published_at_is_the_first_publication_after_an_edit(
    db: None, settings: Settings
) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False):
        (offer_id,) = await _import(1)
    recruiter = await make_user("recruiter", "rh@espinasses.fr", commune="05050")
    with time_machine.travel(start + timedelta(days=3), tick=False):
        offer = await Offer.get(id=offer_id)
        await transition_offer(offer, "edit_published", recruiter, changes={"title": "Modifiée"})
    with time_machine.travel(start + timedelta(days=4), tick=False):
        await approve(offer_id, settings)
    stored = await Offer.get(id=offer_id)
    assert stored.published_at == start + timedelta(days=4)
    public = await public_offer(offer_id, base_url=BASE)
    assert public is not None and public.title == "Modifiée"
    assert public.published_at == start
    assert public.updated_at >= start + timedelta(days=4)
