"""Snapshots of the index: per-segment arrays reused after a commit, deletions seen, searches
that run concurrently and keep answering while the next snapshot is built."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jobboard.search.schema import document
from jobboard.search.searcher import THEME_CODES, SearchRequest, SearchResult, SearchService
from jobboard.search.store import IndexStore

THEMES = ["patrimoine", "mobilite", "habitat"]  # codes of THEME_CODES
WORDS = ["patrimoine", "gare", "halles", "remparts", "vélo", "bastide", "lavoir"]


def _document(number: int, word: str = "", **changes: Any) -> dict[str, Any]:
    word = word or WORDS[number % len(WORDS)]
    fields: dict[str, Any] = dict(
        offer_id=number,
        title=f"Chargé de mission {word} n° {number}",
        place=f"Commune {number % 5} Lot",
        body=f"La commune cherche un chargé de mission {word}. " * (1 + number % 3),
        summary=f"La commune cherche un chargé de mission {word}.",
        kind="vta" if number % 2 else "chef_de_projet",
        departement=f"{10 + number % 4}",
        region=f"{20 + number % 3}",
        themes=THEMES[: 1 + number % 3],
        published=1_700_000_000 + number,
        deadline=date(2027, 1, 1 + number % 28),
        start_date=date(2027, 2, 1 + number % 28),
        remote="partial" if number % 3 == 0 else "none",
        commune_name=f"Commune {number % 5}",
        departement_name="Lot",
        duration_months=12 + number % 7,
        min_diploma_level=5 + number % 3,
    )
    return document(**(fields | changes))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SearchService]:
    store = IndexStore(tmp_path / "index")
    store.rebuild(_document(n) for n in range(1, 61))
    found = SearchService(store)
    yield found
    found.close()


def _ids(service: SearchService, q: str = "", **changes: Any) -> list[int]:
    request = SearchRequest(q=q, page_size=100, sort="pertinence" if q else "date", **changes)
    return [hit.id for hit in service.search(request).hits]


def _segment_ids(service: SearchService) -> set[str]:
    with service.snapshot() as snap:
        reader = snap.searcher.reader()
        leaves = [reader] if reader.is_atomic() else [r for r, _ in reader.leaf_readers()]
        return {str(leaf.segment().segment_id()) for leaf in leaves}


def test_an_added_offer_is_found_reading_only_the_new_segment(service: SearchService) -> None:
    assert 61 not in _ids(service, "halles")
    before, read = _segment_ids(service), service._segments.segments_read
    service.store.apply([_document(61, "halles")], deleted_ids=[])
    assert 61 in _ids(service, "halles")
    after = _segment_ids(service)
    assert before < after  # the old segment is still there, one was added
    assert service._segments.segments_read - read == len(after - before) == 1


def test_a_deletion_only_commit_is_seen(service: SearchService) -> None:
    assert 9 in _ids(service, "halles")
    read = service._segments.segments_read
    service.store.apply([], deleted_ids=["9"])
    assert 9 not in _ids(service, "halles")
    assert 9 not in _ids(service)
    # The segment keeps its id and its arrays: only the live documents changed.
    assert service._segments.segments_read == read


def test_arrays_after_commits_are_those_of_a_fresh_read(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search import store as store_module

    # The 60 offers' segment stays (as a large one would), the commits' small ones merge.
    monkeypatch.setattr(store_module, "SMALL_SEGMENT", 50)
    service.search(SearchRequest())
    for number in range(61, 66):
        service.store.apply([_document(number)], deleted_ids=[str(number - 40)])
        service.search(SearchRequest(q="patrimoine"))
    # Values no earlier segment has: the segment's own code numbers differ from the index's.
    novel = _document(99, "lavoir", departement="01", region="01", remote="full")
    service.store.apply([_document(3, "gare"), novel], deleted_ids=["5"])
    fresh = SearchService(service.store)
    try:
        with service.snapshot() as kept, fresh.snapshot() as read:
            assert len(kept.facets.live) == len(read.facets.live) == 60 + 5 + 1 - 6
            live = read.facets.live
            assert kept.facets.live.tolist() == live.tolist()
            for docnum in live.tolist():  # each live document's values are its stored ones
                stored = kept.stored_fields(docnum)
                for name, values in kept.facets.values.items():
                    assert kept.facets.codes[name][values[docnum]] == stored[name], name
                themes = [
                    c for i, c in enumerate(THEME_CODES) if kept.facets.themes[docnum] >> i & 1
                ]
                assert themes == [c for c in THEME_CODES if c in stored["themes"].split(",")]
                for name, numbers in kept.facets.numbers.items():
                    assert numbers[docnum] == stored[name], name
            for name, lengths in read.facets.lengths.items():
                assert np.array_equal(kept.facets.lengths[name][live], lengths[live]), name
            assert kept.searcher.reader().is_atomic() is False  # several segments
        for q in ["", "patrimoine", "gare lavoir", '"chargé de mission"', "lavoire"]:
            for changes in [{}, {"kind": "vta"}, {"theme": "habitat"}, {"remote": True}]:
                request = SearchRequest(q=q, page_size=100, **changes)  # type: ignore[arg-type]
                ours, theirs = service.search(request), fresh.search(request)
                assert [h.id for h in ours.hits] == [h.id for h in theirs.hits], (q, changes)
                assert ours.facets == theirs.facets, (q, changes)
    finally:
        fresh.close()


def test_concurrent_searches_answer_as_sequential_ones(service: SearchService) -> None:
    requests = [
        SearchRequest(q=q, kind=kind)
        for q in ["", "patrimoine", "gare", '"mission vélo"', "bastid", "remparts lavoir"]
        for kind in ["", "vta"]
    ]
    expected = [([h.id for h in r.hits], r.total) for r in map(service.search, requests)]
    service.store.apply([_document(70, "gare")], deleted_ids=["2"])  # a new snapshot to build
    expected_after = [([h.id for h in r.hits], r.total) for r in map(service.search, requests)]
    service.store.apply([], deleted_ids=["70"])
    service.store.apply([_document(70, "gare")], deleted_ids=[])
    found: list[Any] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                for request in requests:
                    result = service.search(request)
                    found.append(([h.id for h in result.hits], result.total))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(found) == 6 * 10 * len(requests)
    assert expected != expected_after
    assert set(map(repr, found)) <= set(map(repr, expected_after))


def test_searches_during_a_rebuild_answer_from_the_previous_snapshot(
    service: SearchService,
) -> None:
    assert 80 not in _ids(service, "halles")
    service.store.apply([_document(80, "halles")], deleted_ids=[])
    held, searched = threading.Event(), threading.Event()

    def build_elsewhere() -> None:  # another search building the next snapshot
        with service._building:
            held.set()
            searched.wait(timeout=30)  # a search that waited for it would wait this long

    builder = threading.Thread(target=build_elsewhere)
    builder.start()
    held.wait()
    found = _ids(service, "halles")
    searched.set()
    builder.join()
    assert 80 not in found  # answered from the previous snapshot, without waiting
    assert 80 in _ids(service, "halles")


def test_phrases_over_several_segments_match_whoosh(service: SearchService) -> None:
    service.store.apply([_document(n, "halles") for n in (101, 102)], deleted_ids=["9"])
    service.store.apply([_document(103, "halles")], deleted_ids=[])
    for q in ['"mission halles"', '"chargé de mission"', '"cherche un chargé"']:
        with service.snapshot() as snap:
            query = service._parse(q)[0]
            assert query is not None
            theirs = {int(hit["id"]) for hit in snap.searcher.search(query, limit=None)}
        assert set(_ids(service, q)) == theirs, q
        assert {101, 102, 103} <= theirs or "halles" not in q


def test_a_snapshot_in_use_is_closed_when_its_last_search_ends(service: SearchService) -> None:
    service.search(SearchRequest())
    with service.snapshot() as snap:
        service.store.apply([_document(90)], deleted_ids=[])
        with service.snapshot() as newer:
            assert newer is not snap
        service.close()
        assert snap.stored_fields(0)["id"]  # still readable: a search holds it
        assert not snap.searcher.reader().is_closed
    assert snap.searcher.reader().is_closed
    assert newer.searcher.reader().is_closed


def test_the_board_s_writer_writes_what_whoosh_s_writes(tmp_path: Path) -> None:
    """The same documents through Whoosh's own writer and the board's (field lengths read
    once per field): the same terms, postings, lengths and BM25 statistics."""
    from whoosh import index

    from jobboard.search.schema import build_schema
    from jobboard.search.store import _writer

    indexes = []
    for name, make in (("whoosh", lambda ix: ix.writer()), ("board", _writer)):
        (tmp_path / name).mkdir()
        ix = index.create_in(str(tmp_path / name), build_schema())
        writer = make(ix)
        for number in range(1, 40):
            writer.add_document(**_document(number))
        writer.commit()
        writer = make(ix)  # a second segment, then both merged into one
        for number in range(40, 50):
            writer.add_document(**_document(number))
        writer.commit(optimize=True)
        indexes.append(ix)
    with indexes[0].reader() as theirs, indexes[1].reader() as ours:
        terms = list(theirs.all_terms())
        assert terms == list(ours.all_terms()) and len(terms) > 100
        for field, text in terms:
            if theirs.schema[field].format.supports("positions"):
                mine, other = ours.postings(field, text), theirs.postings(field, text)
                assert list(mine.items_as("positions")) == list(other.items_as("positions"))
            assert list(ours.postings(field, text).items_as("weight")) == list(
                theirs.postings(field, text).items_as("weight")
            )
        for field in ("title", "place", "body"):
            assert ours.field_length(field) == theirs.field_length(field)
            for docnum in range(ours.doc_count_all()):
                assert ours.doc_field_length(docnum, field) == theirs.doc_field_length(
                    docnum, field
                )
        # The lengths kept with each term, which block-max scoring reads.
        for field, text in terms:
            if field in ("title", "place", "body"):
                mine, other = ours.term_info(field, text), theirs.term_info(field, text)
                assert (mine.min_length(), mine.max_length()) == (
                    other.min_length(),
                    other.max_length(),
                ), (field, text)


def test_an_incremental_commit_merges_only_small_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild leaves its chunks as segments; an approval's commit afterwards must not merge
    them (Whoosh's own policy merged a 100,000-offer index in 203 s): only the segments smaller
    than SMALL_SEGMENT are merged, into the commit's new segment."""
    from whoosh import fields, index

    from jobboard.search import store as store_module

    monkeypatch.setattr(store_module, "SMALL_SEGMENT", 3)
    ix = index.create_in(str(tmp_path), fields.Schema(id=fields.ID(stored=True, unique=True)))
    number = 0
    for size in (5, 5, 5, 1, 1):  # three rebuild chunks, two small commits
        writer = ix.writer()
        for _ in range(size):
            writer.add_document(id=str(number))
            number += 1
        writer.commit(merge=False)
    big = {s.segment_id() for s in ix._segments() if s.doc_count_all() >= 3}
    writer = ix.writer()
    writer.update_document(id="approved")
    writer.commit(mergetype=store_module.merge_small_segments)
    after = ix._segments()
    assert big <= {s.segment_id() for s in after} and len(after) == 4
    assert sorted(s.doc_count_all() for s in after) == [3, 5, 5, 5]
    with ix.searcher() as searcher:
        assert searcher.doc_count() == 18
    # Nothing small to merge with: the commit's segment is simply added.
    writer = ix.writer()
    writer.update_document(id="second")
    writer.commit(mergetype=store_module.merge_small_segments)
    assert sorted(s.doc_count_all() for s in ix._segments()) == [1, 3, 5, 5, 5]


