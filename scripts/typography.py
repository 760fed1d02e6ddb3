"""One-off and re-runnable: French typography in templates and in French string literals.

    .venv/bin/python scripts/typography.py templates jobboard [--check]

Typographic apostrophe (’) between letters, a narrow no-break space (U+202F) before ; : ! ?
and inside « ». Jinja constructs, <script>/<style> and tag markup are left alone (visible
attributes — title, placeholder, aria-label, alt, content — are converted); in Python only
double-quoted, non-raw string literals that read as French (an elision such as « l’ », « d’ »
or an accented letter) are touched, never docstrings' code samples or identifiers.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

NNBSP = "\u202f"
LETTER = r"A-Za-zÀ-ÖØ-öø-ÿœŒ"
_APOSTROPHE = re.compile(rf"(?<=[{LETTER}])'(?=[{LETTER}0-9\ue000*_])")
_SPACE_BEFORE = re.compile(r"(?:[ \u00a0\u202f]|&nbsp;)+(?=[;:!?](?:[\s<\ue000)»\".,]|$))")
_MISSING_SPACE = re.compile(rf"(?<=[{LETTER}0-9»)])([;!?])(?=\s|$|<)")
_MISSING_COLON_SPACE = re.compile(rf"(?<=[{LETTER}»)]):(?=[ \u00a0])")
_OPEN_QUOTE = re.compile(r"«(?:[ \u00a0\u202f]|&nbsp;)*")
_CLOSE_QUOTE = re.compile(r"(?:[ \u00a0\u202f]|&nbsp;)*»")
_FRENCH = re.compile(
    rf"(?:\b(?:[lLdDnNsSjJcCmMtT]|qu|Qu|jusqu|lorsqu|puisqu)'[{LETTER}])"
    r"|[éèêàùçôîâœ«»]| [:;!?](?:\s|$)"
)
SKIP_MARK = "typography: skip-file"


def french(text: str) -> str:
    text = _APOSTROPHE.sub("’", text)
    text = _SPACE_BEFORE.sub(NNBSP, text)
    text = _MISSING_SPACE.sub(NNBSP + r"\1", text)
    text = _MISSING_COLON_SPACE.sub(NNBSP + ":", text)
    text = _OPEN_QUOTE.sub("«" + NNBSP, text)
    return _CLOSE_QUOTE.sub(NNBSP + "»", text)


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_RAW = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_VISIBLE_ATTR = re.compile(
    r"""(\b(?:title|placeholder|aria-label|alt|content|label)=")([^"]*)(")""", re.S
)


def _protect(pattern: re.Pattern[str], text: str, kept: list[str]) -> str:
    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    return pattern.sub(keep, text)


def _restore(text: str, kept: list[str]) -> str:
    while "\ue000" in text:
        text = re.sub(r"\ue000(\d+)\ue001", lambda m: kept[int(m.group(1))], text)
    return text


_FIELD = re.compile(r"\{[^{}]*\}")
_JINJA_STRING = re.compile(r'"([^"\\]*)"')


def _french_literal(match: re.Match[str]) -> str:
    body = match.group(1)
    return f'"{french(body)}"' if _FRENCH.search(body) else match.group(0)


def convert_template(source: str) -> str:
    kept: list[str] = []
    text = _protect(_JINJA, source, kept)
    kept[:] = [_JINJA_STRING.sub(_french_literal, construct) for construct in kept]
    text = _protect(_RAW, text, kept)

    def tag(match: re.Match[str]) -> str:
        converted = _VISIBLE_ATTR.sub(
            lambda m: m.group(1) + french(m.group(2)) + m.group(3), match.group(0)
        )
        kept.append(converted)
        return f"\ue000{len(kept) - 1}\ue001"

    text = _TAG.sub(tag, text)
    return _restore(french(text), kept)


def _docstring_positions(source: str) -> set[tuple[int, int]]:
    positions = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                positions.add((value.lineno, value.col_offset))
    return positions


def convert_python(source: str) -> str:
    docstrings = _docstring_positions(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits = []
    for token in tokens:
        if token.type != tokenize.STRING or token.start in docstrings:
            continue
        literal = token.string
        prefix = re.match(r"[A-Za-z]*", literal).group(0)  # type: ignore[union-attr]
        body = literal[len(prefix) :]
        if "r" in prefix.lower() or "b" in prefix.lower() or not body.startswith('"'):
            continue
        if not _FRENCH.search(body):
            continue
        # Spaces written as escapes count as the characters they stand for.
        body = body.replace("\\u202f", NNBSP).replace("\\xa0", "\u00a0")
        if "f" in prefix.lower():  # the replacement fields are code: keep them as they are
            kept: list[str] = []
            converted = prefix + _restore(french(_protect(_FIELD, body, kept)), kept)
        else:
            converted = prefix + french(body)
        if converted != literal:
            start = offsets[token.start[0] - 1] + token.start[1]
            end = offsets[token.end[0] - 1] + token.end[1]
            edits.append((start, end, converted))
    for start, end, converted in reversed(edits):
        source = source[:start] + converted + source[end:]
    return source


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    for root in (Path(a) for a in argv if not a.startswith("--")):
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            if path.suffix in (".html", ".txt") and "templates" in path.parts:
                convert = convert_template
            elif path.suffix == ".py" and "migrations" not in path.parts:
                convert = convert_python
            else:
                continue
            source = path.read_text(encoding="utf-8")
            if SKIP_MARK in source:
                continue
            result = convert(source)
            if result != source:
                changed.append(path)
                if not check:
                    path.write_text(result, encoding="utf-8")
    for path in changed:
        print(path)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
