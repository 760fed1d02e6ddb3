"""The array executor answers every query the board writes (words, phrases, fuzzy terms)
exactly as Whoosh's own matchers do: the same matching documents, the same scores (to
rounding), hence the same pages; and the lexicon gives Whoosh's expansions and suggestions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from starlette.applications import Starlette
from whoosh.query import And, FuzzyTerm, Or, Query, Term
from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from jobboard.search import executor, lexicon, segments
from jobboard.search.searcher import SearchRequest, SearchService, read_segment
from tests.test_relevance import RELEVANCE, demo_app  # noqa: F401 (a fixture)

EXTRA = ["de la commune", "commune", "mission", "chef projet", "transition écologique Lot"]
PHRASES = [
    '"maison de santé"',
    '"chef de projet"',
    '"petites villes de demain"',
    '"centre ville"',
    '"transition écologique" Lot',
    '"projet de territoire" "chef de projet"',
    '"santé maison"',  # the words in the wrong order: matches nothing
    '"de la commune"',
    '"projet projet"',  # one word twice: two occurrences in a row, not the same one
]
TYPOS = ["patrimoinne", "numerque", "revitalsation", "amenagment", "tourisem", "ecologiqe"]
QUERIES = [q for q, _ in RELEVANCE] + EXTRA + PHRASES
FILTERS = [{}, {"kind": "vta"}, {"theme": "patrimoine"}, {"remote": True}, {"region": "75"}]


def _queries(service: SearchService) -> list[tuple[str, Query]]:
    """Each query as the board parses it, and each typo's fuzzy query."""
    parsed = [(q, service._parse(q)[0]) for q in QUERIES]
    fuzzy = [(q, service._fuzzy(q)) for q in TYPOS + [q for q, _ in RELEVANCE]]
    return [(q, query) for q, query in parsed + fuzzy if query is not None]


def _executor(snap: Any, **options: Any) -> executor.Executor:
    """A new executor (empty caches) over the snapshot's searcher."""
    store = segments.SegmentStore(read_segment)
    return executor.Executor(snap.searcher, snap.facets.lengths, store, snap.io, **options)


def _expanded(query: Query, arrays: executor.Executor) -> Query:
    """The query with each fuzzy term replaced by the union of its expansions, which is how
    the arrays score it. (Whoosh's own fuzzy scores depend on the index: constant in a union
    of more than two expansions below 5,000 documents, BM25F above, unboosted for a single
    expansion; the arrays score every size the same way.)"""
    if isinstance(query, FuzzyTerm):
        found = arrays.expansions(query)
        return Or([Term(query.fieldname, t, boost=query.boost) for t in found])
    if isinstance(query, And | Or):
        return type(query)([_expanded(q, arrays) for q in query.subqueries], boost=query.boost)
    return query


def test_every_board_query_runs_on_arrays(demo_app: Starlette) -> None:  # noqa: F811
    service: SearchService = demo_app.state.search
    queries = _queries(service)
    assert len(queries) >= 130
    assert all(executor.supports(query) for _q, query in queries)
    assert not executor.supports(None)


