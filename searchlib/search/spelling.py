"""Spelling: "did you mean" for the words of a query that the index does not know."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..text import stem, stopwords, word_spans

if TYPE_CHECKING:
    from collections.abc import Callable

# Spans of a query that are syntax rather than words to spell-check: field clauses, wildcard
# and fuzzy terms, operators.
_NOT_SPELLED = re.compile(
    r'\b[a-z_]+:(?:"[^"]*"|\[[^\]]*\]|\S+)|\S*[*?~]\S*|\b(?:AND|OR|NOT|ANDNOT|TO)\b'
)


def suggest_spelling(
    text: str,
    *,
    known: Callable[[str], bool],
    closest: Callable[[str, int], str | None],
) -> str | None:
    """The query with each word the index does not know replaced by the closest word it knows,
    or ``None`` when every word is known (or nothing better is found).

    ``known(term)`` tells whether an analysed word is in the index; ``closest(word, edits)``
    gives the index's closest word within that many edits, if any.
    """
    skip = [match.span() for match in _NOT_SPELLED.finditer(text)]
    stops = stopwords()
    pieces, cursor, changed = [], 0, False
    for word, start, end in word_spans(text):
        if len(word) < 4 or not word.isalpha() or word in stops:
            continue
        if any(lo <= start < hi for lo, hi in skip):
            continue
        if known(stem(word)):
            continue
        found = closest(word, 1 if len(word) <= 5 else 2)
        if found:
            pieces += [text[cursor:start], _same_case(text[start:end], found)]
            cursor, changed = end, True
    return "".join([*pieces, text[cursor:]]) if changed else None


def _same_case(original: str, word: str) -> str:
    if original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word
