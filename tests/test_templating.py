"""The template helpers of jobboard.web.templating."""

from __future__ import annotations

from pathlib import Path

import httpx
from jinja2_fragments import render_blocks
from starlette.requests import Request

from jobboard import PROJECT_ROOT
from jobboard.web.templating import Templates


def test_a_template_without_context_is_rendered_once_per_process(tmp_path: Path) -> None:
    (tmp_path / "dialog.html").write_text("<dialog>{{ 'a < b' }}</dialog>", encoding="utf-8")
    (tmp_path / "page.html").write_text("<p>{{ n }}</p>{{ rendered_once('dialog.html') }}")
    templates = Templates(str(tmp_path))
    loads: list[str] = []
    get_template = templates.env.get_template
    templates.env.get_template = lambda name: loads.append(name) or get_template(name)  # type: ignore[method-assign]
    pages = [templates.render_string("page.html", {"n": n}) for n in range(3)]
    assert pages[2] == "<p>2</p><dialog>a &lt; b</dialog>"
    assert loads.count("dialog.html") == 1 and loads.count("page.html") == 3


def test_every_page_has_the_display_settings_dialog_once() -> None:
    templates = Templates(str(PROJECT_ROOT / "templates"))
    dialog = templates.rendered_once("_display_settings.html")
    assert dialog.count('id="fr-theme-modal"') == 1 and dialog.count('type="radio"') == 3
    assert 'href="/static/vendor/dsfr/artwork/pictograms/environment/moon.svg' in dialog


async def test_pages_show_the_display_settings_dialog(client: httpx.AsyncClient) -> None:
    for path in ("/", "/offres", "/connexion"):
        page = (await client.get(path)).text
        assert page.count('<dialog id="fr-theme-modal"') == 1, path
        assert 'aria-controls="fr-theme-modal"' in page, path


def test_a_fragment_is_its_blocks_rendered_from_one_context(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}{% block body %}<p>{% block a %}{{ n }} {{ Role.STAFF.value }}'
        "{% endblock %}</p>{% block b %}{% set n = n + 1 %}{{ n }}{% endblock %}"
        "{% block c %}{{ n }} {{ request.url.path }}{% endblock %}{% endblock %}"
    )
    templates = Templates(str(tmp_path))
    contexts: list[object] = []
    template = templates.env.get_template("page.html")
    new_context = template.new_context
    template.new_context = lambda *a, **k: contexts.append(a) or new_context(*a, **k)  # type: ignore[method-assign]
    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"",
             "headers": [(b"hx-request", b"true"), (b"host", b"a")]}  # fmt: skip
    request = Request(scope)
    fragment = templates.page(request, "page.html", {"n": 1}, fragment_blocks=("c", "b", "a"))
    assert len(contexts) == 1 and fragment.headers["vary"] == "HX-Request"
    # What jinja2-fragments renders, one context per block: the same text.
    expected = render_blocks(templates.env, "page.html", ["c", "b", "a"], n=1, request=request)
    assert fragment.body.decode() == expected == "1 /x21 staff"
    plain = {"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": []}
    whole = templates.page(Request(plain), "page.html", {"n": 1}, fragment_blocks=("a",))
    assert whole.body.decode() == "<main><p>1 staff</p>21 /x</main>"
