"""Board pages rendered once per index state for visitors without a session.

A visitor who has no session cookie (no account, no CSRF secret, no flash message: most
candidates arriving from a search engine or a link, and every crawler) gets the same bytes for
the same address as long as the index and the day stay the same: the search, the facets and
twenty offer cards were rendered anew on every request for identical output. The page is kept
under a key made of the search snapshot it came from, the board's day, the path, the query
string and whether htmx asked for a fragment; a commit to the index starts a new snapshot, so
every key changes and an approved offer shows at once. Bounded in entries and in bytes, the
least recently used page leaves first. Only 200 answers are kept; signed-in users, visitors
with a session and every other status render each time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from jobboard.clock import today
from jobboard.web import htmx

MAX_PAGES = 512
MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class CachedPage:
    status_code: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    push_url: str | None  # for a fragment: the address htmx puts in the history

    def response(self, request: Request) -> Response:
        response = Response(self.body, status_code=self.status_code)
        # A new list each time: middleware appends its headers to the one it is sent.
        response.raw_headers = list(self.headers)
        if self.push_url is not None:
            htmx.push_url(request, response, self.push_url)
        return response


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    @staticmethod
    def serves(request: Request) -> bool:
        """Whether this request may get a kept page: a GET from a visitor without a session."""
        return request.method == "GET" and not request.scope.get("session")

    @staticmethod
    def key(request: Request, snapshot: Hashable) -> Hashable:
        """The page's key, for the search snapshot it is rendered from."""
        return (
            snapshot,
            today(),
            request.url.path,
            request.scope.get("query_string", b""),
            htmx.wants_fragment(request),
        )

    def get(self, key: Hashable) -> CachedPage | None:
        page = self._pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: Hashable, response: Response, push_url: str | None = None) -> None:
        if response.status_code != 200 or len(response.body) > self.max_bytes:
            return
        history = (b"hx-push-url", b"hx-replace-url")  # set again for each request
        headers = tuple((k, v) for k, v in response.raw_headers if k.lower() not in history)
        page = CachedPage(response.status_code, bytes(response.body), headers, push_url)
        previous = self._pages.pop(key, None)
        if previous is not None:
            self.bytes -= len(previous.body)
        self._pages[key] = page
        self.bytes += len(page.body)
        while len(self._pages) > self.max_pages or self.bytes > self.max_bytes:
            _, oldest = self._pages.popitem(last=False)
            self.bytes -= len(oldest.body)
