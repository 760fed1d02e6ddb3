"""The rebuild's fast path indexes what Whoosh's own path indexes: the analyzers' one-pass
terms are the chains' tokens, the build writer's files are the stock writer's byte for byte,
and chunks written by worker processes make the index one process makes."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StandardAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.writing import SegmentWriter

from jobboard.search import store as store_module
from jobboard.search.analysis import (
    WORD_PATTERN,
    DualFormFilter,
    FrenchAnalyzer,
    SpellingAnalyzer,
    _StopFilter,
)
from jobboard.search.schema import build_schema, document
from jobboard.search.store import Build, IndexStore, write_segment

# Accents, capitals, hyphens, apostrophes (straight and curly), stop words, digits, words the
# two forms differ on, a letter whose lower case is two characters, repeated words.
VARIED_FRENCH = (
    "L'ÉQUIPE de Thizy-les-Bourgs recrute une Chargée de mission « Habitat » (H/F) : "
    "l’infirmière, l'infirmiere, les conseillères et la cheffe de projet n°2 du PVD 2027. "
    "Aujourd'hui, 35 % des logements du centre-bourg sont vacants ; İstanbul, ŒUVRE, Ça va, "
    "et où ? Qu'il soit élu ou technicien, il/elle sera au cœur du projet, du projet !"
)

SENTENCES = [
    "La commune de {town} recrute un chargé de mission revitalisation du centre-bourg.",
    "L'opération programmée d'amélioration de l'habitat (OPAH-RU) est en cours à {town}.",
    "Les conseillères numériques accompagnent les habitants de l’intercommunalité.",
    "Le patrimoine bâti, l'église romane et les remparts médiévaux de {town} sont classés.",
    "Mobilité douce : 12 km de pistes cyclables entre la gare et le collège, en 2027.",
    "Vous êtes infirmière, infirmier ou cheffe de projet ? Rejoignez l'équipe PVD !",
    "Ça bouge à {town} : halles, marché hebdomadaire, commerces de proximité.",
]
TOWNS = ["Thizy-les-Bourgs", "Saint-Étienne-de-Tinée", "L'Isle-Jourdain", "Œting", "Ax"]
THEMES = ["revitalisation", "habitat", "patrimoine", "mobilite", "commerce"]


def _documents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    documents = []
    for number in range(1, count + 1):
        town = rng.choice(TOWNS)
        body = " ".join(rng.choice(SENTENCES).format(town=town) for _ in range(rng.randint(0, 12)))
        documents.append(
            document(
                offer_id=number,
                title=rng.choice(["Chargé", "Chargée", "Cheffe", "Directeur"])
                + f" de projet {rng.choice(THEMES)} {number}",
                place=f"Commune de {town} {rng.choice(['Lot', 'Ardèche', 'Haute-Loire'])}",
                body=body,
                summary=body[:120],
                kind=rng.choice(["vta", "chef_de_projet"]),
                departement=str(rng.randint(1, 95)),
                region=str(rng.randint(11, 94)),
                themes=rng.sample(THEMES, rng.randint(0, 3)),
                published=1_700_000_000 + rng.randint(0, 10**7),
                deadline=date(2027, rng.randint(1, 12), rng.randint(1, 28)),
                start_date=date(2027, rng.randint(1, 12), rng.randint(1, 28)),
                remote=rng.choice(["none", "partial", "full"]),
                commune_name=town,
                departement_name="Lot",
                duration_months=rng.randint(0, 36),
                min_diploma_level=rng.randint(0, 8),
            )
        )
    return documents


def _chain_positions(chain: Any, text: str) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for token in chain(text, positions=True, mode="index"):
        positions.setdefault(token.text, []).append(token.pos)
    return positions


@pytest.mark.parametrize(
    ("fast", "last"),
    [(FrenchAnalyzer(), DualFormFilter()), (SpellingAnalyzer(), _StopFilter())],
    ids=["french", "spelling"],
)
def test_word_positions_are_the_chains_tokens(fast: Any, last: Any) -> None:
    chain = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | last
    for text in (VARIED_FRENCH, VARIED_FRENCH.upper(), "", "  -- ' ", "de la du"):
        expected = _chain_positions(chain, text)
        assert fast.word_positions(text) == expected
        assert list(fast.word_positions(text)) == list(expected)  # first occurrence first
    assert len(_chain_positions(chain, VARIED_FRENCH)) >= 20  # not a trivial comparison
    # The analyzer is the chain for everything else (queries, highlighting with characters).
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in fast(VARIED_FRENCH, chars=True, positions=True)
    ]
    assert tokens == [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in chain(VARIED_FRENCH, chars=True, positions=True)
    ]


def _stock_schema() -> Any:
    """The schema with Whoosh's own chains in place of the analyzers' one-pass terms."""
    schema = build_schema()
    french = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | DualFormFilter()
    for name in ("title", "place", "body"):
        schema[name].analyzer = french
    schema["spell"].analyzer = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | _StopFilter()
    return schema


def _segment_files(directory: Path, segment: Any) -> dict[str, bytes]:
    name = segment.segment_id()
    return {
        path.name.removeprefix(name): path.read_bytes()
        for path in directory.iterdir()
        if path.name.startswith(f"{name}.")
    }


def _postings(directory: Path) -> dict[tuple[str, bytes], list[tuple[int, float, Any]]]:
    """Every posting: (document number, weight, positions, or the raw value without any)."""
    ix = index.open_dir(str(directory))
    found = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            positional = reader.schema[fieldname].format.supports("positions")
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                value = matcher.value_as("positions") if positional else matcher.value()
                postings.append((matcher.id(), matcher.weight(), value))
                matcher.next()
            found[fieldname, text] = postings
    return found


def test_the_build_writer_writes_the_stock_writer_s_files(tmp_path: Path) -> None:
    documents = _documents(300)
    fast, stock = tmp_path / "fast", tmp_path / "stock"
    fast.mkdir()
    stock.mkdir()
    index.create_in(str(fast), build_schema())
    fast_segment = write_segment(str(fast), documents)
    writer = SegmentWriter(index.create_in(str(stock), _stock_schema()), compound=False)
    for each in documents:
        writer.add_document(**each)
    writer.commit(merge=False)
    store_module._add_segment(fast, fast_segment)
    (stock_segment,) = index.open_dir(str(stock))._segments()

    fast_files = _segment_files(fast, fast_segment)
    assert fast_files.keys() == _segment_files(stock, stock_segment).keys()
    assert {".trm", ".pst", "._stored.col", "._body_len.col"} <= fast_files.keys()
    for suffix, content in _segment_files(stock, stock_segment).items():
        assert fast_files[suffix] == content, suffix
    assert fast_segment._fieldlengths == stock_segment._fieldlengths
    # The same, read back: terms, documents, weights.
    fast_postings = _postings(fast)
    assert fast_postings == _postings(stock)
    assert len(fast_postings) > 1000


def test_the_build_writer_writes_other_fields_as_whoosh_does(tmp_path: Path) -> None:
    """Fields without one-pass terms go through Whoosh's `field.index`, each value's postings
    reused for the next document with that value, but never a payload object: a block pickles
    one met twice as a reference to the first."""
    schema = Schema(
        id=ID(stored=True),
        text=TEXT(analyzer=StandardAnalyzer()),
        tags=KEYWORD(scorable=True, commas=True),
        number=NUMERIC(stored=True, sortable=True),
    )
    rng = random.Random(3)
    documents = [
        {
            "id": str(number),
            "text": rng.choice(["le même texte, deux fois texte", "un autre", "rien"]),
            "tags": rng.choice(["a,b", "b", "c,a"]),
            "number": rng.randint(0, 3),
        }
        for number in range(200)
    ]
    fast, stock = tmp_path / "fast", tmp_path / "stock"
    fast.mkdir()
    stock.mkdir()
    index.create_in(str(fast), schema)
    fast_segment = write_segment(str(fast), documents)
    writer = SegmentWriter(index.create_in(str(stock), schema), compound=False)
    for each in documents:
        writer.add_document(**each)
    writer.commit(merge=False)
    (stock_segment,) = index.open_dir(str(stock))._segments()
    assert _segment_files(fast, fast_segment) == _segment_files(stock, stock_segment)


def _search_view(directory: Path) -> tuple[list[dict[str, Any]], dict[Any, Any]]:
    """Stored fields in index order and every posting, by offer id (not document number)."""
    ix = index.open_dir(str(directory))
    with ix.reader() as reader:
        stored = [fields for _, fields in reader.iter_docs()]
        ids = [fields["id"] for fields in stored]
        postings = {
            term: [(ids[docnum], weight) for docnum, weight, _ in found]
            for term, found in _postings(directory).items()
        }
    return stored, postings


def test_chunks_written_by_workers_make_the_in_process_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUILD_CHUNK", 40)
    monkeypatch.setattr(store_module, "PARALLEL_FROM", 40)
    documents = _documents(330)
    alone = IndexStore(tmp_path / "alone", workers=1)
    workers = IndexStore(tmp_path / "workers", workers=2)
    assert alone.rebuild(documents) == workers.rebuild(documents) == 330
    assert [s.doc_count_all() for s in workers.open()._segments()] == [40] * 8 + [10]
    built = workers.directory / str(workers.generation())
    assert _search_view(built) == _search_view(alone.directory / str(alone.generation()))
    # The chunks' tables of contents are gone; only the index's files are left.
    assert [p.name for p in built.glob("_MAIN_*.toc")] == ["_MAIN_9.toc"]  # the last one only
    assert not list(built.glob("*.tmp*"))


def test_a_failed_worker_keeps_the_chunks_before_it_and_the_build_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "PARALLEL_FROM", 20)
    documents = _documents(100)
    broken = [*documents[40:60]]
    broken[5] = broken[5] | {"title": 12}  # not text: the worker's writer raises
    store = IndexStore(tmp_path / "index", workers=2)
    build = store.start_build(floor=3)
    chunks = [documents[0:20], documents[20:40], broken, documents[60:80]]
    with pytest.raises(ValueError, match="not a string"):
        try:
            for number, chunk in enumerate(chunks, start=1):
                build.add(chunk, last_id=number)
            build.finish()
        finally:
            build.close()
    assert store.generation() is None  # nothing swapped in

    resumed = store.resume_build(max_age_seconds=3600)
    assert isinstance(resumed, Build)
    assert (resumed.last_id, resumed.count, resumed.floor) == (2, 40, 3)
    # Only the chunks before the failed one are listed, in their order.
    ix = index.open_dir(str(resumed.path))
    with ix.searcher() as searcher:
        assert [f["id"] for f in searcher.all_stored_fields()] == [str(n) for n in range(1, 41)]
    try:
        for number, chunk in enumerate([documents[40:60], documents[60:100]], start=3):
            resumed.add(chunk, last_id=number)
        assert resumed.finish() == 100
    finally:
        resumed.close()
    with store.open().searcher() as searcher:
        assert sorted(int(f["id"]) for f in searcher.all_stored_fields()) == list(range(1, 101))
    # The failed chunk's files, never listed, went with the finish.
    generation = store.directory / str(store.generation())
    listed = {s.segment_id() for s in store.open()._segments()}
    assert {p.name.split(".")[0] for p in generation.glob("MAIN_*")} == listed


def test_numbers_are_columns_and_the_deadline_one_term_each(tmp_path: Path) -> None:
    documents = _documents(30)
    store = IndexStore(tmp_path / "index", workers=1)
    store.rebuild(documents)
    with store.open().reader() as reader:
        deadlines = {each["deadline"] for each in documents}
        assert len(list(reader.lexicon("deadline"))) == len(deadlines)
        for name in ("published", "start", "duration_months", "min_diploma_level"):
            assert list(reader.lexicon(name)) == [], name
            column = reader.column_reader(name)
            assert [column[d] for d in range(30)] == [each[name] for each in documents], name
    # Expiry's range query still finds the offers closing before a date.
    middle = sorted(deadlines)[len(deadlines) // 2]
    expired = sum(1 for each in documents if each["deadline"] < middle)
    assert store.delete_expired(before=middle) == expired > 0
    assert len(store.ids()) == 30 - expired
