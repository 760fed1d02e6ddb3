"""The two ways a use case says no: a refusal the user can act on, and a thing that is not there.

Both carry a French message for the user. The web layer maps them to HTTP in one place (the
app's exception handlers: 400 and 404); routes that redraw a form catch `Refused` to show its
message next to `field`. A builtin `LookupError` or `KeyError` is a bug, never "not found".
"""

from __future__ import annotations


class Refused(Exception):
    """Understood but not allowed: `message` says why, `field` names the form field it concerns
    ("" when it is about the whole request). Nothing was written."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(Exception):
    """What was asked for does not exist, or is not the asker's to see (same answer)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
