"""What a search may do when it runs on the event loop: nothing but memory.

Whoosh reads its files with seek-then-read calls that block, so searches run in a worker
thread. But a search for words already searched (in another order, kind or page, or by
someone else) needs nothing the snapshot does not hold already (postings, stored fields,
corrections and hits are kept per snapshot), and handing it to a thread cost more than the
search itself: under 16 connections the event loop and the worker threads took turns for the
interpreter lock, and typed searches answered at half the rate they do on the loop. So a
search is first tried on the loop with every read forbidden (`held_only`): the first read it
would make raises `NotHeld`, before any file is touched, and the search is run again in a
thread. Work that is long without reading a file (a fuzzy word's expansion over the whole
lexicon) is refused the same way (`defer_if_held`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType


class NotHeld(Exception):
    """The search needs a read from the index, or long work: run it in a thread."""


_state = threading.local()


@contextmanager
def held_only() -> Iterator[None]:
    """Within this block, on this thread, every index read raises `NotHeld`."""
    _state.held_only = True
    try:
        yield
    finally:
        _state.held_only = False


def defer_if_held() -> None:
    """Raise `NotHeld` when called inside `held_only` (before a read or long work)."""
    if getattr(_state, "held_only", False):
        raise NotHeld


class Reads:
    """The lock every Whoosh call of a snapshot is made under (its files are shared, read
    with seek-then-read), refusing inside `held_only`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> None:
        defer_if_held()
        self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
