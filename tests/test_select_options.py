"""`select_options` writes what the select macro's loop wrote, once escaped per choice list."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from jobboard.domain.offer import KIND_SHORT_LABELS, OfferKind
from jobboard.web.templating import select_options

# The loop `macros.select` had before: the reference output.
LOOP = jinja2.Environment(autoescape=True).from_string(
    '{% for value, text in choices %}<option value="{{ value }}" '
    "{% if selected == value %}selected{% endif %}>{{ text }}</option>{% endfor %}"
)
CHOICES: list[list[tuple[Any, Any]]] = [
    [("29", "29 – Finistère"), ("2A", "2A – Corse-du-Sud"), ("971", "971 – Guadeloupe")],
    [("a<b", 'Tom & "Jerry" l’été'), ("{x}", "{0} {{y}} }{"), ("", "vide")],
    list(KIND_SHORT_LABELS.items()),
    [(12, "12 mois"), (18, "18 mois")],
]


@pytest.mark.parametrize("choices", CHOICES)
def test_select_options_match_the_template_loop(choices: list[tuple[Any, Any]]) -> None:
    for selected in [None, "", *(value for value, _ in choices), "absent"]:
        assert select_options(choices, selected) == LOOP.render(choices=choices, selected=selected)
    # A second call, from the kept escaping, with the selected value moved.
    assert select_options(iter(choices), choices[-1][0]) == LOOP.render(
        choices=choices, selected=choices[-1][0]
    )


def test_an_enum_value_is_selected_by_its_text() -> None:
    html = select_options(KIND_SHORT_LABELS.items(), "vta")
    assert f'<option value="{OfferKind.VTA.value}" selected>' in html
    assert html.count("selected") == 1
