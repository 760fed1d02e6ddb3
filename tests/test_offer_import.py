"""The JSON import: valid files, row-level errors, all-or-nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from jobboard import clock
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer, OfferEvent, OfferTheme, SearchChange
from jobboard.services.demo import load_demo_offers
from jobboard.services.offer_import import import_offers
from tests.conftest import offer_row


async def test_a_valid_file_creates_published_offers_with_log_and_search_change(db: None) -> None:
    result = await import_offers(
        [offer_row(), offer_row(kind="chef_de_projet", duration_months=36)], today=clock.today()
    )
    assert result.errors == []
    assert len(result.created) == 2
    offer = await Offer.get(id=result.created[0]).prefetch_related("organisation", "commune")
    assert offer.status == OfferStatus.PUBLISHED
    assert offer.organisation.name == "Commune d’Espinasses" or offer.organisation.name.endswith(
        "Espinasses"
    )
    assert offer.commune.name == "Espinasses"
    assert offer.eligibility_verdict == "eligible"
    assert await OfferTheme.filter(offer=offer).count() == 2
    assert await OfferEvent.filter(offer=offer, to_status="published").exists()
    assert await SearchChange.filter(offer_id=offer.id).exists()


async def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(db: None) -> None:
    rows = [
        offer_row(),
        offer_row(duration_months=19),  # VTA too long: ineligible
        offer_row(employer_insee="99999"),
        offer_row(kind="stage", start_date="15/03/2027"),
        {"title": "sans le reste"},
        "pas un objet",
        offer_row(contact_email='"><svg/onload=alert(1)>@x.fr'),
    ]
    result = await import_offers(rows, today=clock.today())
    assert result.created == []
    assert await Offer.all().count() == 0
    found = {(e.index, e.field) for e in result.errors}
    assert (2, "duration_months") in found
    assert (3, "employer_insee") in found
    assert (4, "kind") in found and (4, "start_date") in found
    assert (5, "kind") in found and (5, "deadline") in found
    assert (6, "-") in found
    assert (7, "contact_email") in found
    assert 1 not in {e.index for e in result.errors}
    messages = " ".join(str(e) for e in result.errors)
    assert "La mission VTA dure de 12 à 18 mois." in messages
    assert "code INSEE inconnu « 99999 »" in messages
    assert "adresse e-mail invalide" in messages


async def test_skip_invalid_imports_the_good_rows_only(db: None) -> None:
    result = await import_offers(
        [offer_row(), offer_row(weekly_hours=20)], today=clock.today(), skip_invalid=True
    )
    assert len(result.created) == 1 and result.skipped == 1
    assert "26,25 heures" in str(result.errors[0])


async def test_a_dense_city_vta_is_refused_and_an_intermediate_one_goes_to_review(db: None) -> None:
    result = await import_offers([offer_row(employer_insee="69123")], today=clock.today())
    assert result.errors and result.errors[0].field == "employer"
    result = await import_offers([offer_row(employer_insee="62215")], today=clock.today())  # Carvin
    assert result.errors == []
    offer = await Offer.get(id=result.created[0])
    assert offer.eligibility_verdict == "to_review"


async def test_the_demo_file_imports_cleanly(db: None, reference_dir: Path) -> None:
    result = await load_demo_offers(reference_dir, clock.today())
    assert result.errors == []
    rows = json.loads((reference_dir / "demo_offers.json").read_text())
    assert len(result.created) == len(rows) >= 60
    assert await Offer.filter(status="published").count() >= 60
    departements = await Offer.all().values_list("commune__departement_id", flat=True)
    assert len(set(departements)) >= 15


async def test_a_non_list_file_is_refused(db: None) -> None:
    result = await import_offers({"kind": "vta"}, today=clock.today())
    assert result.errors and result.errors[0].index == 0


async def test_an_imported_offer_carries_the_dates_and_log_of_its_status(db: None) -> None:
    past = (clock.today() - timedelta(days=10)).isoformat()
    result = await import_offers(
        [offer_row(status="closed", deadline=past), offer_row(status="draft")], today=clock.today()
    )
    closed, draft = [await Offer.get(id=i) for i in result.created]
    assert closed.submitted_at and closed.published_at and closed.closed_at
    assert (draft.submitted_at, draft.published_at, draft.closed_at) == (None, None, None)
    assert closed.version == draft.version == 1
    [event] = await OfferEvent.filter(offer_id=closed.id)
    assert (event.from_status, event.to_status, event.comment) == ("", "closed", "Import")
    # Neither is on the board: nothing for the index to do.
    assert not await SearchChange.filter(offer_id__in=result.created).exists()
