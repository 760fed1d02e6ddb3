"""The staff CSV export of offers, for French Excel: UTF-8 with BOM, `;` separators."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from jobboard.clock import PARIS
from jobboard.domain.eligibility import Verdict
from jobboard.domain.offer import KIND_SHORT_LABELS, OfferKind, OfferStatus
from jobboard.models import Application, Offer
from jobboard.services.moderation_queue import OfferFilters, filtered_offers

COLUMNS = (
    "numéro", "intitulé", "type", "état", "éligibilité", "collectivité", "commune", "code INSEE",
    "département", "région", "créée le", "soumise le", "publiée le", "date limite",
    "candidatures",
)  # fmt: skip
CHUNK = 500


async def export_ids(filters: OfferFilters) -> list[int]:
    """The offers to export, read before the first byte is sent."""
    ids = await filtered_offers(filters).order_by("id").values_list("id", flat=True)
    return [int(str(i)) for i in ids]


async def csv_lines(ids: Sequence[int]) -> AsyncIterator[bytes]:
    """The file, line by line, reading the offers by chunks of `CHUNK`."""
    yield "\ufeff".encode()
    yield csv_line(COLUMNS)
    for chunk_start in range(0, len(ids), CHUNK):
        chunk = list(ids[chunk_start : chunk_start + CHUNK])
        offers = (
            await Offer.filter(id__in=chunk)
            .order_by("id")
            .select_related("commune__departement", "commune__region", "organisation")
        )
        counts: dict[int, int] = {}
        for offer_id in await Application.filter(offer_id__in=chunk).values_list(
            "offer_id", flat=True
        ):
            counts[int(str(offer_id))] = counts.get(int(str(offer_id)), 0) + 1
        for offer in offers:
            yield csv_line(row_values(offer, counts.get(offer.id, 0)))


def row_values(o: Offer, applications: int) -> list[str]:
    return [
        str(o.id),
        o.title,
        KIND_SHORT_LABELS[OfferKind(o.kind)],
        OfferStatus(o.status).label,
        Verdict(o.eligibility_verdict).label,
        o.organisation.name,
        o.commune.name,
        o.commune.insee,
        o.commune.departement.name,
        o.commune.region.name,
        _day(o.created_at),
        _day(o.submitted_at),
        _day(o.published_at),
        o.deadline.strftime("%d/%m/%Y"),
        str(applications),
    ]


def _day(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y") if moment else ""


def csv_line(values: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    # Cells starting with = + - @ would be formulas in a spreadsheet: quote them as text.
    safe = ["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in values]
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(safe)
    return buffer.getvalue().encode("utf-8")
