"""Analysis: turn source records into articles, and text into the terms the index stores.

Two jobs that belong to one stage of the pipeline:

* :func:`prepare` is a pure function from a :class:`~searchlib.sources.SourceRecord` to an
  :class:`Article`: it reads the leading header of a news text (publication date, dateline),
  chooses the title and leaves the searchable body. Being pure, it can run in worker processes.
* :func:`news_analyzer` is the Whoosh analyzer used at index and query time: NLTK tokenization
  (no NLTK data packages needed), accent folding, hyphenated names split into their parts,
  the project's stop list and NLTK's Snowball English stemmer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import regex
from nltk.stem.snowball import SnowballStemmer
from whoosh.analysis import Composable, StemFilter, StopFilter, Token, Tokenizer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from whoosh.analysis import Analyzer

    from .entities import ArticleEntities
    from .sources import SourceRecord

TITLE_MAX_CHARS = 120

# ---------------------------------------------------------------------------------------------
# Articles


@dataclass(frozen=True)
class Article:
    """One news article, ready to index.

    ``date`` is ``YYYY-MM-DD`` or ``None`` when the source does not state one; we never guess a
    date from the body. ``dateline`` is the place (and agency) line the header opened with.
    ``line`` or ``entry`` tells where in ``source`` the article is (a line, a feed entry).
    """

    id: str
    title: str
    body: str
    date: str | None = None
    dateline: str = ""
    source: str = ""
    line: int | None = None
    content_hash: str = ""
    author: str = ""
    entry: int | None = None
    person: tuple[str, ...] = field(default=())
    org: tuple[str, ...] = field(default=())
    place: tuple[str, ...] = field(default=())
    #: ``(kind, alias, name)`` triples the article defines, such as ("org", "MWL", "Muslim World
    #: League"); joined across the index by :class:`searchlib.entities.EntityTable`.
    entity_aliases: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def year(self) -> str | None:
        """The publication year as a string, or ``None`` for an undated article."""
        return self.date[:4] if self.date else None


def prepare(record: SourceRecord) -> Article:
    """Turn one source record into an article: header, title, date and body."""
    text = record.text.replace("\r\n", "\n").replace("\r", "\n")
    date, dateline = valid_iso_date(record.date), ""
    if record.has_header:
        header = parse_header(text)
        date, dateline, text = header.date, header.dateline, text[header.end :]
    text = text.strip()
    title = (record.title or "").strip()
    if not title and record.has_header:
        heading, rest = split_heading(text)
        if heading:
            title, text = heading, rest
    derived_title = not title
    if derived_title:
        title = first_sentence(text)
    found = find_entities(text if derived_title else f"{title}\n\n{text}", dateline)
    return Article(
        id=record.id,
        title=title,
        body=text,
        date=date,
        dateline=dateline,
        source=record.source,
        line=record.line,
        content_hash=record.content_hash,
        author=record.author or "",
        entry=record.entry,
        person=found.person,
        org=found.org,
        place=found.place,
        entity_aliases=found.aliases,
    )


def find_entities(text: str, dateline: str = "") -> ArticleEntities:
    """The people, organisations and places of an article's text, under canonical names; the
    place of a dateline ("NUR-SULTAN (KAZINFORM)") counts too."""
    # Imported here: the tagger's model loads on first use, and entities imports this module.
    from .entities import article_entities
    from .ner import extract_mentions

    return article_entities(text, extract_mentions(text), dateline.split(" (")[0])


# ---------------------------------------------------------------------------------------------
# Headers, headings, first sentences

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DASH = r"[-–—]"
# " date 2025-09-16 " as written by the crawler that produced the seed files.
_DATE_FIELD = re.compile(r"\A\s*date\s+(?P<iso>\d{4}-\d{2}-\d{2})\b[ \t]*")
# "Astana, 11 October 2023 (TDI): " or "LONDON, Oct 5, 2023 (Reuters) - ".
_PLACE_DATE = re.compile(
    r"\A\s*(?P<place>[A-Z][\w'’. -]{1,40}?),\s+"
    rf"(?:(?P<day>\d{{1,2}})\s+{_MONTH}"
    rf"|{_MONTH.replace('month', 'month2')}\s+(?P<day2>\d{{1,2}}),?)"
    r"\s+(?P<year>\d{4})"
    rf"\s*(?:\((?P<agency>[^)\n]{{1,40}})\))?\s*(?::|{_DASH})\s+"
)
# "NUR-SULTAN. KAZINFORM – " or "ASTANA – ": an upper-case place, an optional agency, a dash.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z'’-]*(?: [A-Z][A-Z'’-]*){0,3}?)"
    rf"(?:[.,]\s+(?P<agency>[A-Z][A-Za-z]+))?\s+{_DASH}\s+"
)


@dataclass(frozen=True)
class Header:
    """What the leading header of a news text states, and where the body starts."""

    date: str | None
    dateline: str
    end: int


def parse_header(text: str) -> Header:
    """Read the publication date and dateline that open ``text``, if it states them.

    Returns ``date=None`` when the header states no date: the body is never searched for one.
    """
    date, end = None, 0
    if match := _DATE_FIELD.match(text):
        date, end = valid_iso_date(match["iso"]), match.end()
    elif match := _PLACE_DATE.match(text):
        month = MONTHS.get((match["month"] or match["month2"]).lower())
        date = _safe_date(int(match["year"]), month, int(match["day"] or match["day2"]))
        if date is not None:
            return Header(date, _dateline(match), match.end())
    if match := _DATELINE.match(text, end):
        return Header(date, _dateline(match), match.end())
    return Header(date, "", end)


def _dateline(match: re.Match[str]) -> str:
    place = match["place"].strip()
    return f"{place} ({match['agency']})" if match["agency"] else place


def _safe_date(year: int, month: int | None, day: int) -> str | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def valid_iso_date(value: str | None) -> str | None:
    """Return ``value`` if it is a real ``YYYY-MM-DD`` date, else ``None``."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def split_heading(text: str) -> tuple[str, str]:
    """Split off a heading line: a short first line without closing punctuation.

    Returns ``("", text)`` when the text does not open with a heading.
    """
    first, sep, rest = text.partition("\n")
    first = first.strip()
    words = first.split()
    if (
        sep
        and rest.strip()
        and 2 <= len(words) <= 30
        and len(first) <= 200
        and first[-1] not in ".:;,"
    ):
        return first, rest.strip()
    return "", text


