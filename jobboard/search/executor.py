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
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.compat import loads
from whoosh.formats import Positions
from whoosh.query import And, FuzzyTerm, Or, Query, Sequence, Term
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.system import _INT_SIZE  # the frequency before a posting's pickled position gaps

from jobboard.search import reads, segments
from jobboard.search.lexicon import Lexicon

Array = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
# Scored postings kept per searcher: 16 bytes a posting (document number and score), so 32 MB
# holds two million postings, a 100,000-offer index's common words many times over.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
# A phrase's candidates fewer than 1 in 8 of a word's documents: that word's positions are read
# for the candidates alone (the blocks without any skipped), not for the whole index and kept.
FEW_DOCUMENTS = 8


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
        with self._lock:
            kept = self._postings.get((field, text))
        if kept is not None:
            return len(kept[0]) > 0  # a term without postings is read as empty arrays
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

    def _read_positions_of(self, field: str, text: str, chosen: Array) -> Array:
        """The term's occurrences in the `chosen` documents only, read for them (not kept)."""
        found = []
        with self._io:
            for leaf, offset in segments.leaves(self._searcher.reader()):
                local = chosen[(chosen >= offset) & (chosen < offset + leaf.doc_count_all())]
                if len(local) and (field, text) in leaf:
                    keys = _position_keys(leaf, field, text, only=local - offset)
                    found.append(keys + (offset << 32))
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

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

    def occurrences(self, field: str, text: str, documents: Mask) -> Array:
        """The term's occurrences in `documents`, as sorted keys: from its kept positions, or,
        when these documents are few beside the term's postings, read for them alone."""
        with self._lock:
            kept = self._positions.get((field, text))
        if kept is None:
            chosen = np.flatnonzero(documents)
            if len(chosen) * FEW_DOCUMENTS < len(self.postings(field, text)[0]):
                return self._read_positions_of(field, text, chosen)
            kept = self.positions(field, text)
        return _within(kept, documents)

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
            reads.defer_if_held()  # the whole lexicon scanned: too long for the event loop
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
                # Only the candidates' occurrences, then one sorted set over the word's forms
                # (two forms of a word may share a position).
                keys = np.sort(
                    np.concatenate(
                        [
                            self.occurrences(t.fieldname, segments.text_of(t.text), matched)
                            for t in terms
                        ]
                    )
                )
                keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
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


def _w3(matcher: Any) -> bool:
    """Whoosh's own segment format, read block by block below (128 postings a block, one
    unpickling each) instead of one Python call per posting; any other matcher is walked."""
    return isinstance(matcher, W3LeafMatcher)


def _frequencies(leaf: Any, field: str, text: str) -> tuple[Array, Scores]:
    """A term's documents in one segment, with its frequency in each."""
    matcher = leaf.postings(field, text)
    if not _w3(matcher):
        ids: list[int] = []
        weights: list[float] = []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    blocks: list[Array] = []
    block_weights: list[Scores] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        blocks.append(np.asarray(matcher._ids, dtype=np.int64))
        block_weights.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    if not blocks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(blocks), np.concatenate(block_weights)


def _position_keys(leaf: Any, field: str, text: str, only: Array | None = None) -> Array:
    """A term's occurrences in one segment as sorted `document << 32 | position` keys; with
    `only` (sorted segment document numbers), just those documents' occurrences, skipping the
    blocks that hold none of them unread."""
    matcher = leaf.postings(field, text)
    if not _w3(matcher) or type(matcher.format) is not Positions:
        keys: list[int] = []
        while matcher.is_active():
            if only is None or matcher.id() in only:
                high = matcher.id() << 32
                keys.extend(high | position for position in matcher.value_as("positions"))
            matcher.next()
        return np.array(keys, dtype=np.int64)
    documents: list[int] = []
    counts: list[int] = []
    deltas: list[int] = []
    low = -1  # the previous block's last document
    while matcher.is_active():
        high = matcher._maxid
        if only is not None and _none_between(only, low, high):
            low = high
            matcher._next_block()
            continue
        matcher._read_ids()
        matcher._read_values()
        for document, value in zip(matcher._ids, matcher._values, strict=True):
            if only is not None and not _holds(only, document):
                continue
            # Positions.decode_positions without its loop: the gaps, summed below at once.
            gaps = loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")
            documents.append(document)
            counts.append(len(gaps))
            deltas.extend(gaps)
        low = high
        matcher._next_block()
    if not documents:
        return np.zeros(0, dtype=np.int64)
    sizes = np.array(counts, dtype=np.int64)
    running = np.cumsum(np.array(deltas, dtype=np.int64))
    # Each document's positions count again from 0: less the running total before it.
    starts = np.cumsum(sizes) - sizes
    before = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0)
    positions = running - np.repeat(before, sizes)
    found: Array = (np.repeat(np.array(documents, dtype=np.int64), sizes) << 32) | positions
    return found


def _none_between(sorted_values: Array, low: int, high: int) -> bool:
    """No value v with low < v <= high."""
    at = int(np.searchsorted(sorted_values, low, side="right"))
    return at == len(sorted_values) or int(sorted_values[at]) > high


def _holds(sorted_values: Array, value: int) -> bool:
    at = int(np.searchsorted(sorted_values, value))
    return at < len(sorted_values) and int(sorted_values[at]) == value


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


def first(keys: Array, end: int, then: Array | None = None) -> Array:
    """The positions of the `end` smallest `keys` in order, ties broken by `then` (if given),
    then by position: the first `end` of a stable (lex)sort, without sorting everything."""
    if end <= 0 or len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(keys) > end:
        bound = np.partition(keys, end - 1)[end - 1]
        candidates = np.flatnonzero(keys <= bound)  # ascending positions: ties stay in order
    else:
        candidates = np.arange(len(keys))
    if then is None:
        order = np.argsort(keys[candidates], kind="stable")
    else:
        order = np.lexsort((then[candidates], keys[candidates]))
    found: Array = candidates[order[:end]]
    return found


def bit_counts(bits: Array, width: int) -> list[int]:
    """How many of `bits` have each of the low `width` bits set, counted byte by byte (two
    bincounts over the documents instead of one pass per bit)."""
    counts = np.zeros(width, dtype=np.int64)
    values = bits.astype(np.uint64)
    for shift in range(0, width, 8):
        tally = np.bincount(
            ((values >> np.uint64(shift)) & np.uint64(255)).astype(np.intp), minlength=256
        )
        for bit in range(min(8, width - shift)):
            counts[shift + bit] = tally[_HAS_BIT[bit]].sum()
    return [int(c) for c in counts]


_HAS_BIT = [np.flatnonzero((np.arange(256) >> bit) & 1) for bit in range(8)]


def _within(keys: Array, documents: Mask) -> Array:
    """The sorted position `keys` of the documents set in `documents`: a gather per key when
    the documents are many, a binary search per document when they are few."""
    if len(keys) == 0:
        return keys
    chosen = np.flatnonzero(documents)
    if len(chosen) * 16 > len(keys):
        found: Array = keys[documents[keys >> 32]]
        return found
    starts = np.searchsorted(keys, chosen << 32)
    ends = np.searchsorted(keys, (chosen + 1) << 32)
    sizes = ends - starts
    total = int(sizes.sum())
    if total == 0:
        return keys[:0]
    # The ranges put end to end: each run's index is its start plus a count from 0.
    offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
    return keys[offsets + np.arange(total)]


def _contains(sorted_keys: Array, values: Array) -> Mask:
    """Which `values` are in `sorted_keys` (ascending)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    found: Mask = sorted_keys[at] == values
    return found
