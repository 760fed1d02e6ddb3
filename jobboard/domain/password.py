"""The password policy: long enough, not a common password, not the account's own name."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from jobboard.domain.parsing import fold

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 would hash more, but nobody types a longer password
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

# Digits and symbols people add around a common word to reach the minimum length.
_PADDING = re.compile(r"^[\d\W_]+|[\d\W_]+$")
# Keyboard rows and counting: "123456789012", "azertyuiopqs" are as weak as any listed word.
_SEQUENCES = ("01234567890123456789", "azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm")


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split())


def password_problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """The French message explaining why `password` is refused, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères."
    folded = fold(password)
    core = _PADDING.sub("", folded)
    common = common_passwords()
    sequence = any(folded in run or folded in run[::-1] for run in _SEQUENCES)
    if folded in common or (core and core in common) or len(set(folded)) <= 2 or sequence:
        return "Ce mot de passe est trop courant. Choisissez-en un plus difficile à deviner."
    personal = [fold(email.split("@")[0]), *fold(full_name).split()]
    if any(len(part) >= 4 and part in folded and len(part) * 2 > len(folded) for part in personal):
        return "Le mot de passe ne doit pas reprendre votre nom ou votre adresse e-mail."
    return None
