"""Offer cards (jobboard.web.cards): a visitor's cards rendered once and kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from markupsafe import Markup
from starlette.requests import Request

from jobboard.domain.account import Role
from jobboard.models import User
from jobboard.search.searcher import Hit
from jobboard.web.cards import MACROS, OfferCards
from jobboard.web.state import templates


def _hit(number: int) -> Hit:
    return Hit(
        id=number,
        title=f"Chargé de mission n° {number}",
        title_html=Markup(f"Chargé de <mark>mission</mark> n° {number}"),
        excerpt_html=Markup("La commune cherche un chargé de <mark>mission</mark> « rempart »…"),
        kind="vta",
        commune_name="Espinasses",
        departement="05",
        departement_name="Hautes-Alpes",
        themes=["patrimoine"],
        deadline=date(2027, 1, 15),
        duration_months=12,
        min_diploma_level=5,
    )


def _request(query: str, user: User | None = None) -> Request:
    scope = {"type": "http", "method": "GET", "path": "/offres", "headers": [],
             "query_string": query.encode(), "user": user}  # fmt: skip
    return Request(scope)


def _by_macro(request: Request, hits: list[Hit], board_query: str | None = None) -> str:
    """The cards as the macro alone renders them."""
    card = templates().env.get_template(MACROS).module.offer_card  # type: ignore[attr-defined]
    back = "/offres" + (f"?{request.url.query}" if request.url.query else "")
    return "".join(card(request, None, hit, None, back, board_query) for hit in hits)


def test_a_visitors_cards_are_rendered_once_then_show_each_pages_own_address() -> None:
    cards = OfferCards(templates().env)
    hits = [_hit(1), _hit(2)]
    first = cards(_request("q=mission"), hits)
    assert first == _by_macro(_request("q=mission"), hits) and cards.rendered == 2
    other = cards(_request("q=mission&tri=date"), hits)
    assert other == _by_macro(_request("q=mission&tri=date"), hits) and cards.rendered == 2
    assert "suivant=/offres%3Fq%3Dmission%26tri%3Ddate" in other and other != first
    # Cards whose link carries a search back are other cards.
    carried = cards(_request(""), hits, board_query="q=mission")
    assert carried == _by_macro(_request(""), hits, "q=mission") and cards.rendered == 4
    assert "?depuis=q%3Dmission" in carried
    # A hit that changed (its deadline, its highlights) is rendered anew.
    moved = replace(hits[0], deadline=date(2027, 2, 1))
    plain = replace(hits[0], title_html=Markup(hits[0].title))
    for changed in (moved, plain):
        assert cards(_request("q=mission"), [changed]) == _by_macro(
            _request("q=mission"), [changed]
        )
    assert cards.rendered == 6


def test_kept_cards_are_bounded_and_a_signed_in_users_are_never_kept() -> None:
    cards = OfferCards(templates().env, kept=3)
    hits = [_hit(number) for number in range(5)]
    for hit in hits:
        cards(_request(""), [hit])
    assert len(cards._cards) == 3 and cards.rendered == 5
    cards(_request(""), [hits[4]])
    assert cards.rendered == 5
    # A hit is known by its identity: an equal one made again (by the next index snapshot)
    # is rendered again.
    cards(_request(""), [_hit(4)])
    assert cards.rendered == 6 and len(cards._cards) == 3
    recruiter = User(id=7, email="lea@example.fr", full_name="Léa", role=Role.RECRUITER)
    for _ in range(2):
        shown = cards(_request("", recruiter), [_hit(4)])
        assert "Sauvegarder" not in shown  # a recruiter's card has no candidate's actions
    assert cards.rendered == 8 and len(cards._cards) == 3
