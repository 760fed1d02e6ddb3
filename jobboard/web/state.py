"""Process-wide web objects built once."""

from __future__ import annotations

from functools import cache

from jobboard import PROJECT_ROOT
from jobboard.web.templating import Templates


@cache
def templates() -> Templates:
    return Templates(str(PROJECT_ROOT / "templates"))
