"""Offer texts are rendered once and kept (bounded), not on every page view."""

from __future__ import annotations

from jobboard import markdown


def test_a_text_is_rendered_once_then_kept() -> None:
    text = "Vous **pilotez** le projet de revitalisation.\n\n- habitat\n- commerce"
    first = markdown.render_markdown(text)
    assert first == (
        "<p>Vous <strong>pilotez</strong> le projet de revitalisation.</p>\n"
        "<ul>\n<li>habitat</li>\n<li>commerce</li>\n</ul>\n"
    )
    assert markdown.render_markdown(text) is first
    words = markdown.plain_text(text)
    assert words == "Vous pilotez le projet de revitalisation. habitat commerce"
    assert markdown.plain_text(text) is words


def test_a_very_long_text_is_rendered_each_time_and_not_kept() -> None:
    text = "mot " * (markdown.KEPT_LENGTH // 4 + 1)
    first = markdown.render_markdown(text)
    assert first.startswith("<p>mot mot")
    again = markdown.render_markdown(text)
    assert again == first and again is not first
    assert markdown.plain_text(text) is not markdown.plain_text(text)
