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


def test_the_same_documents_and_scores_as_whoosh(demo_app: Starlette) -> None:  # noqa: F811
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