@pytest.mark.parametrize(
    "few",
    [executor.FEW_DOCUMENTS, 0, 10**9],
    ids=["default", "positions-read-for-candidates", "all-positions-kept"],
)
def test_the_same_documents_and_scores_as_whoosh(
    demo_app: Starlette,  # noqa: F811
    few: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a phrase's positions read for its candidates alone (blocks skipped), or for the
    whole index and kept, as the executor chooses by their number."""
    monkeypatch.setattr(executor, "FEW_DOCUMENTS", few)
    service: SearchService = demo_app.state.search
    with service.snapshot() as snap:
        searcher, facets = snap.searcher, snap.facets
        arrays = _executor(snap)
        compared = phrases = fuzzy = 0
        for q, query in _queries(service):
            expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            docs, scores = arrays.matching(query, facets.live)
            assert set(docs.tolist()) == set(expected), q
            if "FuzzyTerm" in repr(query):
                fuzzy += len(docs)
                union = _expanded(query, arrays)
                expected = {hit.docnum: hit.score for hit in searcher.search(union, limit=None)}
            wanted = np.array([expected[d] for d in docs.tolist()])
            assert np.allclose(scores, wanted, rtol=1e-9, atol=1e-12), q
            compared += len(docs)
            phrases += len(docs) if '"' in q else 0
        assert compared > 1000
        assert phrases > 20
        assert fuzzy > 100


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_board_pages_are_whoosh_s_full_ranking(
    demo_app: Starlette,  # noqa: F811
    filters: dict[str, object],
) -> None:
    """Each page is the top of Whoosh's own scoring of the query (its fuzzy form when nothing
    matches exactly) and its filter clauses, read in full. (Whoosh's `search(limit=…)` with a
    filter clause can miss the best documents: for « de la commune » and type VTA it left out
    the best-scoring offer; the arrays do not.)"""
    service: SearchService = demo_app.state.search
    for q in QUERIES + TYPOS:
        request = replace(SearchRequest(q=q, page_size=5), **filters)  # type: ignore[arg-type]
        ours = service.search(request)
        with service.snapshot() as snap:
            searcher = snap.searcher
            query = service._fuzzy(q) if ours.fuzzy else service._parse(q)[0]
            if query is None:
                continue
            query = _expanded(query, snap.executor)
            clauses = _filter_clauses(request)
            full = searcher.search(And([query, *clauses]) if clauses else query, limit=None)
            scored = [(int(hit["id"]), hit.score) for hit in full]
        assert ours.total == len(scored), q
        score_of = dict(scored)
        # The same scores in the same places (documents tied to rounding may swap).
        assert [score_of[h.id] for h in ours.hits] == pytest.approx(
            [score for _id, score in scored[: len(ours.hits)]], rel=1e-9
        ), q


def test_the_lexicon_expands_and_suggests_as_whoosh(
    demo_app: Starlette,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whoosh's reader of several segments finds near terms with the Damerau distance (a
    transposition is one edit) and its single-segment reader with an automaton that counts it
    as two: the lexicon follows the first, the one of `IndexReader.terms_within`."""
    service: SearchService = demo_app.state.search
    with service.snapshot() as snap:
        searcher = snap.searcher
        reader = searcher.reader()
        for leaf in {type(r) for r, _offset in [(reader, 0), *reader.leaf_readers()]}:
            monkeypatch.setattr(leaf, "terms_within", IndexReader.terms_within, raising=False)
        words = lexicon.Lexicon(reader, snap.io)
        corrector = searcher.corrector("spell")
        suggested = expanded = 0
        for word in [*TYPOS, "patrimoine", "maisn", "sante", "zzzyyy", "vlo", "écologie"]:
            for field in ("title", "body"):
                for maxdist, prefix in ((1, 2), (2, 2), (2, 0)):
                    theirs = set(reader.terms_within(field, word, maxdist, prefix=prefix))
                    assert set(words.within(field, word, maxdist, prefix)) == theirs, word
                    expanded += len(theirs)
            expected = corrector.suggest(word, limit=1, maxdist=2)
            assert words.suggest("spell", word) == (expected[0] if expected else None), word
            suggested += bool(expected)
        assert suggested >= 6
        assert expanded > 50


def test_a_word_expands_to_a_bounded_number_of_terms(demo_app: Starlette) -> None:  # noqa: F811
    """A short prefix and a wide distance in a large vocabulary: the nearest terms only."""
    service: SearchService = demo_app.state.search
    with service.snapshot() as snap:
        words = lexicon.Lexicon(snap.searcher.reader(), snap.io)
        everything = words.terms("body")
        assert len(everything) > lexicon.MAX_EXPANSIONS
        found = words.within("body", "co", maxdist=30)
        assert len(found) == lexicon.MAX_EXPANSIONS
        distances = [distance(term, "co") for term in found]
        assert distances == sorted(distances)
        assert max(distances) <= min(
            distance(term, "co") for term in everything if term not in found
        )


def _filter_clauses(request: SearchRequest) -> list[Query]:
    clauses: list[Query] = [
        Term(field, value)
        for field, value in (
            ("kind", request.kind),
            ("themes", request.theme),
            ("region", request.region),
        )
        if value
    ]
    if request.remote:
        clauses.append(Or([Term("remote", "partial"), Term("remote", "full")]))
    return clauses


