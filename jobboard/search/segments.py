"""Arrays read from each Whoosh segment once, kept by segment id across searchers.

An incremental commit adds a small segment (or merges a few small ones) and leaves the others
as they were: their facet values, number columns, field lengths and posting lists are the same
arrays as before. So the arrays are read per segment and kept by segment id, and a new
searcher only reads its new segments; the index-wide arrays are these put end to end, at each
segment's document offset. Deletions change no segment array (a deleted document keeps its
number until a merge): they only change the live documents, read from each new searcher.

Column and length files are fixed-width big-endian numbers, one per document (Whoosh's
`FixedBytesColumn`, missing trailing values meaning the default), so they are read with one
`np.frombuffer` instead of one Python call per document.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.util.numeric import _length_byte_cache

Array = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
# Raw posting lists kept across searchers (per segment: document numbers and frequencies, or
# position keys): 32 MB holds two million postings.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
_LENGTH_OF_BYTE = np.array(_length_byte_cache, dtype=np.float64)


@dataclass(frozen=True)
class SegmentArrays:
    """One segment's per-document values, by document number within the segment."""

    size: int
    codes: dict[str, list[str]]  # the segment's own values of each keyword field
    values: dict[str, Array]  # position in `codes` of each document's value, -1 for none
    bits: dict[str, Array]  # for multi-valued fields: one bit per value of a given list
    numbers: dict[str, Array]
    lengths: dict[str, Scores]


def leaves(reader: IndexReader) -> list[tuple[Any, int]]:
    """(segment reader, document offset) of each segment of `reader`."""
    if reader.is_atomic():
        return [] if reader.segment() is None else [(reader, 0)]  # none in an empty index
    return list(reader.leaf_readers())


def segment_id(leaf: Any) -> str:
    return str(leaf.segment().segment_id())


def live_documents(reader: IndexReader) -> Array:
    """The numbers of the documents not deleted, ascending."""
    alive = np.ones(reader.doc_count_all(), dtype=bool)
    for leaf, offset in leaves(reader):
        if leaf.has_deletions():
            deleted = np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)
            alive[deleted + offset] = False
    return np.flatnonzero(alive).astype(np.int64)


def _fixed_width(leaf: Any, column_name: str, column: Any, dtype: str) -> Array | None:
    """A fixed-width column of one segment as an array (None when the segment has none);
    documents past the stored values get 0."""
    perdoc = leaf._perdoc  # the segment's column files (length columns are not in the schema)
    if not perdoc.has_column(column_name):
        return None
    reader = perdoc.column_reader(column_name, column)
    raw = reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen)
    values = np.zeros(leaf.doc_count_all(), dtype=np.int64)
    stored = np.frombuffer(raw, dtype=dtype)
    stored = stored.astype(stored.dtype.newbyteorder("="))  # to this machine's byte order
    # Unsigned 64-bit values keep their bits (the sign is sorted out by the caller).
    values[: len(stored)] = stored.view(np.int64) if stored.dtype.itemsize == 8 else stored
    return values


def _numbers(leaf: Any, field: Any, name: str) -> Array | None:
    """A NUMERIC field's sortable column as the numbers stored (whoosh.util.numeric's
    `from_sortable` for integers: signed values are kept shifted by half the range)."""
    found = _fixed_width(leaf, name, field.column_type, ">" + field.sortable_typecode)
    if found is None or not field.signed:
        return found
    if field.bits == 64:
        flipped: Array = found ^ np.int64(-(2**63))  # the top bit flipped, read as signed
        return flipped
    shifted: Array = found - (1 << (field.bits - 1))
    return shifted


def read_segment(
    leaf: Any,
    keyword_fields: Iterable[str],
    bit_fields: dict[str, list[str]],
    number_fields: Iterable[str],
    text_fields: Iterable[str],
) -> SegmentArrays:
    size = leaf.doc_count_all()
    schema = leaf.schema
    codes: dict[str, list[str]] = {}
    values: dict[str, Array] = {}
    for name in keyword_fields:
        found = [text_of(t) for t in leaf.lexicon(name)]
        column = np.full(size, -1, dtype=np.int64)
        for position, code in enumerate(found):
            column[_ids(leaf, name, code)] = position
        codes[name], values[name] = found, column
    bits: dict[str, Array] = {}
    for name, known in bit_fields.items():
        column = np.zeros(size, dtype=np.int64)
        for bit, code in enumerate(known):
            if (name, code) in leaf:
                column[_ids(leaf, name, code)] |= 1 << bit
        bits[name] = column
    numbers: dict[str, Array] = {}
    for name in number_fields:
        found_numbers = _numbers(leaf, schema[name], name)
        # An index written before a column existed has none: zeros until it is rebuilt.
        numbers[name] = np.zeros(size, dtype=np.int64) if found_numbers is None else found_numbers
    lengths: dict[str, Scores] = {}
    for name in text_fields:
        found_bytes = _fixed_width(leaf, _lenfield(name), LENGTHS_COLUMN, "u1")
        lengths[name] = (
            np.zeros(size, dtype=np.float64)
            if found_bytes is None
            else _LENGTH_OF_BYTE[found_bytes]
        )
    return SegmentArrays(size, codes, values, bits, numbers, lengths)


def _ids(leaf: Any, field: str, text: str) -> Array:
    return np.fromiter(leaf.postings(field, text).all_ids(), dtype=np.int64)


def text_of(value: bytes | str) -> str:
    """A term as Whoosh hands it out (bytes from a lexicon, str from a query) as text."""
    return value.decode() if isinstance(value, bytes) else value


class SegmentStore:
    """Per-segment arrays and raw posting lists, shared by every searcher of one index."""

    def __init__(self, read: Callable[[Any], SegmentArrays], max_bytes: int = DEFAULT_CACHE_BYTES):
        self._read = read
        self._arrays: dict[str, SegmentArrays] = {}
        self._lists: OrderedDict[tuple[str, str, str, str], Any] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()
        self.segments_read = 0  # how many segments were read (tests look at it)

    def arrays(self, reader: IndexReader) -> list[tuple[SegmentArrays, int]]:
        """Each segment's arrays with its document offset; segments gone from the index are
        forgotten, with their posting lists."""
        found = []
        present = set()
        for leaf, offset in leaves(reader):
            key = segment_id(leaf)
            present.add(key)
            arrays = self._arrays.get(key)
            if arrays is None:
                arrays = self._read(leaf)
                self.segments_read += 1
                with self._lock:
                    self._arrays[key] = arrays
            found.append((arrays, offset))
        with self._lock:
            for key in set(self._arrays) - present:
                del self._arrays[key]
            for list_key in [k for k in self._lists if k[0] not in present]:
                self._bytes -= nbytes(self._lists.pop(list_key))
        return found

    def posting_list(
        self, leaf: Any, kind: str, field: str, text: str, read: Callable[[], Any]
    ) -> Any:
        """A segment's list for one term (`kind` tells which), read on a miss; least
        recently used first out past the byte budget."""
        key = (segment_id(leaf), kind, field, text)
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
                return found
        found = read()
        with self._lock:
            if key not in self._lists:
                self._lists[key] = found
                self._bytes += nbytes(found)
                while self._bytes > self._max_bytes and len(self._lists) > 1:
                    _key, value = self._lists.popitem(last=False)
                    self._bytes -= nbytes(value)
        return found


def nbytes(value: Any) -> int:
    """The size of a cached array, or of a tuple of arrays."""
    if isinstance(value, tuple):
        return sum(part.nbytes for part in value)
    return int(value.nbytes)
