"""A field's vocabulary, read once per searcher, for fuzzy expansion and « Vouliez-vous dire ».

Whoosh's multi-segment reader finds the terms near a word by computing, in Python, the edit
distance to every term sharing its prefix (`IndexReader.terms_within`), and its spelling
corrector does it with no prefix at all, over the whole vocabulary, for every word of every
query: three quarters of a typo's search time. Here each field's terms are read once into a
sorted list and compared with RapidFuzz's compiled optimal-string-alignment distance, which is
the distance Whoosh uses (`whoosh.support.levenshtein.damerau_levenshtein`: insertions,
deletions, substitutions and adjacent transpositions), so the same terms come back.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from contextlib import AbstractContextManager
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh.reading import IndexReader

from jobboard.search.segments import text_of

# A fuzzy word expands to at most this many terms (the nearest first): a short prefix in a
# large vocabulary must not turn one word into a union of thousands of posting lists.
MAX_EXPANSIONS = 64


class Lexicon:
    """The sorted terms of each field of one reader, loaded on first use."""

    def __init__(self, reader: IndexReader, io: AbstractContextManager[Any]) -> None:
        self._reader = reader
        self._io = io  # held while Whoosh reads
        self._terms: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def terms(self, field: str) -> list[str]:
        found = self._terms.get(field)
        if found is None:
            with self._lock:
                found = self._terms.get(field)
                if found is None:
                    with self._io:
                        found = [text_of(t) for t in self._reader.lexicon(field)]
                    self._terms[field] = found
        return found

    def within(self, field: str, text: str, maxdist: int, prefix: int = 0) -> list[str]:
        """The terms of `field` at most `maxdist` edits from `text` that share its first
        `prefix` letters, nearest first then in term order, at most MAX_EXPANSIONS."""
        terms = self.terms(field)
        start = text[:prefix]
        if start:
            terms = terms[bisect_left(terms, start) : bisect_left(terms, start + "\U0010ffff")]
        found = process.extract(text, terms, scorer=OSA.distance, score_cutoff=maxdist, limit=None)
        found.sort(key=lambda match: (match[1], match[2]))
        return [term for term, _distance, _index in found[:MAX_EXPANSIONS]]

    def suggest(self, field: str, word: str, maxdist: int = 2) -> str | None:
        """The correction Whoosh's `ReaderCorrector.suggest(word, limit=1, maxdist)` gives: of
        the terms within `maxdist` edits, the most frequent (whatever the distance), the
        greatest in term order among equally frequent ones."""
        candidates = process.extract(
            word, self.terms(field), scorer=OSA.distance, score_cutoff=maxdist, limit=None
        )
        frequency = self._reader.frequency
        with self._io:
            best = max(
                ((frequency(field, term) or 1, term) for term, _distance, _index in candidates),
                default=None,
            )
        return None if best is None else best[1]
