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

What a search needs may be being read right then by another search, in a thread (the live
search sends the same words in several orders and kinds at once). That search's `Finding` is
then what the refusal carries: the search on the loop waits for it without blocking the loop
(`Finding.on_done`) and is tried on the loop again, instead of waiting in a thread of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Finding(Generic[V]):
    """What one search is finding while others wait for it: in their threads (`wait`), or on
    the event loop (`on_done`). `found` is None when it failed."""

    def __init__(self) -> None:
        self.found: V | None = None
        self._done = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def wait(self) -> V | None:
        self._done.wait()
        return self.found

    def finish(self, found: V | None) -> None:
        with self._lock:
            self.found = found
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_done(self, callback: Callable[[], None]) -> None:
        """`callback()` once finished (at once if it is), from the thread that finished it."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()


class NotHeld(Exception):
    """The search needs a read from the index, or long work: run it in a thread, or, when
    `waiting` is set, wait for that other search to find what it needs and try again."""

    def __init__(self, waiting: Finding[Any] | None = None) -> None:
        super().__init__()
        self.waiting = waiting


_state = threading.local()


@contextmanager
def held_only() -> Iterator[None]:
    """Within this block, on this thread, every index read raises `NotHeld`."""
    _state.held_only = True
    try:
        yield
    finally:
        _state.held_only = False


def defer_if_held(waiting: Finding[Any] | None = None) -> None:
    """Raise `NotHeld` when called inside `held_only` (before a read, long work, or a wait
    for `waiting`)."""
    if getattr(_state, "held_only", False):
        raise NotHeld(waiting)


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
