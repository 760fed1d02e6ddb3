"""The offer cards of a list of hits (the board, the home page, similar offers).

A visitor's card depends only on the hit and on the search its link carries back: the page's
own address appears once, in the « Sauvegarder » link to sign in. So a visitor's card is
rendered once, by the `offer_card` macro, with a random marker for that address, and kept:
each page puts its quoted address in place of the marker. The board shown by kind or
département without words, or the same words in another order, shows the same cards again;
rendering them was most of the page. Cards of signed-in users (their verdict, their saved
offers, their applications, a form with their token) are rendered each time.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import jinja2
from jinja2.filters import do_urlencode
from markupsafe import Markup
from starlette.requests import Request

from jobboard.search.searcher import Hit
from jobboard.web.auth import current_user

MACROS = "offers/_offer_macros.html"
CARDS_KEPT = 2048  # about 2 kB each


class OfferCards:
    """`offer_cards(request, hits, marks, board_query)` for templates; `marks` (offer id →
    OfferMark) may be None, `board_query` is the search the cards' links carry back."""

    def __init__(self, env: jinja2.Environment, kept: int = CARDS_KEPT) -> None:
        self._env = env
        self.kept = kept
        # Templates render on the event loop only: no lock.
        self._cards: OrderedDict[Hashable, tuple[Hit, Markup]] = OrderedDict()
        # Stands for the page's address in a kept card: random, so no offer's text can hold it.
        self._marker = secrets.token_hex(16)
        self.rendered = 0  # cards rendered by the macro (the others came from the kept ones)

    def __call__(
        self,
        request: Request,
        hits: Sequence[Hit],
        marks: Mapping[int, Any] | None = None,
        board_query: str | None = None,
    ) -> Markup:
        viewer = current_user(request)
        query = request.url.query
        back = request.url.path + (f"?{query}" if query else "")
        card = self._env.get_template(MACROS).module.offer_card  # type: ignore[attr-defined]
        if viewer is not None:
            marks = marks or {}
            self.rendered += len(hits)
            return Markup("").join(
                card(request, viewer, hit, marks.get(hit.id), back, board_query) for hit in hits
            )
        quoted = do_urlencode(back)
        found = []
        for hit in hits:
            # A hit is made once per index snapshot and words, and never changes: it is known
            # by its identity (the kept entry holds it, so its id is not reused meanwhile).
            key = (id(hit), board_query)
            entry = self._cards.get(key)
            if entry is None or entry[0] is not hit:
                entry = (hit, card(request, None, hit, None, self._marker, board_query))
                self.rendered += 1
                self._cards[key] = entry
                if len(self._cards) > self.kept:
                    self._cards.popitem(last=False)
            else:
                self._cards.move_to_end(key)
            found.append(entry[1].replace(self._marker, quoted))
        return Markup("").join(found)
