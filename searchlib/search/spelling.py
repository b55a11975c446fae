"""Spelling: "did you mean", from the index's own words, their frequencies and company.

A word of the query is replaced by a close word of the index (one edit for words of up to five
letters, two for longer ones) when the index does not know it, or when it knows it only rarely
and a close word is far more frequent (Elasticsearch's "popular" mode: ``Volker`` → ``Volcker``).
Candidates are weighed by how often they occur with the other words of the query, and by how
likely the typo is: a changed first letter is rare, so ``Yeuter wheat`` gives ``Yeutter`` (the
U.S. trade representative) rather than ``Reuter`` (the wire's sign-off).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from ..text import stem, stopwords, word_spans

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..engine.spelling import Candidate

# Spans of a query that are syntax rather than words to spell-check: field clauses, wildcard
# and fuzzy terms, operators.
_NOT_SPELLED = re.compile(
    r'\b[a-z_]+:(?:"[^"]*"|\[[^\]]*\]|\S+)|\S*[*?~]\S*|\b(?:AND|OR|NOT|ANDNOT|TO)\b'
)
#: A known word is replaced only by one this many times as frequent (as weighed in context).
POPULAR = 50
#: A candidate two edits away counts this much less than one a single edit away, and one
#: that changes the first letter (a rare typo: Elasticsearch does not even try) this much less.
SECOND_EDIT = 0.1
FIRST_LETTER = 0.01
#: How many articles' worth of "no evidence" a word's share of company starts from.
SMOOTHING = 10
#: A known word is looked at only if at most this many articles hold it.
RARE = 3
#: At most this many words of a query are spell-checked, and this many give the context.
MOST_CHECKED = 8
MOST_CONTEXT = 8


class Vocabulary(Protocol):
    """What spelling needs of an index (an engine provides it)."""

    def doc_count(self) -> int:
        """How many articles."""

    def frequency(self, term: str) -> int:
        """How many articles hold an analysed word."""

    def candidates(self, forms: Iterable[str], edits: int) -> list[Candidate]:
        """The index's words within ``edits`` edits of any of ``forms``."""

    def together(self, terms: list[str], others: list[str]) -> tuple[list[int], int]:
        """How many articles hold each of ``terms`` and any of ``others``; how many any of
        ``others``."""


def suggest_spelling(text: str, vocabulary: Vocabulary) -> str | None:
    """The query with its misspelt words replaced (see the module's docstring), or ``None``
    when there is nothing better to suggest."""
    skip = [match.span() for match in _NOT_SPELLED.finditer(text)]
    stops = stopwords()
    words = [
        (word, start, end)
        for word, start, end in word_spans(text)
        if not any(lo <= start < hi for lo, hi in skip) and word not in stops
    ]
    terms = [stem(word) for word, _, _ in words]
    frequencies = {term: vocabulary.frequency(term) for term in dict.fromkeys(terms)}
    pieces, cursor, changed, checked = [], 0, False, 0
    for (word, start, end), term in zip(words, terms, strict=True):
        if len(word) < 4 or not word.isalpha() or frequencies[term] > RARE:
            continue
        if checked == MOST_CHECKED:
            break
        checked += 1
        others = [t for t in dict.fromkeys(terms) if t != term and frequencies[t]][:MOST_CONTEXT]
        found = _better(vocabulary, word, term, frequencies[term], others)
        if found:
            pieces += [text[cursor:start], _same_case(text[start:end], found)]
            cursor, changed = end, True
    return "".join([*pieces, text[cursor:]]) if changed else None


def _better(vocabulary: Vocabulary, word: str, term: str, df: int, others: list[str]) -> str | None:
    """A word to type instead of ``word`` (analysed ``term``, held by ``df`` articles), or
    ``None``."""
    edits = 1 if len(word) <= 5 else 2
    candidates: dict[str, Candidate] = {}  # the closest word of each stem
    for candidate in vocabulary.candidates({word}, edits):
        candidates.setdefault(stem(candidate.word), candidate)
    candidates.pop(term, None)
    if not candidates:
        return None
    stems, found = list(candidates), list(candidates.values())
    weights = _weights(vocabulary, [term, *stems], [df, *(c.df for c in found)], others)
    typed = weights[0]
    scores = [
        weight
        * (1.0 if c.distance <= 1 else SECOND_EDIT)
        * (1.0 if c.word[:1] == word[:1] else FIRST_LETTER)
        for weight, c in zip(weights[1:], found, strict=True)
    ]
    best = max(range(len(found)), key=lambda i: (scores[i], -i))
    chosen = found[best]
    if scores[best] <= 0:
        return None
    # A known word: only for a word one edit away, far more frequent, same first letter.
    if df and (
        scores[best] < POPULAR * typed
        or chosen.df < POPULAR * df
        or chosen.distance > 1
        or chosen.word[:1] != word[:1]
    ):
        return None
    return chosen.word


def _weights(
    vocabulary: Vocabulary, words: list[str], frequencies: list[int], others: list[str]
) -> list[float]:
    """How likely each word is in this query: the articles that hold it, times the share of
    those that hold the other words too (smoothed towards the share of all articles that do:
    a word never seen with them is not ruled out)."""
    if not others:
        return [float(df) for df in frequencies]
    counts, context = vocabulary.together(words, others)
    share = context / max(vocabulary.doc_count(), 1)
    return [
        df * (count + SMOOTHING * share) / (df + SMOOTHING)
        for count, df in zip(counts, frequencies, strict=True)
    ]


def _same_case(original: str, word: str) -> str:
    if original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word
