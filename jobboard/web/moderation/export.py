"""The CSV export of offers, with the queue's filters plus `statut`."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from jobboard.domain.account import Role
from jobboard.domain.errors import Refused
from jobboard.domain.offer import OfferStatus
from jobboard.services import offer_export
from jobboard.web.auth import signed_in
from jobboard.web.moderation.queue import queue_filters


@signed_in(Role.STAFF)
async def export_csv(request: Request) -> Response:
    """Offers for French Excel (UTF-8 with BOM, `;`); an unknown filter refuses the export."""
    parsed = await queue_filters(request)
    filters = parsed.filters
    status = request.query_params.get("statut", "")
    if status in {s.value for s in OfferStatus}:
        filters = replace(filters, status=status)
    elif status:
        parsed.errors.append("État inconnu.")
    if parsed.errors:
        raise Refused("Export impossible : " + " ".join(parsed.errors))
    ids = await offer_export.export_ids(filters)
    return StreamingResponse(
        offer_export.csv_lines(ids),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="offres-bourse-pvd.csv"'},
    )
