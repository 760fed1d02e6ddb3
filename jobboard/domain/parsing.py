"""What people and files type, read one way everywhere: dates, e-mail addresses, integers, ages,
and accent folding (pure; every parser returns None instead of raising)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 31/02, month 13…
        return None


def parse_iso_date(text: str) -> date | None:
    """AAAA-MM-JJ exactly: what `<input type=date>` and the JSON import send."""
    match = _ISO_DATE.fullmatch(text.strip())
    return _date(*match.groups()) if match else None


def parse_date(text: str) -> date | None:
    """AAAA-MM-JJ, or JJ/MM/AAAA as people type it (« 1/3/2027 » too)."""
    text = text.strip()
    if match := _FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
        return _date(year, month, day)
    return parse_iso_date(text)


EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit, the column's size
# One pattern for every address typed on the board: a dot-atom local part (RFC 5322 `atext`,
# letters of any script allowed) and a domain of letter/digit labels with a top-level domain of
# two letters or more. Quotes, angle brackets, spaces, commas, parentheses and backslashes are
# refused: an address is shown in pages and e-mail headers, never a place for markup. It catches
# typos; the real check is the message the address receives.
_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_TOP_LEVEL = r"(?:[^\W\d_]{2,63}|[xX][nN]--[a-zA-Z0-9-]{1,59})"
_EMAIL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+{_TOP_LEVEL}")


def is_email(text: str) -> bool:
    """Whether `text` (already stripped) reads as an e-mail address."""
    return len(text) <= EMAIL_MAX_LENGTH and _EMAIL.fullmatch(text) is not None


DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`


def parse_int(text: str, *, minimum: int = 0, maximum: int | None = DB_INT_MAX) -> int | None:
    """ASCII digits only (« ٣ » or « ³ » are refused, as are signs and spaces), within bounds."""
    if not text.isascii() or not text.isdigit():
        return None
    if maximum is not None and len(text.lstrip("0")) > len(str(maximum)):
        return None  # too long to be in range: not worth converting
    try:
        number = int(text)
    except ValueError:  # more digits than Python converts
        return None
    if number < minimum or (maximum is not None and number > maximum):
        return None
    return number


_DECIMAL = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")


def parse_decimal(text: str) -> Decimal | None:
    """A short decimal with a comma or a point: « 35 », « 26,25 » or « 26.25 »."""
    text = text.replace(",", ".").replace(" ", "")
    return Decimal(text) if _DECIMAL.fullmatch(text) else None


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`; a birthday counts on the day itself (29 February → 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# Latin letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def _fold_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case and accents removed: « Plœuc-L'Hermitage » → « ploeuc-l'hermitage »."""
    if text.isascii():
        return text.lower()
    # Twice: a compatibility form may be a capital (mathematical 𝞐 → Α), a case folding may
    # carry an accent (İ → i̇).
    return _fold_once(_fold_once(text))
