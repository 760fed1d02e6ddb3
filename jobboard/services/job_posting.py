"""schema.org JobPosting structured data of an open offer, built from its public representation
(https://schema.org/JobPosting, Google's job posting guidelines), and its safe HTML embedding."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from markupsafe import Markup

from jobboard.clock import PARIS
from jobboard.domain.offer import OfferKind, RemoteWork
from jobboard.services.offer_public import PublicOffer

SITE_NAME = "Bourse Petites villes de demain"
# A full-time week in the French civil service; fewer hours is part time.
FULL_TIME_HOURS = 35
_TEXT_TITLES = (("missions", "Missions"), ("profile", "Profil recherché"))


def _employment_type(offer: PublicOffer) -> list[str]:
    """Every offer is a fixed-term contract (TEMPORARY); a VTA is also a volunteering."""
    types = ["FULL_TIME" if offer.weekly_hours >= FULL_TIME_HOURS else "PART_TIME", "TEMPORARY"]
    if OfferKind(offer.kind.code).is_vta:
        types.append("VOLUNTEER")
    return types


def _description(offer: PublicOffer) -> str:
    """The three texts as one HTML description (sanitised HTML, which the format allows)."""
    parts = [str(offer.description.html)]
    for name, title in _TEXT_TITLES:
        text = getattr(offer, name)
        if text.markdown.strip():
            parts.append(f"<h3>{title}</h3>{text.html}")
    return "".join(parts)


def _number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _base_salary(offer: PublicOffer) -> dict[str, Any] | None:
    """Only amounts the offer states (« selon grille » gives none, nothing is made up)."""
    if offer.salary is None or offer.salary.range is None:
        return None
    amounts = offer.salary.range
    value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": amounts.period.value}
    if amounts.minimum == amounts.maximum:
        value["value"] = _number(amounts.minimum)
    else:
        value.update(minValue=_number(amounts.minimum), maxValue=_number(amounts.maximum))
    return {"@type": "MonetaryAmount", "currency": amounts.currency, "value": value}


def job_posting(offer: PublicOffer) -> dict[str, Any] | None:
    """The JobPosting of an open offer; None for a closed or expired one (its page stays, but
    search engines must stop listing it as a job)."""
    if not offer.is_open:
        return None
    employer = offer.employer
    organisation: dict[str, Any] = {"@type": "Organization", "name": employer.name}
    if employer.siren:
        organisation["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "SIREN",
            "value": employer.siren,
        }
    address: dict[str, Any] = {
        "@type": "PostalAddress",
        "addressLocality": offer.commune.name,
        "addressRegion": offer.region.label,
        "addressCountry": "FR",
    }
    if offer.commune.postal_code:
        address["postalCode"] = offer.commune.postal_code
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": offer.title,
        "description": _description(offer),
        "datePosted": offer.published_at.astimezone(PARIS).date().isoformat(),
        # Applications are taken until the end of the deadline day, in Paris.
        "validThrough": datetime.combine(offer.deadline, time(23, 59, 59), PARIS).isoformat(),
        "employmentType": _employment_type(offer),
        "hiringOrganization": organisation,
        "jobLocation": {"@type": "Place", "address": address},
        "identifier": {"@type": "PropertyValue", "name": SITE_NAME, "value": str(offer.id)},
        "directApply": True,
        "url": offer.url,
        "jobStartDate": offer.start_date.isoformat(),
        "industry": "Administration publique territoriale",
    }
    if offer.remote.code == RemoteWork.FULL:
        data["jobLocationType"] = "TELECOMMUTE"
        data["applicantLocationRequirements"] = {"@type": "Country", "name": "FR"}
    salary = _base_salary(offer)
    if salary is not None:
        data["baseSalary"] = salary
    return data


# Inside <script>, the HTML parser ends the element at « </script » and reads « <!-- »; JSON
# escapes these characters so that no text of an offer can end the block or open markup.
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


def script_json(data: dict[str, Any]) -> Markup:
    """`data` as JSON to put verbatim inside <script type="application/ld+json">."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_HTML_SAFE)
    return Markup(text)  # noqa: S704 - every character that could leave the script is escaped
