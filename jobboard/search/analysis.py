"""French analysis for the index.

The Snowball French stemmer stems accented and unaccented spellings differently
(« infirmière » → infirmi, « infirmiere » → infirmier), and folding accents before stemming
breaks other pairs (« chargée » / « chargé »). So every text is indexed twice: once stemmed then
folded, once folded then stemmed, and queries search both (research/deps.md §1).
"""

from __future__ import annotations

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map

# Words of two letters or more; « l'habitat » gives « habitat ».
_TOKENS = r"\w+(?:[-]\w+)*"
_STOPWORDS = frozenset(stopwords_for_language("fr"))
_FOLDED_STOPWORDS = frozenset(word.translate(accent_map) for word in _STOPWORDS)


def stem_then_fold() -> Analyzer:
    return (
        RegexTokenizer(_TOKENS)
        | LowercaseFilter()
        | StopFilter(stoplist=_STOPWORDS, minsize=2)
        | StemFilter(lang="fr", cachesize=50_000)
        | CharsetFilter(accent_map)
    )


def fold_then_stem() -> Analyzer:
    return (
        RegexTokenizer(_TOKENS)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=_FOLDED_STOPWORDS, minsize=2)
        | StemFilter(lang="fr", cachesize=50_000)
    )


def spelling() -> Analyzer:
    """Unstemmed words, accents kept, for « Vouliez-vous dire » suggestions."""
    return RegexTokenizer(_TOKENS) | LowercaseFilter() | StopFilter(stoplist=_STOPWORDS, minsize=3)
