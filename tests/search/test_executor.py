"""The array executor answers plain-word queries exactly as Whoosh's own matchers do: the same
matching documents, the same scores (to rounding), hence the same pages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from starlette.applications import Starlette
from whoosh.query import And, Or, Query, Term

from jobboard.search import executor
from jobboard.search.searcher import SearchRequest, SearchService
from tests.test_relevance import RELEVANCE, demo_app  # noqa: F401 (a fixture)

EXTRA = ["de la commune", "commune", "mission", "chef projet", "transition écologique Lot"]
QUERIES = [q for q, _ in RELEVANCE] + EXTRA
FILTERS = [{}, {"kind": "vta"}, {"theme": "patrimoine"}, {"remote": True}, {"region": "75"}]


def _plain_word_queries(service: SearchService) -> list[str]:
    return [q for q in QUERIES if executor.supports(service._parse(q)[0])]


def test_most_queries_run_on_arrays(demo_app: Starlette) -> None:  # noqa: F811
    service: SearchService = demo_app.state.search
    assert len(_plain_word_queries(service)) >= 30
    # Phrases and fuzzy terms stay with Whoosh.
    assert not executor.supports(service._parse('"maison de santé"')[0])
    assert not executor.supports(service._fuzzy("patrimoinne"))
    assert not executor.supports(None)


def test_the_same_documents_and_scores_as_whoosh(demo_app: Starlette) -> None:  # noqa: F811
    service: SearchService = demo_app.state.search
    with service._lock:
        searcher, facets = service._current()
        arrays = executor.Executor(searcher)
        compared = 0
        for q in _plain_word_queries(service):
            query = service._parse(q)[0]
            assert query is not None
            expected = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            docs, scores = arrays.matching(query, facets.live)
            assert set(docs.tolist()) == set(expected), q
            wanted = np.array([expected[d] for d in docs.tolist()])
            assert np.allclose(scores, wanted, rtol=1e-9, atol=1e-12), q
            compared += len(docs)
        assert compared > 300


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_the_board_pages_are_whoosh_s_full_ranking(
    demo_app: Starlette,  # noqa: F811
    filters: dict[str, object],
) -> None:
    """Each page is the top of Whoosh's own scoring of the query and its filter clauses, read
    in full. (Whoosh's `search(limit=…)` with a filter clause can miss the best documents: for
    « de la commune » and type VTA it left out the best-scoring offer; the arrays do not.)"""
    service: SearchService = demo_app.state.search
    for q in _plain_word_queries(service):
        request = replace(SearchRequest(q=q, page_size=5), **filters)  # type: ignore[arg-type]
        ours = service.search(request)
        if ours.fuzzy:
            continue  # no exact match: the fuzzy fallback, which Whoosh runs
        with service._lock:
            searcher, _facets = service._current()
            query = service._parse(q)[0]
            clauses = _filter_clauses(request)
            full = searcher.search(And([query, *clauses]) if clauses else query, limit=None)
            scored = [(int(hit["id"]), hit.score) for hit in full]
        assert ours.total == len(scored), q
        score_of = dict(scored)
        # The same scores in the same places (documents tied to rounding may swap).
        assert [score_of[h.id] for h in ours.hits] == pytest.approx(
            [score for _id, score in scored[: len(ours.hits)]], rel=1e-9
        ), q


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
    with service._lock:
        searcher, facets = service._current()
        small = executor.Executor(searcher, max_bytes=2_000)
        whole = executor.Executor(searcher)
        for q in _plain_word_queries(service):
            query = service._parse(q)[0]
            assert query is not None
            ours, _ = small.matching(query, facets.live)
            theirs, _ = whole.matching(query, facets.live)
            assert ours.tolist() == theirs.tolist(), q
        assert small._bytes <= 2_000 or len(small._postings) == 1
        assert whole._bytes > 2_000
