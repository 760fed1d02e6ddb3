"""French analysis for the index.

The Snowball French stemmer stems accented and unaccented spellings differently
(« infirmière » → infirmi, « infirmiere » → infirmier), and folding accents before stemming
breaks other pairs (« chargée » / « chargé »). So every text is indexed twice: once stemmed then
folded, once folded then stemmed, and queries search both (research/deps.md §1).
"""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.analysis.acore import Token
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map

# Words split on hyphens and apostrophes: « Thizy-les-Bourgs » is found by « Thizy »,
# « l'habitat » by « habitat ».
_TOKENS = r"\w+"
# Whoosh's accent map leaves the ligatures alone: « Plœuc » must match « ploeuc ».
FOLDING = {**accent_map, ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae"}
_STOPWORDS = frozenset(stopwords_for_language("fr"))
_FOLDED_STOPWORDS = frozenset(word.translate(FOLDING) for word in _STOPWORDS)

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


class MasculineFilter(Filter):  # type: ignore[misc]
    """Token filter applying `masculine` (runs after accent folding)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = masculine(token.text)
            yield token


def stem_then_fold() -> Analyzer:
    return (
        RegexTokenizer(_TOKENS)
        | LowercaseFilter()
        | StopFilter(stoplist=_STOPWORDS, minsize=2)
        | StemFilter(lang="fr", cachesize=50_000)
        | CharsetFilter(FOLDING)
    )


def fold_then_stem() -> Analyzer:
    return (
        RegexTokenizer(_TOKENS)
        | LowercaseFilter()
        | CharsetFilter(FOLDING)
        | StopFilter(stoplist=_FOLDED_STOPWORDS, minsize=2)
        | MasculineFilter()
        | StemFilter(lang="fr", cachesize=50_000)
    )


def spelling() -> Analyzer:
    """Unstemmed words, accents kept, for « Vouliez-vous dire » suggestions."""
    return RegexTokenizer(_TOKENS) | LowercaseFilter() | StopFilter(stoplist=_STOPWORDS, minsize=3)
