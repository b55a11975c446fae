"""The Whoosh analyzer of article text: searchlib's words, stop list and stems as Whoosh tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from whoosh.analysis import Composable, StemFilter, StopFilter, Token, Tokenizer

from ...text import stem, stopwords, word_spans

if TYPE_CHECKING:
    from whoosh.analysis import Analyzer


class NewsTokenizer(Tokenizer):
    """A Whoosh tokenizer over :func:`word_spans`: folded, lower-case words with positions."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.stopped = 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for pos, (word, start, end) in enumerate(word_spans(value), start_pos):
            token.text = word
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def news_analyzer() -> Analyzer | Composable:
    """The analyzer for article text, used both to index and to parse queries."""
    return (
        NewsTokenizer()
        | StopFilter(stoplist=stopwords(), minsize=1)
        | StemFilter(stemfn=stem, cachesize=100_000)
    )