def test_top_breaks_ties_by_document_number() -> None:
    docs = np.array([3, 5, 8, 9, 12], dtype=np.int64)
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    assert executor.top(docs, scores, 2).tolist() == [5, 8]
    assert executor.top(docs, scores, 10).tolist() == [5, 8, 12, 3, 9]
    assert executor.top(docs, scores, 0).tolist() == []


@pytest.mark.parametrize("end", [0, 1, 5, 20, 499, 500, 800])
def test_first_is_a_stable_sort_s_beginning(end: int) -> None:
    rng = np.random.default_rng(end)
    keys = rng.integers(0, 30, 500)  # many ties
    then = rng.integers(0, 4, 500)
    assert executor.first(keys, end).tolist() == np.argsort(keys, kind="stable")[:end].tolist()
    expected = np.lexsort((then, keys))[:end].tolist()
    assert executor.first(keys, end, then=then).tolist() == expected


@pytest.mark.parametrize("chosen", [0, 3, 40, 400])
def test_the_occurrences_of_chosen_documents(chosen: int) -> None:
    """Few documents: a binary search each; many: one gather; the same keys either way."""
    rng = np.random.default_rng(chosen)
    docs = np.sort(rng.integers(0, 500, 3000))
    keys = np.unique((docs << 32) | rng.integers(0, 200, 3000))
    documents = np.zeros(500, dtype=bool)
    documents[rng.choice(500, chosen, replace=False)] = True
    expected = [int(k) for k in keys if documents[k >> 32]]
    assert executor._within(keys, documents).tolist() == expected


def test_bit_counts_count_each_bit() -> None:
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 1 << 14, 1000)
    expected = [int(((bits >> i) & 1).sum()) for i in range(14)]
    assert executor.bit_counts(bits, 14) == expected
    assert executor.bit_counts(bits[:0], 14) == [0] * 14


def test_the_posting_cache_stays_within_its_budget(demo_app: Starlette) -> None:  # noqa: F811
    service: SearchService = demo_app.state.search
    with service.snapshot() as snap:
        facets = snap.facets
        small = _executor(snap, max_bytes=2_000)
        whole = _executor(snap)
        for q, query in _queries(service):
            ours, _ = small.matching(query, facets.live)
            theirs, _ = whole.matching(query, facets.live)
            assert ours.tolist() == theirs.tolist(), q
        assert small._bytes <= 2_000 or len(small._postings) + len(small._positions) == 1
        assert whole._bytes > 2_000


def test_postings_read_block_by_block_as_whoosh_walks_them(tmp_path: Any) -> None:
    """Several blocks per posting list (Whoosh writes 128 postings a block): the block reader
    gives every document, frequency and position, and for chosen documents only theirs,
    skipping blocks that hold none of them."""
    from whoosh import fields, index

    ix = index.create_in(str(tmp_path), fields.Schema(body=fields.TEXT(phrase=True)))
    writer = ix.writer()
    rng = np.random.default_rng(3)
    for number in range(1000):
        words = ["alpha"] * int(rng.integers(1, 4)) + ["beta"] * (number % 7 == 0)
        writer.add_document(body=" ".join(rng.permutation(words + ["gamma"] * 3)))
    writer.commit()
    with ix.searcher() as searcher:
        leaf = searcher.reader()
        assert leaf.is_atomic()
        walked, keys = [], []
        matcher = leaf.postings("body", "alpha")
        while matcher.is_active():
            walked.append((matcher.id(), matcher.weight()))
            keys += [(matcher.id() << 32) | p for p in matcher.value_as("positions")]
            matcher.next()
        assert len(walked) == 1000 and len(keys) > 1000
        docs, tf = executor._frequencies(leaf, "body", "alpha")
        assert list(zip(docs.tolist(), tf.tolist(), strict=True)) == walked
        assert executor._position_keys(leaf, "body", "alpha").tolist() == keys
        for chosen in (
            [],
            [5],
            [0, 128],
            [127, 256],
            [0, 1, 2, 500, 999],
            list(range(300, 700, 3)),
        ):
            only = np.array(chosen, dtype=np.int64)
            expected = [k for k in keys if (k >> 32) in set(chosen)]
            assert executor._position_keys(leaf, "body", "alpha", only=only).tolist() == expected
