"""French analysis for the index: every word indexed under two forms at the same position.

The Snowball French stemmer stems accented and unaccented spellings differently
(« infirmière » → infirmi, « infirmiere » → infirmier), and folding accents before stemming
breaks other pairs (« chargée » / « chargé »). So each word gets both forms — stemmed then
folded, and folded then stemmed — at the same position of one field, and a query word matches
either of its own two forms (tests/test_relevance.py holds pairs each order alone misses). One
field instead of two halves the postings written and the lists a query merges.

Both analyzers are Whoosh chains (tokenizer, lower case, a filter), which queries and
highlighting run. The index build asks them `word_positions` instead: the same terms at the
same positions in one pass (tests/search/test_fast_build.py compares the two), a fifth of the
time of three generators and a Token per word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from functools import lru_cache

from whoosh.analysis import Analyzer, CompositeAnalyzer, Filter, LowercaseFilter, RegexTokenizer
from whoosh.analysis.acore import Token
from whoosh.lang import stemmer_for_language, stopwords_for_language

from jobboard.domain.parsing import fold

# Words split on hyphens and apostrophes: « Thizy-les-Bourgs » is found by « Thizy »,
# « l'habitat » by « habitat ».
WORD_PATTERN = r"\w+"
_WORD = re.compile(WORD_PATTERN)
_STOPWORDS = frozenset(stopwords_for_language("fr"))
_FOLDED_STOPWORDS = frozenset(fold(word) for word in _STOPWORDS)
_stem = stemmer_for_language("fr")

# Feminine and plural endings brought to the masculine singular before stemming, because the
# Snowball stemmer does not: « conseillère » → conseiller but « conseiller » → conseil,
# « cheffe » → cheff. Longest suffix first; the stem stays at least three letters.
_ENDINGS = (
    ("ieres", "ier"),
    ("iere", "ier"),
    ("ennes", "en"),
    ("enne", "en"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("trices", "teur"),
    ("trice", "teur"),
    ("eres", "er"),
    ("ere", "er"),
    ("ers", "er"),
    ("ees", "e"),
    ("ee", "e"),
    ("ffes", "f"),
    ("ffe", "f"),
)


def masculine(word: str) -> str:
    """The masculine singular of a folded French word, as far as endings tell."""
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)] + replacement
    return word


@lru_cache(maxsize=200_000)
def forms(word: str) -> tuple[str, ...]:
    """The indexed forms of one lower-case word: none for a stop word, else one or two."""
    folded = fold(word)
    if len(word) < 2 or word in _STOPWORDS or folded in _FOLDED_STOPWORDS:
        return ()
    first = fold(_stem(word))
    second = _stem(masculine(folded))
    return (first,) if first == second else (first, second)


class DualFormFilter(Filter):  # type: ignore[misc]
    """Replaces each token by its forms (see `forms`), at the token's position."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            for form in forms(token.text):
                token.text = form
                yield token


def french() -> Analyzer:
    return FrenchAnalyzer()


def spelling() -> Analyzer:
    """Unstemmed words, accents kept, for « Vouliez-vous dire » suggestions."""
    return SpellingAnalyzer()


def _spelled(word: str) -> bool:
    return len(word) >= 3 and word not in _STOPWORDS


class _StopFilter(Filter):  # type: ignore[misc]
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if _spelled(token.text):
                yield token


@lru_cache(maxsize=200_000)
def _french_forms(word: str) -> tuple[str, ...]:
    """The forms of a word as the text spells it (the chain lower-cases it first)."""
    return forms(word.lower())


@lru_cache(maxsize=200_000)
def _spelling_forms(word: str) -> tuple[str, ...]:
    lower = word.lower()
    return (lower,) if _spelled(lower) else ()


def _word_positions(text: str, forms_of: Callable[[str], tuple[str, ...]]) -> dict[str, list[int]]:
    """Each form the chain yields for `text`, with the positions it yields it at, in order.

    The tokenizer numbers every match of WORD_PATTERN, stop words included (the filters drop a
    token but keep its number), and lower-cases each match, not the text: lower-casing can
    change a text's length (« İ » becomes two characters), hence its matches."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for position, word in enumerate(_WORD.findall(text)):
        for form in forms_of(word):
            positions[form].append(position)
    return positions


class FrenchAnalyzer(CompositeAnalyzer):  # type: ignore[misc]
    """RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | DualFormFilter(), and its terms."""

    def __init__(self) -> None:
        super().__init__(RegexTokenizer(WORD_PATTERN), LowercaseFilter(), DualFormFilter())

    def word_positions(self, text: str) -> dict[str, list[int]]:
        return _word_positions(text, _french_forms)


class SpellingAnalyzer(CompositeAnalyzer):  # type: ignore[misc]
    """RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | _StopFilter(), and its terms."""

    def __init__(self) -> None:
        super().__init__(RegexTokenizer(WORD_PATTERN), LowercaseFilter(), _StopFilter())

    def word_positions(self, text: str) -> dict[str, list[int]]:
        return _word_positions(text, _spelling_forms)
