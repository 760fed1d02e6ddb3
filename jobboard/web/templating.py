"""Jinja2 environment and the one helper that renders a full page or an htmx fragment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import jinja2
from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from jobboard.domain import rules
from jobboard.domain.accessibility import conformity
from jobboard.domain.account import Role, Verification
from jobboard.domain.application import ApplicationStatus
from jobboard.domain.diploma import diploma_label
from jobboard.domain.french import hours_fr, months_fr, number_fr
from jobboard.domain.offer import KIND_SHORT_LABELS, STATUS_LABELS, THEMES, OfferKind, OfferStatus
from jobboard.formats import date_fr, datetime_fr
from jobboard.web import htmx
from jobboard.web.auth import current_user, staff_counts
from jobboard.web.cards import OfferCards
from jobboard.web.csrf import csrf_token, existing_csrf_token
from jobboard.web.session import pop_flashes


def accessibility_status(request: Request) -> str:
    """« non conforme » until an RGAA audit is recorded in the settings (footer, statement)."""
    settings = getattr(request.app.state, "settings", None)
    return conformity(settings.accessibility_audit_rate if settings else None)


def select_options(choices: Iterable[tuple[Any, Any]], selected: Any) -> Markup:
    """The `<option>`s of a select, `selected` marked: what `macros.select` wrote with a loop.
    The board's form has a hundred départements and is on every search page, typed letter by
    letter: the options are escaped once per list of choices, not on every render."""
    # Every piece is escaped markup already: joined as text, not escaped again one by one.
    return Markup(  # noqa: S704 - every piece escaped by _options
        "".join(
            chosen if selected == value else plain
            for value, plain, chosen in _options(tuple(choices))
        )
    )


@lru_cache(maxsize=64)
def _options(choices: tuple[tuple[Any, Any], ...]) -> tuple[tuple[Any, Markup, Markup], ...]:
    """(value, its option, its option selected) for each choice, escaped."""
    option = Markup('<option value="{}" {}>{}</option>')
    return tuple(
        (value, option.format(value, "", text), option.format(value, Markup("selected"), text))
        for value, text in choices
    )


class Templates:
    def __init__(self, directory: str) -> None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the code: no stat() of every included file on every render
            # (about 80 per board page, 3 ms); a restart picks up a changed template.
            auto_reload=False,
        )
        env.filters.update(
            date_fr=date_fr,
            datetime_fr=datetime_fr,
            number_fr=number_fr,
            hours_fr=hours_fr,
            months_fr=months_fr,
            diploma=diploma_label,
            kind_label=lambda k: KIND_SHORT_LABELS[OfferKind(k)],
            status_label=lambda s: STATUS_LABELS[OfferStatus(s)],
            theme_label=lambda t: THEMES.get(t, t),
        )
        env.globals.update(
            csrf_token=csrf_token,
            select_options=select_options,
            existing_csrf_token=existing_csrf_token,
            current_user=current_user,
            pop_flashes=pop_flashes,
            staff_counts=staff_counts,
            accessibility_status=accessibility_status,
            rules=rules,  # the programme's rule values and texts: {{ rules.VTA_DURATION }}
            # The vocabularies, so templates compare with `Role.STAFF` rather than spell "staff".
            Role=Role,
            Verification=Verification,
            ApplicationStatus=ApplicationStatus,
            OfferKind=OfferKind,
            OfferStatus=OfferStatus,
        )
        env.globals["offer_cards"] = self.offer_cards = OfferCards(env)
        env.globals["rendered_once"] = self.rendered_once
        self.env = env
        self._blocks = Jinja2Blocks(env=env)

    def page(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        fragment_blocks: Sequence[str] = (),
    ) -> Response:
        """Render `name` whole, or only `fragment_blocks` for a partial htmx request.

        Every response that can be either carries `Vary: HX-Request` so caches keep both.
        """
        ctx = dict(context)
        if fragment_blocks and htmx.wants_fragment(request):
            response: Response = self._fragment(request, name, ctx, fragment_blocks, status_code)
        else:
            response = self._blocks.TemplateResponse(request, name, ctx, status_code=status_code)
        return htmx.vary(response) if fragment_blocks else response

    def _fragment(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        blocks: Sequence[str],
        status_code: int,
    ) -> HTMLResponse:
        """The blocks of a fragment, in order, rendered from one context, as Jinja renders the
        blocks of a whole page. jinja2-fragments builds a context per block, each a copy of
        every global: for the board's four blocks, a tenth of a search typed in the box."""
        template = self.env.get_template(name)
        context.setdefault("request", request)
        ctx = template.new_context(context)
        try:
            content = "".join(self.env.concat(template.blocks[block](ctx)) for block in blocks)
        except Exception:
            self.env.handle_exception()  # the template's own line in the traceback
        return HTMLResponse(content, status_code=status_code)

    @lru_cache(maxsize=16)  # noqa: B019 (one Templates per process: jobboard.web.state)
    def rendered_once(self, name: str) -> Markup:
        """A template that uses no context (the display settings' dialog on every page),
        rendered once per process: `{{ rendered_once("…") }}` instead of an include."""
        return Markup(self.env.get_template(name).render())  # noqa: S704 - autoescaped

    def render_string(self, name: str, context: Mapping[str, Any]) -> str:
        return self.env.get_template(name).render(context)

    def html(self, name: str, context: Mapping[str, Any], status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(self.render_string(name, context), status_code=status_code)
