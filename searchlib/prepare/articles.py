"""Articles: turn a source record into an article (header, publication date, title, entities).

:func:`prepare` is a pure function from a :class:`~searchlib.prepare.sources.SourceRecord` to an
:class:`~searchlib.model.Article`: it reads the leading header of a news text (publication date,
dateline), chooses the title and leaves the searchable body. Being pure, it runs in workers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Article

if TYPE_CHECKING:
    from .entities import ArticleEntities
    from .sources import SourceRecord

TITLE_MAX_CHARS = 120


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
    # Imported here: the tagger's model loads on first use.
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
