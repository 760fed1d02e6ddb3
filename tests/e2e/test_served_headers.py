"""Headers of the real `jobboard serve` (uvicorn's own, which the ASGI tests never see)."""

from __future__ import annotations

import urllib.request


def test_the_server_does_not_name_itself(live_server: str) -> None:
    for path in ("/", "/sante", "/static/css/app.css"):
        with urllib.request.urlopen(live_server + path) as response:
            assert response.status == 200
            assert response.headers.get("server") is None, path
            assert response.headers["x-content-type-options"] == "nosniff"
