"""French analysis for the index: every word indexed under two forms at the same position.

The Snowball French stemmer stems accented and unaccented spellings differently
(« infirmière » → infirmi, « infirmiere » → infirmier), and folding accents before stemming
breaks other pairs (« chargée » / « chargé »). So each word gets both forms — stemmed then
folded, and folded then stemmed — at the same position of one field, and a query word matches
either of its own two forms (tests/test_relevance.py holds pairs each order alone misses). One
field instead of two halves the postings written and the lists a query merges.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer
from whoosh.analysis.acore import Token
from whoosh.lang import stemmer_for_language, stopwords_for_language

from jobboard.domain.parsing import fold

# Words split on hyphens and apostrophes: « Thizy-les-Bourgs » is found by « Thizy »,
# « l'habitat » by « habitat ».
WORD_PATTERN = r"\w+"
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
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | DualFormFilter()


def spelling() -> Analyzer:
    """Unstemmed words, accents kept, for « Vouliez-vous dire » suggestions."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | _StopFilter()


class _StopFilter(Filter):  # type: ignore[misc]
    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if len(token.text) >= 3 and token.text not in _STOPWORDS:
                yield token
