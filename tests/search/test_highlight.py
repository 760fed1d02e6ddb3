"""Highlighting: a text's words analysed once, each search marking the words of its terms."""

from __future__ import annotations

from jobboard.search.analysis import forms
from jobboard.search.highlight import _WORD, excerpt, mark

TEXTS = [
    "Maison de santé pluriprofessionnelle : la maison accueille des santés fragiles.",
    "Revitalisation du centre-bourg, revitaliser les commerces ; commerçants et commerce.",
    "L’opération « Petites villes de demain » : chef·fe de projet, projets, PROJET.",
    "",
]


def test_the_marked_words_are_those_with_a_searched_form() -> None:
    for text in TEXTS:
        words = [(m.span(), set(forms(m.group().lower()))) for m in _WORD.finditer(text)]
        every = {form for _span, found in words for form in found}
        for terms in [
            frozenset(),
            frozenset({"maison"}),
            frozenset(every),
            frozenset(list(every)[:3]),
        ]:
            expected = [span for span, found in words if found & terms]
            html = str(mark(text, terms))
            assert html.count("<mark>") == len(expected), (text, terms)
            for left, right in expected:
                assert f"<mark>{text[left:right]}</mark>" in html.replace("&#39;", "'")
            # Asked again (analysed once): the same answer.
            assert str(mark(text, terms)) == html


def test_an_excerpt_starts_near_the_first_match() -> None:
    text = "début " * 80 + "la revitalisation du centre-bourg " + "fin " * 40
    found = str(excerpt(text, frozenset(forms("revitalisation"))))
    assert found.startswith("… ") and "<mark>revitalisation</mark>" in found
