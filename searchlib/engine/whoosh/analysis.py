"""The Whoosh analyzer of article text: searchlib's words, stop list and stems as Whoosh tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from whoosh.analysis import Composable, StemFilter, StopFilter, Token, Tokenizer
from whoosh.formats import Frequency, Positions

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


def news_postings(
    text: str, text_format: Frequency
) -> tuple[list[tuple[bytes, int, float, bytes]], list[str]]:
    """What a field with :func:`news_analyzer` and ``Positions`` indexes for ``text`` (the
    ``(word, frequency, weight, positions)`` postings of ``format.word_values``, words
    encoded), and its words for spelling, without a token object going through each filter:
    the same words, positions and order, at a third of the cost of a build's analysis.

    The positions are those of ``Positions`` whatever ``text_format`` is (it gives the field's
    boost): the sidecar keeps them even for a field Whoosh indexes without them (see
    :class:`~searchlib.engine.whoosh.schema.AnalyzedText`)."""
    positions, spelling = news_positions(text)
    boost, encode = text_format.field_boost, _POSITIONS.encode
    postings = [
        (word.encode("utf-8"), len(found), len(found) * 1.0 * boost, encode(found))
        for word, found in positions.items()
    ]
    return postings, sorted(spelling)


def news_positions(text: str) -> tuple[dict[str, list[int]], set[str]]:
    """Each indexed word (stemmed) of ``text`` with its positions, in the order the words
    first come, and the words for spelling.

    As Whoosh's ``StopFilter`` renumbers them, the first kept word keeps its position among
    all words and each one after it counts one more."""
    stops = stopwords()
    positions: dict[str, list[int]] = {}
    spelling: set[str] = set()
    position = -1
    for index, (word, _start, _end) in enumerate(word_spans(text)):
        if word in stops:
            continue
        position = index if position < 0 else position + 1
        spelling.add(word)
        stemmed = stem(word)
        found = positions.get(stemmed)
        if found is None:
            positions[stemmed] = [position]
        else:
            found.append(position)
    return positions, spelling


def stored_positions(reader: Any, name: str) -> Callable[[bytes], Iterable[tuple[int, list[int]]]]:
    """``(docnum, positions)`` of each posting of a word (encoded) in field ``name`` of
    ``reader``: Whoosh's own when the field keeps positions, else those of the articles'
    stored text analysed again (as :func:`news_postings` analysed it when it was written).

    Analysing again holds every posting of the field with its positions in memory: meant for
    one segment at a time (see ``sidecar.parts.read_part``), or a whole index only when it
    must be read back (its segments have deletions)."""
    field = reader.schema[name]
    if field.format.supports("positions"):
        return lambda text: reader.postings(name, text).items_as("positions")
    held: dict[bytes, list[tuple[int, list[int]]]] = {}
    for docnum, stored in reader.iter_docs():
        text = stored.get(name)
        if text:
            for word, found in news_positions(text)[0].items():
                held.setdefault(word.encode("utf-8"), []).append((docnum, found))
    return lambda text: held.get(text, ())


class Counts(Frequency):
    """Whoosh's ``Frequency`` format without the copy of each frequency in the posting's value:
    the posting's weight is its frequency already (every boost is 1), and Whoosh keeps the
    weights beside the postings. 4 bytes a posting less (166 MB at a million articles).

    Read weights with ``matcher.weight()`` (see ``ranking.weights_of``); a value holds
    nothing to decode."""

    posting_size = 0

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Any:
        """The postings of ``value``, without values."""
        found = super().word_values(value, analyzer, **kwargs)
        return ((word, f, weight, b"") for word, f, weight, _ in found)

    def supports(self, name: str) -> bool:
        """Only the weight is kept: there is no frequency in a value to decode."""
        return name == "weight"

    def decode_frequency(self, valuestring: bytes) -> int:
        """Not kept in the value: the frequency is the posting's weight."""
        raise NotImplementedError("Counts keeps no values: read matcher.weight()")

    def decode_weight(self, valuestring: bytes) -> float:
        """Not kept in the value: read ``matcher.weight()``."""
        raise NotImplementedError("Counts keeps no values: read matcher.weight()")


def is_news_field(text_field: object) -> bool:
    """Whether a Whoosh field indexes as :func:`news_postings` does (its analyzer is
    :func:`news_analyzer`'s, its format plain ``Positions``, ``Frequency`` or ``Counts``)."""
    analyzer = getattr(text_field, "analyzer", None)
    return (
        type(getattr(text_field, "format", None)) in (Positions, Frequency, Counts)
        and analyzer is not None
        and analyzer == _NEWS_ANALYZER
        and all(
            type(a) is type(b) for a, b in zip(analyzer.items, _NEWS_ANALYZER.items, strict=True)
        )
    )


_NEWS_ANALYZER = news_analyzer()
_POSITIONS = Positions()