# A full stop ends a sentence unless it follows an initial ("N. Nazarbayev") or a short
# abbreviation; the next sentence starts with a capital, a digit or an opening quote.
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\bNo)(?<!\bMrs)"
    r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])"
)


def first_sentence(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """The first sentence of ``text``, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    match = _SENTENCE_END.search(text)
    sentence = text[: match.start() + 1] if match else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:–—-") + "…"


# ---------------------------------------------------------------------------------------------
# Terms

# Characters that do not decompose under NFKD but have an obvious ASCII reading.
_FOLD = str.maketrans(
    {
        "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th",
        "ı": "i", "’": "'", "‘": "'", "ʼ": "'",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Fold accents and ligatures to ASCII where a reader would ("Ángel" → "Angel")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Acronyms with dots ("U.S."), numbers with separators ("2,000", "3.5"), and words that may
# hold hyphens or apostrophes ("Kassym-Jomart", "Qazinform's").
_WORD_PATTERN = r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|\w+(?:[-‐‑'’ʼ]\w+)*"
_HYPHENS = re.compile(r"[-‐‑]")
# Compiled with `regex` (Unicode's \w: no "½" or "²" words) as NLTK's RegexpTokenizer does, but
# without the per-match timeout it now adds to guard against hostile caller-supplied patterns,
# which made tokenizing 3x slower. This pattern is ours and linear; the spans are the same.
_TOKENS = regex.compile(_WORD_PATTERN)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stop list kept in the project (``searchlib/data/stopwords.txt``)."""
    text = resources.files("searchlib").joinpath("data/stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


_STEMMER = SnowballStemmer("english")


# Snippets stem every word of every hit shown; Snowball is slow and words repeat a lot.
@lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """NLTK's Snowball English stem of a folded, lower-case word; numbers stay as they are."""
    return word if word[:1].isdigit() else _STEMMER.stem(word)


def _normalize(surface: str) -> str:
    word = fold(surface).lower()
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "").replace(".", "") if ("'" in word or "." in word) else word


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(normalized word, start, end)`` for each word of ``text``.

    Hyphenated words yield each part, so "Kassym-Jomart" is found by "Kassym", by "Jomart" and,
    as a phrase of its parts, by "Kassym-Jomart". Offsets point into the original text, which is
    what snippets highlight.
    """
    for match in _TOKENS.finditer(text):
        surface = match.group()
        start, end = match.span()
        if surface.isalnum() and surface.isascii():  # most words: nothing to fold or split
            yield surface.lower(), start, end
            continue
        if _HYPHENS.search(surface) is None or surface[0].isdigit():
            word = _normalize(surface)
            if word:
                yield word, start, end
            continue
        offset = start
        for part in _HYPHENS.split(surface):
            word = _normalize(part)
            if word:
                yield word, offset, offset + len(part)
            offset += len(part) + 1


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


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order: what a query or a document is matched on.

    The same terms as :func:`news_analyzer` gives, without Whoosh's token objects (feedback
    analyses the top articles of every search).
    """
    return [term for token in _TOKENS.findall(text) for term in _token_terms(token)]


# Words repeat: each distinct token is normalised, split, checked and stemmed once.
@lru_cache(maxsize=1 << 17)
def _token_terms(token: str) -> tuple[str, ...]:
    stops = stopwords()
    return tuple(stem(word) for word, _, _ in word_spans(token) if word not in stops)
