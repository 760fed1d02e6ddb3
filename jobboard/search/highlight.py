"""Highlighting with <mark>: one pass over the stored text, compared with the query's terms.

Whoosh's highlighter re-analyses the text once per field and per hit; this marks a word when
one of its indexed forms is a term the query matched, with the analyzer's own word rules. A
text's words are analysed once (where each form is), then each search only looks up its terms.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import Markup, escape

from jobboard.search.analysis import WORD_PATTERN, forms

_WORD = re.compile(WORD_PATTERN)
EXCERPT_LENGTH = 240
# The texts whose words were analysed, kept: the same offers come back search after search (a
# word typed letter by letter, the next page, the next filter), each analysed once.
ANALYSED_TEXTS = 2048


@lru_cache(maxsize=ANALYSED_TEXTS)
def _spans_by_form(text: str) -> dict[str, tuple[tuple[int, int], ...]]:
    """Each indexed form of the words of `text`, with where those words are."""
    found: dict[str, list[tuple[int, int]]] = {}
    for match in _WORD.finditer(text):
        for form in forms(match.group().lower()):
            found.setdefault(form, []).append(match.span())
    return {form: tuple(spans) for form, spans in found.items()}


def _matches(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The words of `text` having one of the forms `terms`, in order."""
    by_form = _spans_by_form(text)
    return sorted({span for term in terms for span in by_form.get(term, ())})


def mark(text: str, terms: frozenset[str]) -> Markup:
    """The whole text, escaped, with every word matching the query wrapped in <mark>."""
    return _render(text, _matches(text, terms) if terms else [], 0, len(text))


def excerpt(text: str, terms: frozenset[str], length: int = EXCERPT_LENGTH) -> Markup:
    """About `length` characters around the first match (or the start), marked."""
    spans = _matches(text, terms) if terms else []
    start = 0
    if spans and spans[0][1] > length:
        start = max(0, spans[0][0] - length // 4)
        start = text.rfind(" ", 0, start) + 1
    end = min(len(text), start + length)
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    return _render(text, spans, start, end)


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    parts = ["… " if start else ""]
    cursor = start
    for left, right in spans:
        if left < start or right > end:
            continue
        parts.append(str(escape(text[cursor:left])))
        parts.append(f"<mark>{escape(text[left:right])}</mark>")
        cursor = right
    parts.append(str(escape(text[cursor:end])))
    if end < len(text):
        parts.append(" …")
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above
