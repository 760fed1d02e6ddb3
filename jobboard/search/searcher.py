"""Searching the index: query parsing that never raises, facet counts, highlights, suggestions.

Facet counts use per-searcher NumPy arrays (one facet value per document number) built when
the searcher changes, so a query's counts are a few vectorised operations instead of Whoosh's
`groupedby` (≈ 200 ms at 100,000 offers).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterator
from collections.abc import Sequence as Seq
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from itertools import count, pairwise
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from markupsafe import Markup
from whoosh.index import EmptyIndexError, FileIndex
from whoosh.query import And, FuzzyTerm, Or, Query, Sequence, Term
from whoosh.query.qcore import QueryError
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from jobboard.domain.board_query import DURATIONS, BoardQuery
from jobboard.domain.offer import THEMES, OfferKind, RemoteWork
from jobboard.search import executor, reads, segments
from jobboard.search.analysis import WORD_PATTERN, forms
from jobboard.search.highlight import excerpt, mark
from jobboard.search.schema import QUERY_FIELDS, date_number, number_date
from jobboard.search.store import IndexStore

MAX_QUERY_LENGTH = 200
_WORDS = re.compile(WORD_PATTERN)
MAX_TERMS = 12
MAX_WORD = 30  # longer "words" are noise: no fuzzy matching or suggestion for them
THEME_CODES = list(THEMES)
KIND_CODES = [k.value for k in OfferKind]
REMOTE_POSSIBLE = (RemoteWork.PARTIAL.value, RemoteWork.FULL.value)
# Numeric columns read into per-searcher arrays (filters and sorts without Whoosh queries).
NUMBER_COLUMNS = ("published", "deadline", "start", "duration_months", "min_diploma_level")
Array = npt.NDArray[np.int64]
# Per snapshot: documents whose stored fields are kept, words whose correction is kept, and
# hits (a document highlighted for the words of a search) kept.
STORED_KEPT = 4096
CORRECTIONS_KEPT = 4096
HITS_KEPT = 4096
# Per snapshot, in bytes of arrays: what the words of searches match, and what searches
# select once filtered (`_Snapshot.matches`, `_Snapshot.selections`).
MATCHES_KEPT_BYTES = 8 * 1024 * 1024
SELECTIONS_KEPT_BYTES = 8 * 1024 * 1024
# How long a snapshot found up to date is taken as such without looking (`recent_version`).
FRESH_SECONDS = 0.1
# The largest index (documents, deleted ones included) searched on the event loop when the
# snapshot holds what the search needs (`SearchService.search_held`).
HELD_DOCUMENTS = 25_000


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    kind: str = ""
    departement: str = ""
    region: str = ""
    theme: str = ""
    duration: str = ""  # a slug of board_query.DURATIONS
    max_diploma: int | None = None  # offers whose minimum level is at most this one
    remote: bool = False  # only offers allowing (partial or full) remote work
    start_before: date | None = None  # only missions starting on or before this day
    sort: str = "pertinence"  # or "date" (newest first) or "echeance" (nearest deadline)
    page: int = 1
    page_size: int = 20

    @classmethod
    def from_query(cls, query: BoardQuery, *, page_size: int = 20) -> SearchRequest:
        """The search a board query asks for (the board, alerts and the API use this one)."""
        return cls(
            q=query.q,
            kind=query.kind,
            departement=query.departement,
            region=query.region,
            theme=query.theme,
            duration=query.duration,
            max_diploma=query.diploma,
            remote=query.remote,
            start_before=query.start_before,
            sort=query.effective_sort,
            page=query.page,
            page_size=page_size,
        )

    def range_filters(self) -> list[tuple[str, int | None, int | None]]:
        """The filters on numeric columns, as (column, lowest, highest) with None unbounded."""
        found: list[tuple[str, int | None, int | None]] = []
        if self.duration:
            _, shortest, longest = DURATIONS[self.duration]
            found.append(("duration_months", shortest, longest))
        if self.max_diploma is not None:
            found.append(("min_diploma_level", None, self.max_diploma))
        if self.start_before is not None:
            found.append(("start", None, date_number(self.start_before)))
        return found


@dataclass(frozen=True)
class SimilarRequest:
    """The offer whose neighbours are wanted (it need not be in the index)."""

    offer_id: int
    kind: str
    themes: tuple[str, ...]
    departement: str
    region: str
    limit: int = 3


@dataclass
class Hit:
    id: int
    title: str
    title_html: Markup
    excerpt_html: Markup
    kind: str
    commune_name: str
    departement: str
    departement_name: str
    themes: list[str]
    deadline: Any
    duration_months: int
    min_diploma_level: int
    start_date: date | None = None
    remote: str = ""


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    fuzzy: bool = False
    suggestion: str = ""
    query_ignored: bool = False  # unbalanced quotes or syntax the search had to drop
    pages: int = 1
    page: int = 1


def _facet_filters(request: SearchRequest) -> dict[str, str]:
    """The filters that have facet counts, by facet name."""
    return {
        "kind": request.kind,
        "departement": request.departement,
        "region": request.region,
        "theme": request.theme,
    }


def _plain_terms(text: str) -> str:
    """What is left of a query once every syntax character is gone."""
    return " ".join(re.findall(r"\w+", text)[:MAX_TERMS])


KEYWORD_FIELDS = ("kind", "departement", "region", "remote")


def read_segment(leaf: Any) -> segments.SegmentArrays:
    """What the board reads from each segment (see `jobboard.search.segments`)."""
    return segments.read_segment(
        leaf,
        keyword_fields=KEYWORD_FIELDS,
        bit_fields={"themes": THEME_CODES},
        number_fields=NUMBER_COLUMNS,
        text_fields=QUERY_FIELDS,
    )


class _Facets:
    """Facet value of every document of one searcher, as arrays indexed by document number:
    its segments' arrays put end to end."""

    def __init__(self, reader: IndexReader, parts: list[tuple[segments.SegmentArrays, int]]):
        self.live = segments.live_documents(reader)
        self.codes: dict[str, list[str]] = {}
        self.values: dict[str, Array] = {}
        for name in KEYWORD_FIELDS:
            codes = sorted({code for arrays, _offset in parts for code in arrays.codes[name]})
            position = {code: i for i, code in enumerate(codes)}
            columns = []
            for arrays, _offset in parts:
                # The segment's own code numbers to the index's (-1, no value, stays -1).
                to_global = np.array(
                    [position[code] for code in arrays.codes[name]] + [-1], dtype=np.int64
                )
                columns.append(to_global[arrays.values[name]])
            self.codes[name] = codes
            self.values[name] = _joined(columns)
        self.themes = _joined([arrays.bits["themes"] for arrays, _offset in parts])
        self.numbers: dict[str, Array] = {
            name: _joined([arrays.numbers[name] for arrays, _offset in parts])
            for name in NUMBER_COLUMNS
        }
        self.lengths: dict[str, executor.Scores] = {
            name: np.concatenate([arrays.lengths[name] for arrays, _offset in parts])
            if parts
            else np.zeros(0, dtype=np.float64)
            for name in QUERY_FIELDS
        }
        self.published = self.numbers["published"]
        self.remote_possible = np.isin(
            self.values["remote"],
            [self.codes["remote"].index(c) for c in REMOTE_POSSIBLE if c in self.codes["remote"]],
        )

    def range_mask(
        self, docs: Array, name: str, lowest: int | None, highest: int | None
    ) -> npt.NDArray[np.bool_]:
        values = self.numbers[name][docs]
        keep = np.ones(len(docs), dtype=bool)
        if lowest is not None:
            keep &= values >= lowest
        if highest is not None:
            keep &= values <= highest
        return keep

    def mask(self, docs: Array, name: str, value: str) -> npt.NDArray[np.bool_]:
        if name == "theme":
            if value not in THEME_CODES:
                return np.zeros(len(docs), dtype=bool)
            selected: npt.NDArray[np.bool_] = (
                self.themes[docs] & (1 << THEME_CODES.index(value))
            ) != 0
            return selected
        codes = self.codes[name]
        if value not in codes:
            return np.zeros(len(docs), dtype=bool)
        matches: npt.NDArray[np.bool_] = self.values[name][docs] == codes.index(value)
        return matches

    def counts(self, docs: Array, name: str) -> list[tuple[str, int]]:
        """The values found among `docs` with their counts, most frequent first, then by code."""
        if name == "theme":
            bits = executor.bit_counts(self.themes[docs], len(THEME_CODES))
            found = [(code, n) for code, n in zip(THEME_CODES, bits, strict=True) if n]
            return sorted(found, key=lambda f: (-f[1], f[0]))
        codes = self.codes[name]
        tally = np.bincount(self.values[name][docs] + 1, minlength=len(codes) + 1)[1:]
        present = np.flatnonzero(tally)
        # Codes are sorted, so a stable sort by decreasing count keeps ties in code order.
        ranked = present[np.argsort(-tally[present], kind="stable")]
        return [(codes[i], int(tally[i])) for i in ranked.tolist()]


