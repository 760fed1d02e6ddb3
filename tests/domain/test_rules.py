"""The rule texts: what they say, and that no template or Python message spells them again."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from jobboard.domain import rules

ROOT = Path(__file__).resolve().parents[2]
RULES_MODULE = ROOT / "jobboard" / "domain" / "rules.py"
# The national diploma scale names its levels (« bac+2 ») once, in its own module.
DIPLOMA_MODULE = ROOT / "jobboard" / "domain" / "diploma.py"

_SPACE = r"(?:\s|&nbsp;|&#160;|\u00a0|\u202f)+"
# A value of the rules, in any spacing a template or a message could give it.
SPELLED_VALUES = {
    "12 à 18 mois": rf"\b1[28]{_SPACE}mois\b",
    "12 à 72 mois": rf"\b72{_SPACE}mois\b",
    "1 à 6 ans": rf"\b1{_SPACE}à{_SPACE}6{_SPACE}ans\b",
    "bac+2": r"bac\s*\+\s*2",
    "26,25 h": r"\b26[,.]25\b",
    "75 %": rf"\b75{_SPACE}?%",
    "15 000 €": rf"\b15{_SPACE}?000\b",
    "20 000 habitants": rf"\b20{_SPACE}?000{_SPACE}hab",
    "18-30 ans": rf"\b18{_SPACE}?(?:-|à){_SPACE}?30{_SPACE}ans\b",
    "plus de 30 ans": rf"\b30{_SPACE}ans\b",
    "10 ans d’expérience": rf"\b10{_SPACE}ans{_SPACE}d",
    "densité": r"(?i)\b(?:très peu dense|peu dense|densité intermédiaire|\d – dense)\b",
}


def test_the_texts_say_the_rules() -> None:
    assert rules.VTA_DURATION == "12 à 18 mois"
    assert rules.CHEF_DE_PROJET_DURATION == "12 à 72 mois"
    assert rules.CHEF_DE_PROJET_YEARS == "1 à 6 ans"
    assert rules.VTA_DIPLOMA == "bac+2"
    assert rules.VTA_HOURS == "26,25"
    assert rules.VTA_HOURS_SHARE == "75\u00a0%"
    assert rules.WEEKLY_HOURS_EXAMPLES == "35 ou 26,25"
    assert rules.VTA_STATE_AID == "15\u202f000\u00a0€"
    assert rules.VTA_AGES == "18 à 30 ans" and rules.VTA_AGE_RANGE == "18-30 ans"
    assert rules.INTERMEDIATE_POPULATION == "20\u202f000 habitants"
    assert "plus de 30 ans, 10 ans d’expérience" in rules.KIND_DESCRIPTIONS["vta_expertise"]
    assert [rules.density_label(level) for level in (1, 2, 3, 4, None, 7)] == [
        "1 – dense",
        "2 – intermédiaire",
        "3 – peu dense",
        "4 – très peu dense",
        "inconnue",
        "inconnue",
    ]


def _python_messages(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (f-string parts included), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _spelled(texts: list[tuple[int, str]], where: str, allowed: set[str]) -> list[str]:
    return [
        f"{where}:{line} : « {name} » in {text[:80]!r}"
        for line, text in texts
        for name, pattern in SPELLED_VALUES.items()
        if name not in allowed and re.search(pattern, text)
    ]


def _everything_spelled() -> list[str]:
    found: list[str] = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            found += _spelled(list(enumerate(lines, 1)), str(path.relative_to(ROOT)), set())
    for path in sorted((ROOT / "jobboard").rglob("*.py")):
        if path == RULES_MODULE:
            continue
        allowed = {"bac+2"} if path == DIPLOMA_MODULE else set()
        found += _spelled(_python_messages(path), str(path.relative_to(ROOT)), allowed)
    return found


def test_no_template_or_message_spells_a_rule_value_again() -> None:
    assert _everything_spelled() == []


@pytest.mark.parametrize(
    "spelled",
    [
        "mission de 12 à 18 mois",
        "aide de 15&nbsp;000&nbsp;€",
        "au moins 26,25 h",
        "bac + 2 minimum",
        "3 – peu dense",
        "ouvert de 18 à 30 ans",
        "moins de 20\u202f000 habitants",
    ],
)
def test_the_search_sees_each_spelling(spelled: str) -> None:
    assert _spelled([(1, spelled)], "x", set())
