"""schema.org JobPosting, meta description and Open Graph of offer pages."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from jobboard import clock
from jobboard.domain.offer import OfferStatus
from jobboard.models import Offer
from jobboard.services.job_posting import job_posting, script_json
from jobboard.services.offer_import import import_offers
from jobboard.services.offer_public import public_offer, represent
from tests.conftest import offer_row
from tests.test_offer_public import BASE, DAY, FIRST, _offer

LD_JSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _posting(**changes: Any) -> dict[str, Any] | None:
    return job_posting(represent(_offer(**changes), base_url=BASE, first_published=FIRST, on=DAY))


def test_every_property_of_an_open_offer() -> None:
    data = _posting()
    assert data is not None
    assert data["@context"] == "https://schema.org" and data["@type"] == "JobPosting"
    assert data["title"] == "VTA – transition écologique"
    assert data["description"].startswith("<p>La commune <strong>recrute</strong>.")
    assert "<h3>Missions</h3><ul>" in data["description"] and "<script" not in data["description"]
    assert data["datePosted"] == "2027-02-01"
    assert data["validThrough"] == "2027-04-01T23:59:59+02:00"  # end of the Paris day
    assert data["employmentType"] == ["FULL_TIME", "TEMPORARY", "VOLUNTEER"]
    assert data["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Commune d’Espinasses",
        "identifier": {"@type": "PropertyValue", "propertyID": "SIREN", "value": "210500500"},
    }
    assert data["jobLocation"] == {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Espinasses",
            "postalCode": "05190",
            "addressRegion": "Provence-Alpes-Côte d’Azur",
            "addressCountry": "FR",
        },
    }
    assert data["identifier"] == {
        "@type": "PropertyValue",
        "name": "Bourse Petites villes de demain",
        "value": "42",
    }
    assert data["directApply"] is True
    assert data["url"] == f"{BASE}/offres/42"
    assert data["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {
            "@type": "QuantitativeValue",
            "minValue": 2600,
            "maxValue": 3200,
            "unitText": "MONTH",
        },
    }
    assert "jobLocationType" not in data  # partial remote work is not a remote job


def test_salary_only_when_the_offer_states_amounts() -> None:
    single = _posting(salary="2 100 € brut mensuels")
    assert single is not None
    assert single["baseSalary"]["value"] == {
        "@type": "QuantitativeValue",
        "value": 2100,
        "unitText": "MONTH",
    }
    for salary in ("", "SMIC + 15 %", "Selon grille"):
        data = _posting(salary=salary)
        assert data is not None and "baseSalary" not in data, salary


def test_employment_type_follows_kind_and_hours() -> None:
    project = _posting(kind="chef_de_projet", weekly_hours=Decimal("28"))
    assert project is not None and project["employmentType"] == ["PART_TIME", "TEMPORARY"]


def test_fully_remote_offers_say_so() -> None:
    data = _posting(remote="full")
    assert data is not None
    assert data["jobLocationType"] == "TELECOMMUTE"
    assert data["applicantLocationRequirements"] == {"@type": "Country", "name": "FR"}


def test_no_job_posting_once_closed_or_expired() -> None:
    assert _posting(status=OfferStatus.CLOSED, closed_at=FIRST) is None
    assert _posting(status=OfferStatus.EXPIRED, closed_at=FIRST) is None
    assert _posting(deadline=DAY - timedelta(days=1)) is None


def test_script_json_cannot_leave_its_script_element() -> None:
    data = {"title": "</script><script>alert(1)</script><!-- & 'x' \u2028"}
    text = str(script_json(data))
    assert not set("<>&'") & set(text)
    assert json.loads(text) == data
    assert "\\u003c/script\\u003e" in text


# The offer page.


def page_json_ld(page: str) -> list[Any]:
    return [json.loads(block) for block in LD_JSON.findall(page)]


def meta(page: str, attribute: str, name: str) -> list[str]:
    pattern = rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">'
    return [html.unescape(value) for value in re.findall(pattern, page)]


async def _published(
    title: str = "Chargé(e) de mission transition écologique", **changes: Any
) -> int:
    row = offer_row(title=title, **changes)
    (offer_id,) = (await import_offers([row], today=clock.today())).created
    return offer_id


async def test_an_open_offer_page_carries_its_job_posting(
    client: httpx.AsyncClient, db: None
) -> None:
    offer_id = await _published(salary="Entre 2 700 € et 3 300 € brut mensuels")
    response = await client.get(f"/offres/{offer_id}")
    assert response.status_code == 200
    (data,) = page_json_ld(response.text)
    offer = await Offer.get(id=offer_id).select_related("commune__region", "organisation__commune")
    public = await public_offer(offer_id, base_url="http://testserver")
    assert public is not None
    assert data["@type"] == "JobPosting"
    assert data["title"] == offer.title
    assert data["description"].startswith("<p>La commune d’Espinasses accueille")
    assert "<li>Animer le plan climat</li>" in data["description"]
    assert data["datePosted"] == public.published_at.astimezone(clock.PARIS).date().isoformat()
    assert data["validThrough"].startswith(offer.deadline.isoformat() + "T23:59:59+0")
    assert data["employmentType"] == ["FULL_TIME", "TEMPORARY", "VOLUNTEER"]
    organisation = data["hiringOrganization"]
    assert organisation["name"] == "Commune d’Espinasses"
    assert organisation["identifier"]["value"] == offer.organisation.commune.siren
    address = data["jobLocation"]["address"]
    assert address == {
        "@type": "PostalAddress",
        "addressLocality": "Espinasses",
        "postalCode": offer.commune.postal_codes.split()[0],
        "addressRegion": offer.commune.region.name,
        "addressCountry": "FR",
    }
    assert data["identifier"]["value"] == str(offer_id)
    assert data["directApply"] is True
    assert data["url"] == f"http://testserver/offres/{offer_id}"
    assert data["baseSalary"]["value"]["minValue"] == 2700
    assert data["baseSalary"]["value"]["maxValue"] == 3300
    # The content security policy forbids inline scripts; a data block is not one.
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_offer_page_meta_description_and_open_graph(
    client: httpx.AsyncClient, db: None
) -> None:
    offer_id = await _published(description="Une **commune** & ses « projets ». " * 20)
    page = (await client.get(f"/offres/{offer_id}")).text
    (description,) = meta(page, "name", "description")
    assert description.startswith("Une commune & ses « projets ». Une commune")
    assert len(description) <= 160 and description.endswith("…")
    assert meta(page, "property", "og:description") == [description]
    assert meta(page, "property", "og:title") == ["Chargé(e) de mission transition écologique"]
    assert meta(page, "property", "og:url") == [f"http://testserver/offres/{offer_id}"]
    assert meta(page, "property", "og:type") == ["website"]
    assert meta(page, "property", "og:site_name") == ["Bourse Petites villes de demain"]
    assert meta(page, "property", "og:locale") == ["fr_FR"]
    assert f'<link rel="canonical" href="http://testserver/offres/{offer_id}">' in page
    # Other pages keep the site's own description.
    (board,) = meta((await client.get("/offres")).text, "name", "description")
    assert board.startswith("Offres de chef de projet Petites villes de demain")


async def test_text_of_an_offer_cannot_break_out_of_the_json(
    client: httpx.AsyncClient, db: None
) -> None:
    offer_id = await _published(title="Chef </script><script>alert(1)</script> & <!--")
    page = (await client.get(f"/offres/{offer_id}")).text
    (data,) = page_json_ld(page)
    assert data["title"] == "Chef </script><script>alert(1)</script> & <!--"
    assert "<script>alert(1)" not in page


@pytest.mark.parametrize("ending", ["closed", "expired", "past_deadline"])
async def test_closed_and_expired_offer_pages_carry_no_job_posting(
    client: httpx.AsyncClient, db: None, app: Starlette, ending: str
) -> None:
    offer_id = await _published()
    if ending == "past_deadline":  # the expiry has not swept it yet
        await Offer.filter(id=offer_id).update(deadline=clock.today() - timedelta(days=1))
    else:
        await Offer.filter(id=offer_id).update(status=ending)
    response = await client.get(f"/offres/{offer_id}")
    assert response.status_code == 200
    assert page_json_ld(response.text) == []
    assert "application/ld+json" not in response.text
    # Still described for link previews.
    assert meta(response.text, "property", "og:url") == [f"http://testserver/offres/{offer_id}"]
