"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only an allow-list."""

from __future__ import annotations

from html import unescape

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


def render_markdown(text: str) -> Markup:
    html = _md.render(text or "")
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


def plain_text(text: str) -> str:
    """The words of a Markdown text without markup, for indexing and excerpts."""
    html = _md.render(text or "")
    return squash_spaces(unescape(nh3.clean(html, tags=set())))
