"""The segment writer of index rebuilds: Whoosh's files, written with fewer Python calls.

Whoosh's `SegmentWriter` spends a rebuild's time per token and per posting: three analysis
generators and a Token per word, a tuple per posting sized and appended to a pool, the pool
sorted (1.2 million tuples per 5,000 offers), then one call per posting, with type checks,
to the postings writer. This writer makes the same segment:

- a text field whose analyzer has `word_positions` (see analysis.py) gets its terms and
  positions from it in one pass, encoded as its format (Positions or Frequency) encodes them;
  the other fields go through `field.index`, as in Whoosh;
- postings are kept by field and term, each term's in document order (documents are added in
  order and a field yields a term once per document), so only the terms are sorted;
- each term's postings are handed to Whoosh's postings writer a block at a time, with the
  block statistics `add_posting` would have gathered; the writer encodes and writes the block.

The files are Whoosh's W3 files, byte for byte: tests/search/test_fast_build.py builds the same
documents with both writers and compares the files and postings.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable
from itertools import pairwise
from pickle import dumps
from typing import Any

from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# (document number, weight, encoded value) of one posting.
Posting = tuple[int, float, bytes]


# The pickled gaps of a word met once in its field, by position (below SINGLE_KEPT): most
# postings (86 % of a rebuild's text postings), pickled once per position. Each value is a new
# bytes object: a block pickles a value met twice as a reference to the first, not as Whoosh's
# writer does.
SINGLE_KEPT = 4096
_SINGLE_GAPS: dict[int, bytes] = {}
_ONE: bytes = pack_uint(1)


def _positions_value(positions: list[int]) -> bytes:
    """`formats.Positions.encode`: the count, then the pickled gaps between positions."""
    if len(positions) == 1 and positions[0] < SINGLE_KEPT:
        pickled = _SINGLE_GAPS.get(positions[0])
        if pickled is None:
            pickled = _SINGLE_GAPS[positions[0]] = dumps(positions, 2)
        return _ONE + pickled
    gaps = [positions[0]]
    gaps.extend(b - a for a, b in pairwise(positions))
    count: bytes = pack_uint(len(gaps))
    return count + dumps(gaps, 2)


def _frequency_value(positions: list[int]) -> bytes:
    """`formats.Frequency`'s value: the count."""
    count: bytes = pack_uint(len(positions))
    return count


class BuildWriter(SegmentWriter):  # type: ignore[misc]
    """Adds documents to a new segment; `_finalize_segment()` writes it (the caller adds it to
    the table of contents). For rebuilds: no deletions, no merges, no term vectors and no
    separate spelling fields (the schema has none)."""

    def __init__(self, ix: Any, **options: Any) -> None:
        super().__init__(ix, **options)
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"BuildWriter cannot write field {name!r}")
        # Postings by field, then term (text for the fields analysed with `word_positions`,
        # else UTF-8), in document order.
        self._postings: defaultdict[str, defaultdict[str | bytes, list[Posting]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # Per field, each document's length as the lengths column gives it back (a byte).
        self._lengths: defaultdict[str, dict[int, int]] = defaultdict(dict)
        # The value encoder of each field analysed with `word_positions`, None for the others.
        self._encoders: dict[str, Callable[[list[int]], bytes] | None] = {
            name: _encoder(field) for name, field in self.schema.items()
        }
        # `field.index` of a value, by field and value: dates, kinds and themes repeat.
        self._indexed: dict[tuple[str, Any], list[tuple[bytes, int, float, bytes]]] = {}

    def add_document(self, **fields: Any) -> None:
        """`SegmentWriter.add_document` without the pool, for documents without boosts."""
        self._check_state()
        names = sorted(fields)  # stored fields are pickled in this order
        if names and names[0].startswith("_"):
            raise ValueError("BuildWriter does not take boosts or custom stored values")
        self._check_fields(self.schema, names)
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = self.schema[name]
                length = self._index(name, field, value, docnum) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    column_value = field.to_column_value(value)
                    perdoc.add_column_value(name, field.column_type, column_value)
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field: Any, value: Any, docnum: int) -> int:
        """Add the field's postings; returns its length (total frequency) if it is scorable."""
        terms = self._postings[name]
        length = 0
        encode = self._encoders[name]
        if encode is not None:
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not a string")
            # The format sums a boost of 1.0 per token, then applies the field's boost.
            boost = float(field.format.field_boost)
            for word, positions in field.analyzer.word_positions(value).items():
                count = len(positions)
                length += count
                # Kept as text, encoded once per term when the segment is written.
                terms[word].append((docnum, count * boost, encode(positions)))
        else:
            key = (name, value)
            items = self._indexed.get(key)
            if items is None:
                items = list(field.index(value))
                # Only values without payloads are reused: a block pickles a payload object
                # met twice as a reference to the first, not as Whoosh's writer writes it.
                if not any(vbytes for *_, vbytes in items):
                    self._indexed[key] = items
            for tbytes, frequency, weight, vbytes in items:
                length += frequency
                terms[tbytes].append((docnum, weight, vbytes))
        if not field.scorable:
            return 0
        if length:
            self._lengths[name][docnum] = byte_to_length(length_to_byte(length))
        return length

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._postings):
            field = self.schema[name]
            terms = self._postings[name]
            if not terms:
                continue  # Whoosh starts a field at its first posting: this one has none
            lengths = self._lengths.get(name, {})
            writer.start_field(name, field)
            # UTF-8 keeps the order of code points: text terms sort as their bytes do.
            for term in sorted(terms):
                writer.start_term(term.encode("utf-8") if isinstance(term, str) else term)
                _write_postings(writer._postwriter, terms[term], lengths)
                writer.finish_term()
            writer.finish_field()
        writer.close()


def _encoder(field: Any) -> Callable[[list[int]], bytes] | None:
    if not hasattr(field.analyzer, "word_positions"):
        return None
    if type(field.format) is Positions:
        return _positions_value
    if type(field.format) is Frequency:
        return _frequency_value
    return None


def _write_postings(postwriter: Any, postings: list[Posting], lengths: dict[int, int]) -> None:
    """What `add_posting` does per posting (W3PostingsWriter), a block at a time: blocks of
    `_blocklimit` postings (the last one is left for `finish_postings` to write), each with its
    ids, weights, non-empty values, largest weight (from 0) and shortest and longest non-zero
    field lengths (None and 0 when there are none)."""
    limit = postwriter._blocklimit
    for start in range(0, len(postings), limit):
        if start:
            postwriter._write_block()
        docnums, weights, values = zip(*postings[start : start + limit], strict=True)
        postwriter._ids = array("I", docnums)
        postwriter._weights = array("f", weights)
        postwriter._values = [value for value in values if value]
        postwriter._maxweight = max(0, *weights)
        block_lengths = [lengths[d] for d in docnums if d in lengths]
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths) if block_lengths else 0