def test_the_recent_version_needs_no_look_until_a_commit_or_the_delay(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search import searcher as searcher_module

    assert service.recent_version() is None  # no snapshot yet: look, from a thread
    version = service.version()
    assert service.recent_version() == version
    service.store.apply([_document(61, "halles")], deleted_ids=[])
    assert service.recent_version() is None  # this process committed: look again
    newer = service.version()
    assert newer != version and service.recent_version() == newer
    # A commit by another process is not counted here: it is seen once the delay is over.
    now = searcher_module.time.monotonic()
    monkeypatch.setattr(
        searcher_module.time, "monotonic", lambda: now + searcher_module.FRESH_SECONDS
    )
    assert service.recent_version() is None


def test_stored_fields_and_corrections_are_read_once_per_snapshot(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search.lexicon import Lexicon
    from jobboard.search.searcher import _Snapshot

    reads: list[int] = []
    suggestions: list[str] = []
    read_stored = _Snapshot._read_stored  # where Whoosh unpickles them
    lexicon_suggest = Lexicon.suggest
    monkeypatch.setattr(
        _Snapshot, "_read_stored", lambda self, d: reads.append(d) or read_stored(self, d)
    )
    monkeypatch.setattr(
        Lexicon,
        "suggest",
        lambda self, f, w, maxdist=2: suggestions.append(w) or lexicon_suggest(self, f, w, maxdist),
    )
    first = service.search(SearchRequest(q="hales"))  # a typo: fuzzy results and a suggestion
    assert first.fuzzy and first.suggestion == "halles" and first.hits
    assert len(reads) == len(first.hits) and suggestions == ["hales"]
    again = service.search(SearchRequest(q="hales"))
    assert again == first
    assert len(reads) == len(first.hits) and suggestions == ["hales"]
    # A commit makes a new snapshot, which reads what changed.
    service.store.apply([_document(9, "halles", title="Chargé des halles rénovées")], [])
    assert service.search(SearchRequest(q="rénovées")).hits[0].title == "Chargé des halles rénovées"


def test_facet_counts_are_by_count_then_by_code(service: SearchService) -> None:
    rng = np.random.default_rng(3)
    with service.snapshot() as snap:
        facets = snap.facets
        for name in ("departement", "region", "kind", "remote"):
            codes = facets.codes[name]
            for _ in range(20):
                docs = np.sort(rng.choice(len(facets.live), size=rng.integers(0, 40)))
                values = facets.values[name][docs]
                expected = sorted(
                    ((code, int((values == i).sum())) for i, code in enumerate(codes)),
                    key=lambda f: (-f[1], f[0]),
                )
                assert facets.counts(docs, name) == [f for f in expected if f[1]]


class _CountingLock:
    """Stands for a snapshot's read lock: counts the reads that got through."""

    def __init__(self) -> None:
        self.taken = 0
        self._lock = threading.RLock()

    def acquire(self) -> bool:
        self.taken += 1
        return self._lock.acquire()

    def release(self) -> None:
        self._lock.release()


def test_a_search_the_snapshot_holds_is_answered_without_a_read(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.query import FuzzyTerm

    from jobboard.search import reads as reads_module
    from jobboard.search import searcher as searcher_module

    words = SearchRequest(q="patrimoine commune", page_size=5)
    assert service.search_held(words) is None  # no snapshot yet
    expected = service.search(words)  # in a thread: reads the postings and stored fields
    assert expected.hits
    service.search(SearchRequest(page_size=100))  # every offer's stored fields, read once
    with service.snapshot() as snap:
        reads = _CountingLock()
        monkeypatch.setattr(snap.io, "_lock", reads)
    # The same words in another order of results, another page, a filter: all held.
    for request in (
        words,
        SearchRequest(q="patrimoine commune", sort="date", page_size=5),
        SearchRequest(q="commune patrimoine", page=2, page_size=5),
        SearchRequest(q="patrimoine commune", kind="vta", page_size=5),
        SearchRequest(sort="date", page_size=5),
    ):
        before = reads.taken
        held = service.search_held(request)
        assert isinstance(held, SearchResult) and held.hits and reads.taken == before, request
        assert held == service.search(request), request
        # Nor did the thread's search: the snapshot was found up to date just now.
        assert reads.taken == before
    # A word never searched: refused before any read, then searched in the thread.
    new_word = SearchRequest(q="bastide", page_size=5)
    before = reads.taken
    assert service.search_held(new_word) is None and reads.taken == before
    assert service.search(new_word).hits and reads.taken > before
    assert service.search_held(new_word) == service.search(new_word)
    # A typo's fuzzy expansion (the whole lexicon) is never made on the event loop, even once
    # the lexicon has been read (by another typo).
    assert service.search(SearchRequest(q="halels")).fuzzy
    with service.snapshot() as snap, reads_module.held_only(), pytest.raises(reads_module.NotHeld):
        snap.executor.expansions(FuzzyTerm("title", "bastdie", maxdist=1))
    typo = SearchRequest(q="bastdie", page_size=5)
    before = reads.taken
    assert service.search_held(typo) is None and reads.taken == before
    fuzzy = service.search(typo)
    assert fuzzy.fuzzy and fuzzy.hits and service.search_held(typo) == fuzzy
    # Not once the snapshot's freshness has to be looked at again: after a commit by this
    # process, after the delay, over a large index.
    service.store.apply([_document(61, "halles")], deleted_ids=[])
    assert service.search_held(words) is None
    assert service.search(words).total == expected.total
    assert service.search_held(words) is not None
    now = searcher_module.time.monotonic()
    monkeypatch.setattr(
        searcher_module.time, "monotonic", lambda: now + searcher_module.FRESH_SECONDS
    )
    assert service.search_held(words) is None
    monkeypatch.setattr(searcher_module.time, "monotonic", lambda: now)
    assert service.search_held(words) is not None
    monkeypatch.setattr(searcher_module, "HELD_DOCUMENTS", 60)
    assert service.search_held(words) is None


def test_a_refused_held_search_leaves_nothing_behind(service: SearchService) -> None:
    from jobboard.search import reads

    service.search(SearchRequest(q="gare"))
    assert service.search_held(SearchRequest(q="remparts")) is None
    reads.defer_if_held()  # the refusal is over: reads are allowed again on this thread
    with reads.held_only(), pytest.raises(reads.NotHeld):
        reads.defer_if_held()
    reads.defer_if_held()
    # Nothing half-kept: the refused word's search reads and answers in full.
    assert _ids(service, "remparts") == _ids(service, "remparts")
    assert service.search_held(SearchRequest(q="remparts", page_size=100, sort="pertinence"))


def test_hits_are_highlighted_once_per_snapshot_and_words(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search import searcher as searcher_module

    excerpts: list[str] = []
    excerpt = searcher_module.excerpt
    monkeypatch.setattr(
        searcher_module,
        "excerpt",
        lambda text, terms: excerpts.append(text) or excerpt(text, terms),
    )
    first = service.search(SearchRequest(q="gare", page_size=5))
    by_date = service.search(SearchRequest(q="gare", page_size=5, sort="date"))
    assert first.hits and len(excerpts) == len({hit.id for hit in first.hits + by_date.hits})
    again = service.search(SearchRequest(q="gare", page_size=5))
    assert all(a is b for a, b in zip(again.hits, first.hits, strict=True))
    # Other words highlight the same offers differently.
    other = service.search(SearchRequest(q="gare commune", page_size=5))
    assert other.hits[0] is not first.hits[0] and "<mark>" in other.hits[0].excerpt_html
    service.store.apply([_document(61, "gare")], deleted_ids=[])  # a new snapshot: anew
    count = len(excerpts)
    service.search(SearchRequest(q="gare", page_size=5))
    assert len(excerpts) > count


def test_what_words_match_and_searches_select_is_found_once_per_snapshot(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search import executor

    evaluated: list[object] = []  # queries evaluated over the index's arrays
    matching = executor.Executor.matching
    monkeypatch.setattr(
        executor.Executor,
        "matching",
        lambda self, query, live: evaluated.append(query) or matching(self, query, live),
    )
    selected: list[SearchRequest] = []  # searches filtered and counted
    selection = SearchService._selection
    monkeypatch.setattr(
        SearchService,
        "_selection",
        lambda self, snap, request: selected.append(request) or selection(self, snap, request),
    )

    def expected(request: SearchRequest) -> Any:
        """What a service that has kept nothing answers on the same index."""
        fresh = SearchService(service.store)
        try:
            return fresh.search(request)
        finally:
            fresh.close()

    variants = [
        dict(sort="pertinence"),
        dict(sort="date"),
        dict(sort="pertinence", kind="vta"),
        dict(sort="echeance", page=2, page_size=3),
        dict(sort="pertinence", remote=True),
    ]
    for q, evaluations in (("gare commune", 1), ("halels", 2)):  # a typo: exact, then fuzzy
        before, selections = len(evaluated), len(selected)
        for changes in variants:
            request = SearchRequest(q=q, **changes)  # type: ignore[arg-type]
            found = service.search(request)
            assert found.total and found == expected(request), (q, changes)
        # Once by the board's service, once by each fresh one.
        assert len(evaluated) - before == evaluations * (1 + len(variants)), q
        # The board's service selects once for the three orders and pages, once for the kind
        # and once for remote work.
        assert len(selected) - selections == 3 + len(variants), q
    # Bounded in bytes: with room for one text (a document number and a score a match), the
    # other one is found again.
    sizes = [expected(SearchRequest(q=q)).total * 16 for q in ("gare", "lavoir")]
    with service.snapshot() as snap:
        snap.matches.max_bytes = snap.selections.max_bytes = max(sizes)
    before, selections = len(evaluated), len(selected)
    for q in ("gare", "lavoir", "gare"):
        service.search(SearchRequest(q=q))
    assert len(evaluated) - before == len(selected) - selections == 3
    # A new snapshot finds them anew.
    service.search(SearchRequest(q="lavoir", sort="date"))
    service.store.apply([_document(61, "gare")], deleted_ids=[])
    before = len(evaluated)
    for sort in ("pertinence", "date"):
        request = SearchRequest(q="lavoir", sort=sort)
        assert service.search(request) == expected(request)
    assert len(evaluated) - before == 3


def test_words_searched_at_once_by_several_searches_are_matched_once(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobboard.search import reads as reads_module

    matched: list[str] = []
    failed: list[str] = []
    match = SearchService._match

    def slow_match(self: SearchService, snap: Any, text: str) -> Any:
        matched.append(text)
        time.sleep(0.05)  # the other searches arrive meanwhile
        if text == "lavoir" and not failed:
            failed.append(text)
            raise RuntimeError("the first search of « lavoir » fails")
        return match(self, snap, text)

    fresh = SearchService(service.store)
    expected = _ids(fresh, "halles remparts")
    fresh.close()
    monkeypatch.setattr(SearchService, "_match", slow_match)
    requests = [("gare halles", kind, sort) for kind in ("", "vta") for sort in ("date", "")]
    answers: dict[tuple[str, str, str], list[int]] = {}
    errors: list[BaseException] = []

    def search(q: str, kind: str, sort: str) -> None:
        try:
            request = SearchRequest(q=q, kind=kind, sort=sort or "pertinence", page_size=100)
            answers[(q, kind, sort)] = [hit.id for hit in service.search(request).hits]
        except BaseException as exc:  # reported below
            errors.append(exc)

    def together(searches: list[tuple[str, str, str]]) -> None:
        threads = [threading.Thread(target=search, args=args) for args in searches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    together(requests)
    assert errors == [] and matched == ["gare halles"] and len(answers) == 4
    assert sorted(answers[("gare halles", "vta", "date")]) == sorted(
        answers[("gare halles", "vta", "")]
    )
    # While one search finds them, a search on the event loop does not wait: refused.
    matched.clear()
    thread = threading.Thread(target=search, args=("halles remparts", "", ""))
    thread.start()
    time.sleep(0.02)
    with service.snapshot() as snap, reads_module.held_only(), pytest.raises(reads_module.NotHeld):
        snap.matches.get("halles remparts", lambda: pytest.fail("found twice"))
    # The board's search is told what to wait for, and told when it is done.
    waiting = service.search_held(SearchRequest(q="halles remparts"))
    assert isinstance(waiting, reads_module.Finding)
    done = threading.Event()
    waiting.on_done(done.set)
    thread.join()
    service.version()  # found up to date just now (the delay may have passed)
    assert done.is_set() and isinstance(
        service.search_held(SearchRequest(q="halles remparts")), SearchResult
    )
    assert answers[("halles remparts", "", "")] == expected and matched == ["halles remparts"]
    # When the search finding them fails, the one waiting finds them itself.
    together([("lavoir", "", ""), ("lavoir", "vta", "")])
    assert len(errors) == 1 and matched[1:] == ["lavoir", "lavoir"]
    assert len([kind for kind in ("", "vta") if answers.get(("lavoir", kind, ""))]) == 1
