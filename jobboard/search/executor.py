"""Word queries executed on arrays instead of Whoosh's matchers.

Whoosh walks postings in pure Python, and the board walked them twice per search (every match
for the counts, then again to score the top page). Here, once per searcher, a term's postings
are read into NumPy arrays (document numbers, and the term's BM25F score in each document, which
depends only on the term and the document); a query is then a few vectorised operations: each
word is the sum of its forms' scores over the searched fields (a union), the words are
intersected, and the same arrays give the matching set for the counts and the top page.

Only what `SearchService._parse` writes for plain words is executed here: `And`/`Or` of
`Term`. Phrases (`Sequence`) and fuzzy terms go to Whoosh as before (`supports` says which).
Scores are Whoosh's own: BM25F with its idf, average field length and stored field lengths,
times the term's boost, summed as its union and intersection matchers sum them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.query import And, Or, Query, Term
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

Array = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
# Postings kept per searcher: 16 bytes a posting (document number and score), so 32 MB holds
# two million postings, a 100,000-offer index's common words many times over.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024


def supports(query: Query | None) -> bool:
    """Whether `query` is made only of And, Or and Term (what plain words parse to)."""
    if query is None:
        return False
    if isinstance(query, Term):
        return True
    if isinstance(query, And | Or) and type(query) in (And, Or):
        return all(supports(child) for child in query.subqueries)
    return False


class Executor:
    """One searcher's postings as arrays, read on first use and kept within a byte budget."""

    def __init__(self, searcher: Searcher, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._searcher = searcher
        self._size = searcher.reader().doc_count_all()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._postings: OrderedDict[tuple[str, str], tuple[Array, Scores]] = OrderedDict()
        self._lengths: dict[str, Scores] = {}
        self._lock = threading.Lock()  # the cache is shared by concurrent searches
        weighting = searcher.weighting
        self._bm25 = isinstance(weighting, BM25F)
        self._B = getattr(weighting, "B", 0.75)
        self._K1 = getattr(weighting, "K1", 1.2)
        self._field_B: dict[str, float] = getattr(weighting, "_field_B", {})

    # -- postings --
    def _field_lengths(self, field: str) -> Scores:
        lengths = self._lengths.get(field)
        if lengths is None:
            reader = self._searcher.reader()
            lengths = np.fromiter(
                (reader.doc_field_length(d, field, 0) for d in range(self._size)),
                dtype=np.float64,
                count=self._size,
            )
            self._lengths[field] = lengths
        return lengths

    def _read(self, field: str, text: str) -> tuple[Array, Scores]:
        searcher = self._searcher
        reader = searcher.reader()
        if (field, text) not in reader:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        matcher = reader.postings(field, text)
        ids: list[int] = []
        weights: list[float] = []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        docs = np.array(ids, dtype=np.int64)
        tf = np.array(weights, dtype=np.float64)
        if self._bm25 and searcher.schema[field].scorable:
            # whoosh.scoring.bm25, with the statistics BM25FScorer reads.
            idf = searcher.idf(field, text)
            avgfl = searcher.avg_field_length(field) or 1
            b = self._field_B.get(field, self._B)
            k1 = self._K1
            fl = self._field_lengths(field)[docs]
            scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        else:
            scores = tf  # WeightScorer: the posting's weight
        return docs, scores

    def postings(self, field: str, text: str) -> tuple[Array, Scores]:
        key = (field, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = self._read(field, text)
        size = found[0].nbytes + found[1].nbytes
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._bytes += size
                while self._bytes > self._max_bytes and len(self._postings) > 1:
                    _key, (docs, scores) = self._postings.popitem(last=False)
                    self._bytes -= docs.nbytes + scores.nbytes
        return found

    # -- execution --
    def _evaluate(self, query: Query) -> tuple[npt.NDArray[np.bool_], Scores]:
        """(documents matched, their scores) as dense arrays over every document number."""
        if isinstance(query, Term):
            docs, scores = self.postings(query.fieldname, _text(query.text))
            matched = np.zeros(self._size, dtype=bool)
            total = np.zeros(self._size, dtype=np.float64)
            matched[docs] = True
            total[docs] = scores * query.boost
            return matched, total
        parts = [self._evaluate(child) for child in query.subqueries]
        union = isinstance(query, Or)
        matched, total = parts[0]
        for other, scores in parts[1:]:
            matched = (matched | other) if union else (matched & other)
            total = total + scores
        if isinstance(query, And):
            total = np.where(matched, total, 0.0)
        return matched, total * query.boost

    def matching(self, query: Query, live: Array) -> tuple[Array, Scores]:
        """The live documents matching `query`, ascending, with their scores."""
        matched, scores = self._evaluate(query)
        keep = np.zeros(self._size, dtype=bool)
        keep[live] = True
        docs = np.flatnonzero(matched & keep).astype(np.int64)
        return docs, scores[docs]


def top(docs: Array, scores: Scores, end: int) -> Array:
    """The first `end` documents by score, highest first; equal scores in document order (as
    Whoosh's collector breaks ties)."""
    if end <= 0 or len(docs) == 0:
        return docs[:0]
    if len(docs) > end:
        # The `end` best by partition, then only those (and any tied with the last) sorted.
        bound = np.partition(-scores, end - 1)[end - 1]
        keep = np.flatnonzero(-scores <= bound)
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))
    return docs[order[:end]]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
