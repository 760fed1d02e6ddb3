"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only an allow-list."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from html import unescape
from typing import TypeVar

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from jobboard.domain.french import squash_spaces

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")

_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
# Texts rendered lately, by text: an offer page rendered its three texts twice (the page, its
# structured data) and the summary once more, a third of the page's time, for the same output
# on every visit. Bounded in entries, and only texts up to KEPT_LENGTH characters are kept
# (at most about 25 MB per function).
RENDERED_KEPT = 512
KEPT_LENGTH = 20_000
_Rendered = TypeVar("_Rendered")


def _kept(render: Callable[[str], _Rendered]) -> Callable[[str], _Rendered]:
    """`render` with its last RENDERED_KEPT results for texts of up to KEPT_LENGTH characters
    kept; a missing text renders as an empty one."""
    kept = lru_cache(maxsize=RENDERED_KEPT)(render)

    @wraps(render)
    def rendered(text: str) -> _Rendered:
        text = text or ""
        return kept(text) if len(text) <= KEPT_LENGTH else render(text)

    return rendered


@_kept
def render_markdown(text: str) -> Markup:
    html = _md.render(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


OFFER_TEXTS = ("description", "missions", "profile")


def render_offer_texts(source: object) -> dict[str, Markup]:
    """The three Markdown texts of an offer (or a form, or parsed facts), rendered."""
    return {name: render_markdown(getattr(source, name)) for name in OFFER_TEXTS}


@_kept
def plain_text(text: str) -> str:
    """The words of a Markdown text without markup, for indexing and excerpts."""
    html = _md.render(text)
    return squash_spaces(unescape(nh3.clean(html, tags=set())))
