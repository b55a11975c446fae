"""The Whoosh schema of every searchlib index, and text fields analysed ahead (in workers)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from ...fields import ENTITY_FIELDS, TEXT_FIELDS
from ..sidecar.files import KEPT_FIELDS
from .analysis import Counts, is_news_field, news_analyzer, news_postings

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class Analyzed(NamedTuple):
    """A text field analysed ahead of writing: its postings and its words for spelling."""

    postings: list[tuple[bytes, int, float, bytes]]
    spelling: list[str]


class AnalyzedText(TEXT):
    """Whoosh's TEXT field that also takes text analysed ahead (see :func:`analyze_document`),
    so that a build can analyse in worker processes and only write in this one.

    Text analysed ahead holds its positions (the sidecar keeps them); a field without them
    (``phrase=False``) keeps its frequencies as weights only (``Counts``), and one of an index
    written before as ``Frequency`` values too."""

    def __init__(
        self, *args: Any, phrase: bool = True, field_boost: float = 1.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, phrase=phrase, field_boost=field_boost, **kwargs)
        if not phrase and not WHOOSH_FREQUENCY_VALUES:
            self.format = Counts(field_boost=field_boost)

    def index(self, value: Any, **kwargs: Any) -> Any:
        """Postings of ``value``: given ready if it was analysed ahead, else computed now."""
        if isinstance(value, Analyzed):
            if type(self.format) is Counts:
                return ((word, f, weight, b"") for word, f, weight, _ in value.postings)
            if type(self.format) is Frequency:  # (an index written before Counts)
                return ((word, f, weight, pack_uint(f)) for word, f, weight, _ in value.postings)
            return iter(value.postings)
        return super().index(value, **kwargs)

    def spellable_words(self, value: Any) -> Any:
        """Words of ``value`` for spelling suggestions (unstemmed), ready or computed now."""
        if isinstance(value, Analyzed):
            return iter(value.spelling)
        return super().spellable_words(value)


@lru_cache(maxsize=1)
def cached_schema() -> Schema:
    """The schema, made once per process."""
    return make_schema()


def analyze_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Analyse the text fields of a Whoosh document in place (see :class:`AnalyzedText`)."""
    schema = cached_schema()
    for name in TEXT_FIELDS:
        text = doc.get(name)
        if text:
            doc[name] = analyze_text(schema[name], text)
            doc[f"_stored_{name}"] = text
    return doc


def analyze_text(text_field: Any, text: str) -> Analyzed:
    """What ``text_field.index(text)`` gives and the words for spelling, from one pass of the
    analyzer where it can: the words for spelling are those of the analyzer
    without its morphological filters (stemming), so when those come last they are the words
    that reach them, taken on the way."""
    if is_news_field(text_field):  # every text field of the schema: no tokens to make
        return Analyzed(*news_postings(text, text_field.format))
    items = list(getattr(text_field.analyzer, "items", ()))
    morph = [bool(getattr(item, "is_morph", False)) for item in items]
    if not items or morph[0] or True not in morph or False in morph[morph.index(True) :]:
        spelling = text_field.spellable_words(text)
        return Analyzed(list(text_field.index(text)), list(spelling))
    first_morph = morph.index(True)
    words: list[str] = []

    def taken(tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            words.append(token.text)
            yield token

    def analyzer(value: str, **kwargs: Any) -> Iterator[Any]:
        tokens = items[0](value, **kwargs)
        for item in items[1:first_morph]:
            tokens = item(tokens)
        tokens = taken(tokens)
        for item in items[first_morph:]:
            tokens = item(tokens)
        return tokens

    # As TEXT.index does, with the analyzer above.
    postings = [
        (word.encode("utf-8"), freq, weight, value)
        for word, freq, weight, value in text_field.format.word_values(text, analyzer, mode="index")
    ]
    return Analyzed(postings, sorted(set(words)))


#: The stored fields a full build keeps of each article it writes: the sidecar's columns


def kept_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields of a document that the sidecar and the entity table keep."""
    return {key: doc[key] for key in KEPT_FIELDS if key in doc}


def analysed_postings(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The analysed postings of a document's text fields (``None`` if one was not analysed)."""
    postings = {}
    for name in TEXT_FIELDS:
        value = doc.get(name)
        if isinstance(value, Analyzed):
            postings[name] = value.postings
        elif value:
            return None
    return postings


#: Whether Whoosh keeps the positions of the title's and body's words. It does not: the
#: sidecar keeps them (in a fifth of the space) and answers phrases from them, also for
#: Whoosh's matchers (see ``patches``); Whoosh's took 14% of an index. Indexes written with
#: them are read as written. (Tests build such indexes to compare with Whoosh's own phrases.)
WHOOSH_POSITIONS = False


#: Whether a field without positions keeps each frequency in the posting's value too (the
#: ``Frequency`` format), as indexes written before ``Counts`` do; they are read and grown as
#: written. (Tests build such indexes to compare.)
WHOOSH_FREQUENCY_VALUES = False


def make_schema() -> Schema:
    """The Whoosh schema every searchlib index uses."""
    analyzer = news_analyzer()
    entity = {"stored": True, "commas": True, "lowercase": True, "scorable": False}
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        # Their words for spelling go beside each segment (engine/spelling.py), not into
        # Whoosh's spelling fields: those held every word's postings, 28% of an index.
        title=AnalyzedText(
            analyzer=analyzer, stored=True, multitoken_query="phrase", phrase=WHOOSH_POSITIONS
        ),
        body=AnalyzedText(
            analyzer=analyzer, stored=True, multitoken_query="phrase", phrase=WHOOSH_POSITIONS
        ),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        # Shown, never searched: stored only (their terms took 3% of an index).
        dateline=STORED(),
        author=AnalyzedText(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        **{kind: KEYWORD(**entity) for kind in ENTITY_FIELDS},
        entity_aliases=STORED(),
        source=STORED(),
        content_hash=STORED(),
    )
