"""Word queries executed on arrays instead of Whoosh's matchers.

Whoosh walks postings in pure Python, and the board walked them twice per search (every match
for the counts, then again to score the top page). Here, once per searcher, a term's postings
are read into NumPy arrays (document numbers, and the term's BM25F score in each document, which
depends only on the term and the document); a query is then a few vectorised operations: each
word is the sum of its forms' scores over the searched fields (a union), the words are
intersected, and the same arrays give the matching set for the counts and the top page.

Everything `SearchService._parse` and `_fuzzy` write is executed here: `And`/`Or` of `Term`,
phrases (`Sequence` of words, each a `Term` or an `Or` of a word's forms, in one field) and
`FuzzyTerm`. Scores are Whoosh's own: BM25F with its idf, average field length and stored field
lengths, times the term's boost, summed as its union and intersection matchers sum them.

- A phrase is first the intersection of its words (its candidates); only their positions are
  then compared. Whoosh's span matcher, for words in order with `slop`, accepts a document when
  each word follows the previous one by 1 to `slop` positions, and scores it as the
  intersection of its words (their terms' BM25F summed, with no boost): so do these arrays,
  with each term's positions cached as sorted `document << 32 | position` keys.
- A fuzzy term is the union of the terms near its text (`Lexicon.within`, once per searcher
  and word), scored as Whoosh's `MultiTerm.matcher` scores it: a union of the expansions times
  the boost, or the single expansion's own score, unboosted, when there is only one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.query import And, FuzzyTerm, Or, Query, Sequence, Term
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from jobboard.search import segments
from jobboard.search.lexicon import Lexicon

Array = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
# Scored postings kept per searcher: 16 bytes a posting (document number and score), so 32 MB
# holds two million postings, a 100,000-offer index's common words many times over.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024


def supports(query: Query | None) -> bool:
    """Whether `query` is made only of what the board's parsing writes: And, Or, Term,
    FuzzyTerm, and phrases (Sequence) of words in one field."""
    if query is None:
        return False
    if type(query) in (Term, FuzzyTerm):
        return True
    if type(query) is Sequence:
        return all(_word_terms(child) is not None for child in query.subqueries)
    if type(query) in (And, Or):
        return all(supports(child) for child in query.subqueries)
    return False


def _word_terms(query: Query) -> list[Term] | None:
    """The terms of one word of a phrase (a Term or an Or of Terms), None for anything else."""
    if type(query) is Term:
        return [query]
    if type(query) is Or and all(type(child) is Term for child in query.subqueries):
        return list(query.subqueries)
    return None


class Executor:
    """One searcher's postings as arrays, read on first use and kept within a byte budget.

    The raw lists (document numbers and frequencies, positions) come from each segment's
    cache in `segments`, so a new searcher after an incremental commit reads only its new
    segments; the scores, which depend on index-wide statistics, are computed here once per
    searcher and term. Whoosh is only called while holding `io`."""

    def __init__(
        self,
        searcher: Searcher,
        lengths: dict[str, Scores],
        segment_store: segments.SegmentStore,
        io: AbstractContextManager[Any],
        max_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self._searcher = searcher
        self._size = searcher.reader().doc_count_all()
        self._lengths = lengths
        self._segments = segment_store
        self._io = io
        self._max_bytes = max_bytes
        self._bytes = 0
        self._postings: OrderedDict[tuple[str, str], tuple[Array, Scores]] = OrderedDict()
        self._positions: OrderedDict[tuple[str, str], Array] = OrderedDict()
        self._expansions: dict[tuple[str, str, int, int], list[str]] = {}
        self.lexicon = Lexicon(searcher.reader(), io)
        self._lock = threading.Lock()  # the caches are shared by concurrent searches
        weighting = searcher.weighting
        self._bm25 = isinstance(weighting, BM25F)
        self._B = getattr(weighting, "B", 0.75)
        self._K1 = getattr(weighting, "K1", 1.2)
        self._field_B: dict[str, float] = getattr(weighting, "_field_B", {})

    def has_term(self, field: str, text: str) -> bool:
        with self._io:
            return (field, text) in self._searcher.reader()

    # -- postings --
    def _segment_lists(self, kind: str, field: str, text: str) -> list[tuple[Any, int]]:
        """The term's list in each segment holding it (`kind`: "tf" or "positions"), with
        the segment's document offset. Called with `io` held."""
        found = []
        for leaf, offset in segments.leaves(self._searcher.reader()):
            if (field, text) in leaf:
                read = partial(_frequencies if kind == "tf" else _position_keys, leaf, field, text)
                found.append((self._segments.posting_list(leaf, kind, field, text, read), offset))
        return found

    def _read(self, field: str, text: str) -> tuple[Array, Scores]:
        searcher = self._searcher
        with self._io:
            if (field, text) not in searcher.reader():
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
            lists = self._segment_lists("tf", field, text)
            scorable = self._bm25 and searcher.schema[field].scorable
            if scorable:
                idf = searcher.idf(field, text)
                avgfl = searcher.avg_field_length(field) or 1
        docs = np.concatenate([local + offset for (local, _tf), offset in lists])
        tf = np.concatenate([tf for (_local, tf), _offset in lists])
        if not scorable:
            return docs, tf  # WeightScorer: the posting's weight
        # whoosh.scoring.bm25, with the statistics BM25FScorer reads.
        b = self._field_B.get(field, self._B)
        k1 = self._K1
        fl = self._lengths[field][docs]
        scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        return docs, scores

    def _read_positions(self, field: str, text: str) -> Array:
        with self._io:
            if (field, text) not in self._searcher.reader():
                return np.zeros(0, dtype=np.int64)
            lists = self._segment_lists("positions", field, text)
        return np.concatenate([keys + (offset << 32) for keys, offset in lists])

    def _cached(self, cache: OrderedDict[Any, Any], key: Any, read: Any) -> Any:
        """`cache[key]`, read on a miss; every cache shares the byte budget, least recently
        used first out."""
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        found = read(*key)
        with self._lock:
            if key not in cache:
                cache[key] = found
                self._bytes += segments.nbytes(found)
                self._evict()
        return found

    def _evict(self) -> None:
        while self._bytes > self._max_bytes and len(self._postings) + len(self._positions) > 1:
            # The oldest entry of the fuller cache goes first.
            cache: OrderedDict[Any, Any] = (
                self._postings if len(self._postings) >= len(self._positions) else self._positions
            )
            _key, value = cache.popitem(last=False)
            self._bytes -= segments.nbytes(value)

    def postings(self, field: str, text: str) -> tuple[Array, Scores]:
        """The documents holding a term, ascending, with the term's BM25F score in each."""
        found: tuple[Array, Scores] = self._cached(self._postings, (field, text), self._read)
        return found

    def positions(self, field: str, text: str) -> Array:
        """The term's occurrences as sorted `document << 32 | position` keys."""
        found: Array = self._cached(self._positions, (field, text), self._read_positions)
        return found

    def expansions(self, query: FuzzyTerm) -> list[str]:
        """The terms a fuzzy term stands for, looked up once per searcher."""
        key = (
            query.fieldname,
            segments.text_of(query.text),
            int(query.maxdist),
            query.prefixlength,
        )
        found = self._expansions.get(key)
        if found is None:
            field, text, maxdist, prefix = key
            found = self.lexicon.within(field, text, maxdist, prefix)
            self._expansions[key] = found
        return found

    def terms(self, query: Query | None) -> set[str]:
        """The indexed terms a query matches (fuzzy expansions included), for highlighting."""
        if query is None:
            return set()
        if type(query) is FuzzyTerm:
            return set(self.expansions(query))
        if type(query) is Term:
            text = segments.text_of(query.text)
            return {text} if self.has_term(query.fieldname, text) else set()
        return set().union(*(self.terms(child) for child in query.subqueries))

    # -- execution --
    def _evaluate(self, query: Query) -> tuple[Mask, Scores]:
        """(documents matched, their scores) as dense arrays over every document number."""
        if type(query) is Term:
            docs, scores = self.postings(query.fieldname, segments.text_of(query.text))
            matched = np.zeros(self._size, dtype=bool)
            total = np.zeros(self._size, dtype=np.float64)
            matched[docs] = True
            total[docs] = scores * query.boost
            return matched, total
        if type(query) is FuzzyTerm:
            found = self.expansions(query)
            return self._evaluate(
                Or([Term(query.fieldname, text) for text in found], boost=query.boost)
            )
        if type(query) is Sequence:
            return self._phrase(query)
        parts = [self._evaluate(child) for child in query.subqueries]
        if not parts:  # an Or of no expansion
            return np.zeros(self._size, dtype=bool), np.zeros(self._size, dtype=np.float64)
        union = isinstance(query, Or)
        matched, total = parts[0]
        for other, scores in parts[1:]:
            matched = (matched | other) if union else (matched & other)
            total = total + scores
        if isinstance(query, And):
            total = np.where(matched, total, 0.0)
        return matched, total * query.boost

    def _phrase(self, query: Sequence) -> tuple[Mask, Scores]:
        matched, total = self._evaluate(And(query.subqueries))
        if matched.any():
            reached: Array | None = None  # where the words so far can end, as keys
            for child in query.subqueries:
                terms = _word_terms(child)
                assert terms is not None  # supports() said so
                keys = np.unique(
                    np.concatenate(
                        [self.positions(t.fieldname, segments.text_of(t.text)) for t in terms]
                    )
                )
                keys = keys[matched[keys >> 32]]  # only the candidates' occurrences
                if reached is not None:
                    follows = np.zeros(len(keys), dtype=bool)
                    for gap in range(1, query.slop + 1):
                        follows |= _contains(reached, keys - gap)
                    keys = keys[follows]
                reached = keys
                matched = np.zeros(self._size, dtype=bool)
                matched[keys >> 32] = True
        total = np.where(matched, total, 0.0)
        return matched, total * query.boost

    def matching(self, query: Query, live: Array) -> tuple[Array, Scores]:
        """The live documents matching `query`, ascending, with their scores."""
        matched, scores = self._evaluate(query)
        keep = np.zeros(self._size, dtype=bool)
        keep[live] = True
        docs = np.flatnonzero(matched & keep).astype(np.int64)
        return docs, scores[docs]


def _frequencies(leaf: Any, field: str, text: str) -> tuple[Array, Scores]:
    """A term's documents in one segment, with its frequency in each."""
    matcher = leaf.postings(field, text)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def _position_keys(leaf: Any, field: str, text: str) -> Array:
    """A term's occurrences in one segment as sorted `document << 32 | position` keys."""
    matcher = leaf.postings(field, text)
    keys: list[int] = []
    while matcher.is_active():
        high = matcher.id() << 32
        keys.extend(high | position for position in matcher.value_as("positions"))
        matcher.next()
    return np.array(keys, dtype=np.int64)


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


def _contains(sorted_keys: Array, values: Array) -> Mask:
    """Which `values` are in `sorted_keys` (ascending)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    found: Mask = sorted_keys[at] == values
    return found
