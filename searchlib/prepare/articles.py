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
    from collections.abc import Iterator

    from .entities import ArticleEntities
    from .sources import SourceRecord

TITLE_MAX_CHARS = 120
#: Entities are found in pieces of at most this many characters (cut at a line or sentence
#: end), so that a huge text costs the tagger's memory for one piece, not for all of it.
NER_CHUNK_CHARS = 50_000
#: A date before this year, or after next year, is reported as implausible (and kept).
EARLIEST_YEAR = 1600


def prepare(record: SourceRecord) -> Article:
    """Turn one source record into an article: header, title, date and body."""
    text = record.text.replace("\r\n", "\n").replace("\r", "\n")
    date, dateline = valid_iso_date(record.date), ""
    if record.has_header:
        header = parse_header(text)
        date, dateline, text = header.date, header.dateline, text[header.end :]
    text = text.strip()  # may be empty: a title-only record
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
    from .ner import Mention, extract_mentions

    mentions: list[Mention] = []
    for start, end in chunks(text, NER_CHUNK_CHARS):
        mentions.extend(
            Mention(m.type, m.text, m.start + start, m.end + start)
            for m in extract_mentions(text[start:end])
        )
    return article_entities(text, mentions, dateline)


def chunks(text: str, size: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive pieces of ``text`` of at most ``size`` characters, each
    cut after a line break, else after a sentence's full stop, else after a space."""
    start = 0
    while len(text) - start > size:
        limit = start + size
        end = max(
            text.rfind("\n", start, limit),
            text.rfind(". ", start, limit - 1) + 1,
            text.rfind(" ", start, limit),
        )
        end = limit if end <= start else end + 1
        yield start, end
        start = end
    yield start, len(text)


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
    """What the leading header of a news text states, and where the body starts.

    ``problem`` says why a date the header states is impossible or implausible (see
    :func:`date_problem`); it is ``""`` when there is none."""

    date: str | None
    dateline: str
    end: int
    problem: str = ""


def parse_header(text: str) -> Header:
    """Read the publication date and dateline that open ``text``, if it states them.

    Returns ``date=None`` when the header states no date: the body is never searched for one.
    """
    date, end, problem = None, 0, ""
    if match := _DATE_FIELD.match(text):
        date, end, problem = valid_iso_date(match["iso"]), match.end(), date_problem(match["iso"])
    elif match := _PLACE_DATE.match(text):
        month = MONTHS.get((match["month"] or match["month2"]).lower())
        date = _safe_date(int(match["year"]), month, int(match["day"] or match["day2"]))
        if date is not None:
            return Header(date, _dateline(match), match.end(), _implausible(date))
        if month is not None:
            stated = f"{match['day'] or match['day2']} {match['month'] or match['month2']}"
            stated += f" {match['year']}"
            problem = f"impossible date {stated!r}; the article is kept undated"
    if match := _DATELINE.match(text, end):
        return Header(date, _dateline(match), match.end(), problem)
    return Header(date, "", end, problem)


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


_ISO_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_problem(stated: str | None) -> str:
    """Why a date a source states is impossible (the article is then undated), unreadable
    (not ``YYYY-MM-DD``: undated too) or implausible (kept as stated); ``""`` if none."""
    if not stated:
        return ""
    date = valid_iso_date(stated)
    if date is not None:
        return _implausible(date)
    if _ISO_SHAPE.match(stated):
        return f"impossible date {stated[:10]!r}; the article is kept undated"
    shown = stated if len(stated) <= 40 else stated[:39] + "…"
    return f"unreadable date {shown!r} (not YYYY-MM-DD); the article is kept undated"


def _implausible(date: str) -> str:
    # Next year still counts: a feed's clock or time zone may be ahead.
    if EARLIEST_YEAR <= int(date[:4]) <= dt.date.today().year + 1:
        return ""
    return f"implausible date {date}; kept as stated, check the source"


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