def _joined(columns: list[Array]) -> Array:
    return np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)


class IndexUnavailable(Exception):
    """No index to search yet (a `jobboard worker` is still building it)."""


_SERIALS = count(1)


class _Match(NamedTuple):
    """What a search's words match: the documents, ascending, with their scores; the query
    searched (fuzzy when nothing matched exactly) and whether part of the text was ignored."""

    docs: Array
    scores: executor.Scores | None
    query: Query | None
    fuzzy: bool
    degraded: bool


class _Selection(NamedTuple):
    """What a search selects once filtered, whatever its order and page: the documents,
    ascending, with their scores, the facet counts, and the match it comes from."""

    docs: Array
    scores: executor.Scores | None
    facets: dict[str, list[tuple[str, int]]]
    match: _Match


def _arrays_size(found: _Match | _Selection) -> int:
    return found.docs.nbytes + (0 if found.scores is None else found.scores.nbytes)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Kept(Generic[K, V]):
    """A map of what was found, bounded in bytes of arrays (`size`), the least recently used
    first out; shared by the searches of a snapshot, in threads and on the event loop.

    What is not kept yet is found by one search at a time: the live search sends the same
    words in several orders and kinds at once, and each would read the same postings, one
    after the other through the snapshot's lock. The others wait for its answer, in their
    threads; on the event loop, a search never waits (`reads.defer_if_held`)."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._size = size
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._finding: dict[K, reads.Finding[V]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K, find: Callable[[], V]) -> V:
        """`find()`, kept under `key`; callers must not modify it."""
        while True:
            with self._lock:
                found = self._kept.get(key)
                if found is not None:
                    self._kept.move_to_end(key)
                    return found
                finding = self._finding.get(key)
                if finding is None:
                    finding = self._finding[key] = reads.Finding()
                    break  # this search finds it
            reads.defer_if_held(finding)
            found = finding.wait()
            if found is not None:
                return found
            # It failed (refused on the event loop, or an error): look again, find it here.
        try:
            found = find()
        except BaseException:
            with self._lock:
                del self._finding[key]
            finding.finish(None)
            raise
        with self._lock:
            del self._finding[key]
            self._keep(key, found)
        finding.finish(found)
        return found

    def _keep(self, key: K, found: V) -> None:
        size = self._size(found)
        if size <= self.max_bytes:
            self._kept[key] = found
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, old = self._kept.popitem(last=False)
                self._bytes -= self._size(old)


class _Snapshot:
    """One searcher of one index state and the arrays read from it, shared read-only by
    concurrent searches. Whoosh's files are read with seek-then-read on shared file objects,
    so every Whoosh call goes through `io` (one at a time); the array work, highlighting and
    the rest of a search run concurrently. Closed once replaced and no search uses it."""

    def __init__(self, index: FileIndex, generation: str | None, store: segments.SegmentStore):
        self.generation = generation
        self.serial = next(_SERIALS)  # tells this index state from every other one
        self.searcher: Searcher = index.searcher()
        self.io = reads.Reads()
        reader = self.searcher.reader()
        self.documents = reader.doc_count_all()
        self.facets = _Facets(reader, store.arrays(reader))
        self.executor = executor.Executor(self.searcher, self.facets.lengths, store, self.io)
        self._users = 0
        self._retired = False
        self._state = threading.Lock()
        self._checked = (-FRESH_SECONDS, -1)  # (time.monotonic(), commits): never yet
        self._stored = lru_cache(maxsize=STORED_KEPT)(self._read_stored)
        self._correction = lru_cache(maxsize=CORRECTIONS_KEPT)(self._correct)
        self._hits = lru_cache(maxsize=HITS_KEPT)(self._make_hit)
        # What search texts match, and what searches select once filtered: the same words
        # are searched again in each order, kind of offer and page, and a search the
        # snapshot holds can then answer on the event loop.
        self.matches: _Kept[str, _Match] = _Kept(MATCHES_KEPT_BYTES, _arrays_size)
        self.selections: _Kept[SearchRequest, _Selection] = _Kept(
            SELECTIONS_KEPT_BYTES, _arrays_size
        )

    def is_current(self, generation: str | None) -> bool:
        if generation != self.generation:
            return False
        with self.io:
            # Not Searcher.refresh(): it reuses segment readers by segment id, and a commit
            # that only deletes documents keeps the id, so the deletions went unseen (checked
            # on whoosh-reloaded 2.7.5). A new snapshot reads the latest table of contents.
            return bool(self.searcher.up_to_date())

    def document_number(self, offer_id: int) -> int | None:
        with self.io:
            found: int | None = self.searcher.document_number(id=str(offer_id))
        return found

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, read once per snapshot (a snapshot never changes):
        searches typed letter by letter show the same offers again and again, and Whoosh
        unpickles them at each read. Callers must not modify the dict."""
        return self._stored(docnum)

    def _read_stored(self, docnum: int) -> dict[str, Any]:
        with self.io:
            found: dict[str, Any] = self.searcher.stored_fields(docnum)
        return found

    def hit(self, docnum: int, terms: frozenset[str]) -> Hit:
        """A document as a result, its title and excerpt highlighted for `terms`, made once per
        snapshot: the same words in another order, kind or page show the same offers again.
        Callers must not modify it."""
        return self._hits(docnum, terms)

    def _make_hit(self, docnum: int, terms: frozenset[str]) -> Hit:
        return _hit(self.stored_fields(docnum), terms)

    def correction(self, word: str) -> str:
        """The « Vouliez-vous dire » word for one lower-case word ("" when it is a known word
        or nothing is near), once per snapshot and word."""
        return self._correction(word)

    def _correct(self, word: str) -> str:
        if self.executor.has_term("spell", word):
            return ""
        return self.executor.lexicon.suggest("spell", word, maxdist=2) or ""

    def checked(self, commits: int) -> None:
        """Found up to date just now, after `commits` commits by this process."""
        self._checked = (time.monotonic(), commits)

    def recently_checked(self, commits: int) -> bool:
        at, seen = self._checked
        return seen == commits and time.monotonic() - at < FRESH_SECONDS

    def enter(self) -> bool:
        with self._state:
            if self._retired:
                return False
            self._users += 1
            return True

    def leave(self) -> None:
        with self._state:
            self._users -= 1
            closing = self._retired and self._users == 0
        if closing:
            self.searcher.close()

    def retire(self) -> None:
        with self._state:
            self._retired = True
            closing = self._users == 0
        if closing:
            self.searcher.close()


