"""The RGAA conformity status the accessibility statement and the footer announce.

RGAA 4.1 (« obligations », § 2): a site is « totalement conforme » when an audit finds every
applicable criterion met, « partiellement conforme » from 50 % of them, « non conforme » below,
and « non conforme » too as long as no audit has been made.
"""

from __future__ import annotations

from datetime import date

# When the statement below was written (the « établissement de la déclaration »).
ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 2)
RGAA_VERSION = "4.1"
FULL = "totalement conforme"
PARTIAL = "partiellement conforme"
NONE = "non conforme"


def conformity(audit_rate: float | None) -> str:
    """The status to announce, from the rate of the last recorded audit (None: no audit)."""
    if audit_rate is None:
        return NONE
    if audit_rate >= 100:
        return FULL
    return PARTIAL if audit_rate >= 50 else NONE