class SearchService:
    """Searches over a snapshot of the index, replaced when the index changed.

    A search takes the current snapshot and runs without holding any service-wide lock.
    When the index changed, the first search to see it builds the next snapshot (reading
    only the new segments: `jobboard.search.segments`) and answers from it; searches that
    arrive meanwhile keep answering from the previous one instead of waiting."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._segments = segments.SegmentStore(read_segment)
        self._snapshot: _Snapshot | None = None
        self._index: FileIndex | None = None
        self._swap = threading.Lock()  # guards _snapshot and _index
        self._building = threading.Lock()  # one new snapshot at a time

    # -- snapshot life cycle --
    @contextmanager
    def snapshot(self, *, recent: bool = True) -> Iterator[_Snapshot]:
        """The snapshot to search, up to date unless another search is building the next one.
        One found up to date less than FRESH_SECONDS ago is taken without looking again (as
        `recent_version`), unless `recent` is false (the health check): the look lists the
        index's directory, through the snapshot's lock that every search's reads go through."""
        while True:
            snap = (self._recent_snapshot() if recent else None) or self._fresh()
            if snap.enter():
                break  # else it was replaced between the two lines: take the new one
        try:
            yield snap
        finally:
            snap.leave()

    def _fresh(self) -> _Snapshot:
        commits = self.store.commits()
        generation = self.store.generation()
        current = self._snapshot
        if current is not None and current.is_current(generation):
            current.checked(commits)
            return current
        if current is not None and not self._building.acquire(blocking=False):
            return current  # another search is building the next snapshot
        if current is None:
            self._building.acquire()
        try:
            current = self._snapshot
            generation = self.store.generation()
            if current is not None and current.is_current(generation):
                return current  # built by the search that held the lock
            same_index = current is not None and current.generation == generation
            built = self._build(generation, same_index=same_index)
            built.checked(commits)
            with self._swap:
                previous, self._snapshot = self._snapshot, built
            if previous is not None:
                previous.retire()
            return built
        finally:
            self._building.release()

    def _build(self, generation: str | None, *, same_index: bool) -> _Snapshot:
        if not same_index or self._index is None:
            try:
                self._index = self.store.open()
            except (OSError, EmptyIndexError) as exc:
                raise IndexUnavailable(str(self.store.current)) from exc
        return _Snapshot(self._index, generation, self._segments)

    def version(self) -> int:
        """Blocking: a number that changes whenever the index does (a page rendered from one
        snapshot is valid as long as this stays the same)."""
        return self._fresh().serial

    def recent_version(self) -> int | None:
        """Never blocks (no file is looked at): `version()` as found less than
        FRESH_SECONDS ago, when nothing was committed by this process since; None when the
        index has to be looked at again, from a thread.

        A page kept for visitors answers in well under a millisecond; handing the freshness
        check to a worker thread cost more than the page itself. A commit by this process
        (its indexer, a rebuild) shows at once; one by another process of the host within
        FRESH_SECONDS, far inside the second an approved offer has to become findable."""
        current = self._recent_snapshot()
        return None if current is None else current.serial

    def _recent_snapshot(self) -> _Snapshot | None:
        """The current snapshot when it was found up to date less than FRESH_SECONDS ago and
        nothing was committed by this process since; None when it must be looked at."""
        current = self._snapshot
        if current is None or not current.recently_checked(self.store.commits()):
            return None
        return current

    def close(self) -> None:
        with self._swap:
            previous, self._snapshot = self._snapshot, None
        if previous is not None:
            previous.retire()

    @staticmethod
    def _parse(text: str) -> tuple[Query | None, bool]:
        """Words (all required) and "quoted phrases"; any other syntax is plain text.

        Each word matches either of its indexed forms in any searched field; a phrase
        matches its words' forms in sequence within one field. Returns the query (None
        when nothing searchable is left) and whether unbalanced quotes were ignored.
        """
        degraded = text.count('"') % 2 == 1
        if degraded:
            text = text.replace('"', " ")
        parts: list[Query] = []
        for index, segment in enumerate(text.split('"')):
            words = [w for w in _WORDS.findall(segment.lower())[:MAX_TERMS] if len(w) <= MAX_WORD]
            kept = [(i, f) for i, f in enumerate(forms(w) for w in words) if f]
            word_forms = [f for _, f in kept]
            if not word_forms:
                continue
            if index % 2 and len(word_forms) > 1:  # inside quotes
                # Stop words are not indexed but keep their place: « maison de santé » has
                # one position between its two indexed words.
                slop = 1 + max(b - a - 1 for (a, _), (b, _) in pairwise(kept))
                parts.append(
                    Or(
                        [
                            Sequence(
                                [Or([Term(name, f) for f in fs]) for fs in word_forms], slop=slop
                            )
                            for name in QUERY_FIELDS
                        ]
                    )
                )
                continue
            parts.extend(
                Or(
                    [
                        Term(name, form, boost=boost)
                        for name, boost in QUERY_FIELDS.items()
                        for form in fs
                    ]
                )
                for fs in word_forms
            )
        if not parts:
            return None, degraded
        return (parts[0] if len(parts) == 1 else And(parts)), degraded

    @staticmethod
    def _fuzzy(text: str) -> Query | None:
        """Each word may be off by one or two letters (prefix kept), in every searched field."""
        words = [w for w in _WORDS.findall(text.lower())[:MAX_TERMS] if 4 <= len(w) <= MAX_WORD]
        parts: list[Query] = []
        for word in words:
            word_forms = forms(word)
            if not word_forms:
                continue
            # One typo in a short word, two in a long one; the first two letters are kept.
            distance = 1 if len(word) <= 7 else 2
            parts.append(
                Or(
                    [
                        FuzzyTerm(name, form, maxdist=distance, prefixlength=2, boost=boost)
                        for name, boost in QUERY_FIELDS.items()
                        for form in word_forms
                    ]
                )
            )
        return And(parts) if parts else None

    def _suggest(self, snap: _Snapshot, text: str) -> str:
        words = [w for w in re.findall(r"\w+", text)[:MAX_TERMS] if len(w) <= MAX_WORD]
        corrected = []
        for word in words:
            lower = word.lower()
            corrected.append((len(lower) >= 3 and snap.correction(lower)) or word)
        suggestion = " ".join(corrected)
        return suggestion if suggestion.lower() != " ".join(words).lower() else ""

    # -- the search itself (blocking: call it from a worker thread) --
    def search(self, request: SearchRequest) -> SearchResult:
        """Blocking: run it in a thread (or try `search_held` first)."""
        with self.snapshot() as snap:
            return self._search_in(snap, request)

    def search_held(self, request: SearchRequest) -> SearchResult | reads.Finding[Any] | None:
        """Never blocks: the search as `search` answers it, when the current snapshot was found
        up to date less than FRESH_SECONDS ago (as `recent_version`) and holds everything the
        search needs; None when it must be run by `search`, in a thread (see
        `jobboard.search.reads`); the `Finding` of another search when that one is reading
        what this one needs: once it is done, try again. Over a large index every search goes
        to the thread: its arrays are long enough (a phrase at 100,000 offers: 26 ms at the
        p95) that the event loop must not wait for one."""
        current = self._recent_snapshot()
        if current is None or current.documents > HELD_DOCUMENTS or not current.enter():
            return None
        try:
            with reads.held_only():
                return self._search_in(current, request)
        except reads.NotHeld as refused:
            return refused.waiting
        finally:
            current.leave()

    def _search_in(self, snap: _Snapshot, request: SearchRequest) -> SearchResult:
        request = replace(request, q=request.q[:MAX_QUERY_LENGTH])
        try:
            return self._search(snap, request)
        except QueryError:
            # Raised while matching, not parsing (e.g. a phrase on a field without
            # positions): the plain terms of the query still make a search.
            plain = replace(request, q=_plain_terms(request.q))
            return replace(self._search(snap, plain), query_ignored=True)

    def _search(self, snap: _Snapshot, request: SearchRequest) -> SearchResult:
        # The same selection in every order and page.
        unordered = replace(request, sort="", page=1, page_size=0)
        selection = snap.selections.get(unordered, lambda: self._selection(snap, request))
        selected, query, fuzzy = selection.docs, selection.match.query, selection.match.fuzzy
        total = len(selected)
        pages = max(1, -(-total // request.page_size))
        page = min(request.page, pages)
        start = (page - 1) * request.page_size
        if selection.scores is not None and request.sort == "pertinence":
            # Scored on arrays already: the page is the best of the selected documents.
            end = start + request.page_size
            ranked = executor.top(selected, selection.scores, end)[start:end].tolist()
            terms = self._terms(snap, query)
            hits = [snap.hit(d, terms) for d in ranked]
        else:
            hits = self._page(snap, query, selected, request, start)
        suggestion = ""
        if request.q.strip() and (total == 0 or fuzzy):
            suggestion = self._suggest(snap, request.q)
        return SearchResult(
            hits=hits,
            total=total,
            facets=selection.facets,
            fuzzy=fuzzy,
            suggestion=suggestion,
            query_ignored=selection.match.degraded,
            pages=pages,
            page=page,
        )

    def _selection(self, snap: _Snapshot, request: SearchRequest) -> _Selection:
        """The documents a search selects, their scores, and each facet's counts (each facet
        counted with the other filters only)."""
        docs, scores, masks, match = self._select(snap, request)
        counts = {}
        for name in _facet_filters(request):
            keep = np.ones(len(docs), dtype=bool)
            for other, mask in masks.items():
                if other != name:
                    keep &= mask
            counts[name] = snap.facets.counts(docs[keep], name)
        keep = np.ones(len(docs), dtype=bool)
        for mask in masks.values():
            keep &= mask
        return _Selection(docs[keep], None if scores is None else scores[keep], counts, match)

    def _select(
        self,
        snap: _Snapshot,
        request: SearchRequest,
        within: Array | None = None,
    ) -> tuple[Array, executor.Scores | None, dict[str, npt.NDArray[np.bool_]], _Match]:
        """The documents the query matches (fuzzily when nothing matches exactly, over the
        whole index) and one mask per filter. `within` keeps only those documents, after the
        fuzzy decision: a restricted search answers as the board does, only for them."""
        facets = snap.facets
        if request.q.strip():
            match = snap.matches.get(request.q, lambda: self._match(snap, request.q))
        else:
            match = _Match(facets.live, None, None, False, False)
        docs, scores = match.docs, match.scores
        if within is not None:
            inside = np.isin(docs, within)
            docs = docs[inside]
            scores = None if scores is None else scores[inside]
        masks = {
            name: facets.mask(docs, name, value)
            for name, value in _facet_filters(request).items()
            if value
        }
        # Filters without facet counts narrow every facet's counts.
        for column, lowest, highest in request.range_filters():
            masks[column] = facets.range_mask(docs, column, lowest, highest)
        if request.remote:
            masks["remote"] = facets.remote_possible[docs]
        return docs, scores, masks, match

    # -- alerts: many searches restricted to a few offers (blocking too) --
    def matching_among(
        self, requests: Seq[SearchRequest], offer_ids: Collection[int]
    ) -> list[set[int]]:
        """For each request, the offers among `offer_ids` the board lists for it: the board's
        own matching and filters, restricted to these offers (the new ones of an alert run).
        Offers not in the index (no longer visible) match nothing."""
        with self.snapshot() as snap:
            ids_of: dict[int, int] = {}
            for offer_id in offer_ids:
                docnum = snap.document_number(offer_id)
                if docnum is not None:
                    ids_of[docnum] = offer_id
            within = np.array(sorted(ids_of), dtype=np.int64)
            found: list[set[int]] = []
            for request in requests:
                request = replace(request, q=request.q[:MAX_QUERY_LENGTH])
                if not len(within):
                    found.append(set())
                    continue
                try:
                    selected = self._selected(snap, request, within)
                except QueryError:
                    plain = replace(request, q=_plain_terms(request.q))
                    selected = self._selected(snap, plain, within)
                found.append({ids_of[int(d)] for d in selected})
            return found

    def _selected(self, snap: _Snapshot, request: SearchRequest, within: Array) -> Array:
        docs, _scores, masks, *_ = self._select(snap, request, within)
        keep = np.ones(len(docs), dtype=bool)
        for mask in masks.values():
            keep &= mask
        selected: Array = docs[keep]
        return selected

    def _match(self, snap: _Snapshot, text: str) -> _Match:
        """What the words of `text` match, fuzzily when nothing matches exactly."""
        query, degraded = self._parse(text)
        docs, scores = self._matching(snap, query)
        if query is not None and len(docs) == 0:
            fuzzy_query = self._fuzzy(text)
            if fuzzy_query is not None:
                fuzzy_docs, fuzzy_scores = self._matching(snap, fuzzy_query)
                if len(fuzzy_docs):
                    return _Match(fuzzy_docs, fuzzy_scores, fuzzy_query, True, degraded)
        return _Match(docs, scores, query, False, degraded)

    def _matching(
        self, snap: _Snapshot, query: Query | None
    ) -> tuple[Array, executor.Scores | None]:
        """The live documents matching `query`, ascending, with their scores (None for no
        query: every document, in no particular order of relevance)."""
        if query is None:
            return snap.facets.live, None
        return snap.executor.matching(query, snap.facets.live)

    @staticmethod
    def _terms(snap: _Snapshot, query: Query | None) -> frozenset[str]:
        """The indexed forms a query matches, fuzzy expansions included."""
        return frozenset(snap.executor.terms(query))

    def _page(
        self,
        snap: _Snapshot,
        query: Query | None,
        selected: Array,
        request: SearchRequest,
        start: int,
    ) -> list[Hit]:
        """A page in date order (newest first) or deadline order, from the arrays."""
        end = start + request.page_size
        terms = self._terms(snap, query)
        facets = snap.facets
        published = facets.published[selected]
        if request.sort == "echeance":
            # Nearest deadline first, the newest first among offers closing the same day.
            order = executor.first(facets.numbers["deadline"][selected], end, then=-published)
        else:
            # Newest first: the page comes from the published-date array, no scoring needed.
            order = executor.first(-published, end)
        docnums = selected[order][start:end].tolist()
        return [snap.hit(d, terms) for d in docnums]

    # -- similar offers (blocking too) --
    def similar(self, request: SimilarRequest) -> list[Hit]:
        """Offers of the same kind or sharing a theme, nearest first: same département, then
        same région, then anywhere; more in common ranks higher, then the newest. The offer
        itself is left out (it may be absent from the index: expired or closed)."""
        with self.snapshot() as snap:
            return self._similar(snap, request)

    @staticmethod
    def _similar(snap: _Snapshot, request: SimilarRequest) -> list[Hit]:
        facets = snap.facets
        docs = facets.live
        if len(docs) == 0 or request.limit <= 0:
            return []
        own = snap.document_number(request.offer_id)
        if own is not None:
            docs = docs[docs != own]
        same_kind = facets.mask(docs, "kind", request.kind)
        bits = 0
        for theme in request.themes:
            if theme in THEME_CODES:
                bits |= 1 << THEME_CODES.index(theme)
        shared = facets.themes[docs] & bits
        common = np.zeros(len(docs), dtype=np.int64)
        for bit in range(len(THEME_CODES)):
            common += (shared >> bit) & 1
        related = same_kind | (common > 0)
        score = (
            2 * same_kind.astype(np.int64)
            + common
            + 6 * facets.mask(docs, "departement", request.departement).astype(np.int64)
            + 3 * facets.mask(docs, "region", request.region).astype(np.int64)
        )
        docs, score = docs[related], score[related]
        # Highest score first, the newest among equals (lexsort: last key is the primary one).
        order = np.lexsort((-facets.published[docs], -score))
        return [snap.hit(int(d), frozenset()) for d in docs[order][: request.limit]]


def _hit(stored: dict[str, Any], terms: frozenset[str]) -> Hit:
    summary = stored.get("summary", "")
    return Hit(
        id=int(stored["id"]),
        title=stored["title"],
        title_html=mark(stored["title"], terms),
        excerpt_html=excerpt(summary, terms),
        kind=stored["kind"],
        commune_name=stored["commune_name"],
        departement=stored["departement"],
        departement_name=stored["departement_name"],
        themes=[t for t in stored["themes"].split(",") if t],
        deadline=number_date(stored["deadline"]),
        duration_months=stored["duration_months"],
        min_diploma_level=stored["min_diploma_level"],
        start_date=number_date(stored["start"]) if stored.get("start") else None,
        remote=stored.get("remote", ""),
    )
