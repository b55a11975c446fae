"""Sources: find article files and read them into source records, reporting what cannot be read.

A :class:`SourceRecord` is what a file says, before analysis: an id, the raw text, and the title,
date and author only where the format states them, with the file and the line (or feed entry)
it came from. Reading never stops at a bad file or line: each problem becomes a
:class:`Problem` naming the file and line, and reading goes on.

Formats, by file suffix:

* plain text (``.txt``, ``.md``): one article; id = file stem, header and title read by analysis;
* HTML (``.html``, ``.htm``): one article; id = file stem; main text, title, date and author
  extracted by trafilatura from the page, its meta tags and JSON-LD (offline);
* JSON Lines (``.jsonl``), JSON (``.json``, an array of objects) and CSV (``.csv``, with a
  header row): one article per object or row, its fields named by a :data:`FieldMap`;
* feeds (``.rss``, ``.atom``, ``.xml``): one article per RSS or Atom entry, read by feedparser.

Bad input loses only itself. Text is decoded line by line (UTF-8, else the fallback of
:func:`decode` for that line alone); raw NUL bytes and code points no text can hold (lone
surrogates from JSON's ``"\\ud800"``) become U+FFFD; a CSV row whose quote is never closed is
skipped and reading goes on at the next line; a record may have a title and no text. Each of
these, and a date that is impossible (``2025-02-30``: the article is undated) or implausible
(before :data:`~searchlib.analysis.EARLIEST_YEAR` or after next year: kept), is reported as a
warning with its line. FIFOs, sockets and devices are skipped unopened.

Limits, so that no file can take unbounded memory: a text or HTML file, or a JSON Lines line, of
more than :data:`MAX_ARTICLE_BYTES` is skipped (a JSON Lines line is never held whole), and an
article's text is cut at a word boundary to :data:`MAX_TEXT_CHARS` characters, reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
import stat
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SourceError
from .articles import date_problem, parse_header
from .decoding import (
    LineDecoder,
    Survey,
    declared_encoding,
    decode,
    file_chunks,
    looks_binary,
    split_lines,
    survey_file,
    utf8_data,
)
from .records import FieldMap, Problem, SourceRecord, field_map
from .records import where as where  # where problems and records are, named from here too

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
JSON_SUFFIXES = frozenset({".json"})
CSV_SUFFIXES = frozenset({".csv"})
FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | JSON_SUFFIXES | CSV_SUFFIXES | FEED_SUFFIXES
)
#: A text or HTML file, or a JSON Lines line, larger than this is not news but a dump; it is
#: skipped and reported.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024
#: An article's text is cut (at a word boundary, reported) to at most this many characters:
#: the longest news articles have tens of thousands; analysis costs memory in proportion.
MAX_TEXT_CHARS = 1_000_000

# ---------------------------------------------------------------------------------------------
# Finding files


def discover(
    patterns: Iterable[str | os.PathLike[str]], base: Path | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand files, folders (recursively) and glob patterns into a sorted list of files.

    Relative patterns are taken from ``base`` (default: the current folder). Folders are walked
    in order, following symbolic links but never around a loop; hidden files and files of
    unknown types inside folders are ignored. Returns the files and the problems met on the way
    (symlink loops, unreadable folders). Raises :class:`SourceError` for a path that does not
    exist or a pattern that matches nothing.
    """
    base = base or Path.cwd()
    found: set[Path] = set()
    problems: list[Problem] = []
    for pattern in patterns:
        path = Path(pattern)
        if not path.is_absolute():
            path = base / path
        if glob.has_magic(str(pattern)):
            matches = [Path(p) for p in glob.glob(str(path), recursive=True)]
            if not matches:
                raise SourceError(
                    f"source pattern {str(pattern)!r} matches no files",
                    "check the pattern, relative to " + str(base),
                )
            for match in matches:
                found.update(_expand(match, problems))
        elif os.path.lexists(path):  # lexists: a symlink loop is reported, not "missing"
            found.update(_expand(path, problems))
        else:
            raise SourceError(f"no such file or folder: {pattern}", "check the path")
    return sorted(found), problems


def find_files(patterns: Iterable[str | os.PathLike[str]], base: Path | None = None) -> list[Path]:
    """The files :func:`discover` finds, without its problems."""
    return discover(patterns, base)[0]


def _expand(path: Path, problems: list[Problem]) -> Iterator[Path]:
    if not path.is_dir():
        if kind := _special_kind(path):
            problems.append(Problem(str(path), _special_reason(kind)))
        else:
            yield path
        return
    visited: dict[tuple[int, int], str] = {}

    def unreadable(error: OSError) -> None:
        problems.append(Problem(str(error.filename), f"cannot read folder: {error.strerror}"))

    for folder, dirs, files in os.walk(path, followlinks=True, onerror=unreadable):
        status = os.stat(folder)
        visited[(status.st_dev, status.st_ino)] = folder
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            child = os.path.join(folder, name)
            try:
                status = os.stat(child)
            except OSError as error:
                problems.append(Problem(child, f"cannot read folder: {error.strerror}"))
                continue
            seen = visited.get((status.st_dev, status.st_ino))
            if seen is not None or _is_ancestor_link(child, folder):
                problems.append(
                    Problem(child, f"symlink loop: points back to {seen or 'a parent'}; skipped")
                )
                continue
            visited[(status.st_dev, status.st_ino)] = child
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            file = Path(folder, name)
            if name.startswith(".") or file.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if kind := _special_kind(file):
                problems.append(Problem(str(file), _special_reason(kind)))
            else:
                yield file


_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _special_kind(path: Path) -> str:
    """What special file ``path`` is (a FIFO, a socket, a device), or ``""`` for a regular
    file, a folder or a path that cannot be read (reported when it is read). Opening a FIFO
    waits for a writer forever and a device may never end, so they are found by their status."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return ""
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)), "a special file")


def _special_reason(kind: str) -> str:
    return f"{kind}, not a regular file; skipped without opening it"


def _is_ancestor_link(child: str, folder: str) -> bool:
    # A link to a folder that contains it would be walked again and again.
    if not os.path.islink(child):
        return False
    target = os.path.realpath(child)
    return os.path.realpath(folder).startswith(target.rstrip(os.sep) + os.sep) or (
        os.path.realpath(folder) == target
    )


# ---------------------------------------------------------------------------------------------
# Reading files


def read_sources(
    patterns: Iterable[str | os.PathLike[str]],
    base: Path | None = None,
    fields: Mapping[str, str] | None = None,
) -> Iterator[SourceRecord | Problem]:
    """Read every article under ``patterns``: records and problems, in a stable order."""
    files, problems = discover(patterns, base)
    yield from problems
    for path in files:
        yield from read_file(path, fields)


def read_file(
    path: Path,
    fields: Mapping[str, str] | None = None,
    data: bytes | None = None,
    *,
    survey: Survey | None = None,
) -> Iterator[SourceRecord | Problem]:
    """Read one file into source records, yielding a :class:`Problem` for what can't be read.

    ``fields`` maps article fields to the keys or columns of JSON, JSON Lines and CSV records;
    ``data`` is the file's content when the caller has already read it. A JSON Lines file
    not given as ``data`` is streamed (see :func:`read_jsonl`), with its ``survey`` when the
    caller has made it; it raises :class:`SourceChangedError` if the file changes meanwhile.
    """
    suffix = path.suffix.lower()
    source = str(path)
    if suffix not in SUPPORTED_SUFFIXES:
        yield Problem(source, f"unsupported file type {suffix or '(none)'!r}; skipped")
        return
    if data is None and (kind := _special_kind(path)):
        yield Problem(source, _special_reason(kind))
        return
    if data is None and suffix in JSONL_SUFFIXES:
        try:
            survey = survey or survey_file(path)
            yield from read_jsonl(path, survey, fields)
        except OSError as error:
            yield Problem(source, f"cannot read: {error.strerror or error}")
        return
    one_article = suffix in TEXT_SUFFIXES | HTML_SUFFIXES
    if data is None:
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                data = b"" if one_article and size > MAX_ARTICLE_BYTES else handle.read()
        except OSError as error:
            yield Problem(source, f"cannot read: {error.strerror or error}")
            return
    else:
        size = len(data)
    if one_article and size > MAX_ARTICLE_BYTES:
        yield Problem(source, f"{_megabytes(size)}, over the {_limit()} limit; skipped")
        return
    if not data.strip():
        yield Problem(source, "empty file; skipped")
        return
    if looks_binary(data):
        yield Problem(source, "looks like a binary file, not text; skipped")
        return
    yield from _checked(_read_data(path, suffix, data, field_map(fields)))


def _read_data(
    path: Path, suffix: str, data: bytes, fields: FieldMap
) -> Iterator[SourceRecord | Problem]:
    source = str(path)
    if suffix in FEED_SUFFIXES:
        yield from _read_feed(path, data)
        return
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl_items(path, [utf8_data(data)], fields)
        return
    declared = declared_encoding(data) if suffix in HTML_SUFFIXES else None
    text, warnings = decode(data, declared)
    for line, warning in warnings:
        yield Problem(source, warning, line=line, skipped=False)
    if suffix in JSON_SUFFIXES:
        yield from _read_json(path, text, fields)
    elif suffix in CSV_SUFFIXES:
        yield from _read_csv(path, text, fields)
    elif suffix in HTML_SUFFIXES:
        yield from _read_html(path, text, data)
    else:
        yield SourceRecord(
            id=path.stem, text=text, source=source, has_header=True, content_hash=_hash(data)
        )


# Code points no text can hold: NUL, and the lone surrogates JSON can spell ("\ud800").
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _checked(items: Iterable[SourceRecord | Problem]) -> Iterator[SourceRecord | Problem]:
    """The items with each record made fit to index (see :func:`_fit`)."""
    for item in items:
        if isinstance(item, Problem):
            yield item
        else:
            yield from _fit(item)


def _fit(record: SourceRecord) -> Iterator[SourceRecord | Problem]:
    """The record made fit to index, after a warning for each change: code points that are not
    text replaced by U+FFFD, a text over :data:`MAX_TEXT_CHARS` cut at a word boundary; and a
    warning for a date that is impossible or implausible."""

    def warn(reason: str, line: int | None = record.line) -> Problem:
        return Problem(record.source, reason, line=line, skipped=False, entry=record.entry)

    changes: dict[str, Any] = {}
    for name in ("id", "title", "date", "author", "text"):
        value = getattr(record, name)
        if value and _NOT_TEXT.search(value):
            changes[name] = _NOT_TEXT.sub("\ufffd", value)
    if changes:
        values = [getattr(record, name) for name in changes]
        kinds = [
            kind
            for kind, found in (
                ("lone surrogates", any(_SURROGATE.search(v) for v in values)),
                ("NUL characters", any("\x00" in v for v in values)),
            )
            if found
        ]
        yield warn(f"{' and '.join(kinds)} in {', '.join(changes)} replaced by U+FFFD")
    text: str = changes.get("text", record.text)
    if len(text) > MAX_TEXT_CHARS:
        cut = text.rfind(" ", MAX_TEXT_CHARS // 2, MAX_TEXT_CHARS + 1)
        cut = MAX_TEXT_CHARS if cut < 0 else cut
        whole, text = len(text), text[:cut]
        changes["text"] = text
        located = record.line is not None or record.entry is not None
        yield warn(
            f"text of {whole:,} characters cut to its first {cut:,} "
            f"(the limit is {MAX_TEXT_CHARS:,})",
            record.line if located else _line_of(text, cut),
        )
    if record.has_header:
        head = text[:4096].replace("\r\n", "\n").replace("\r", "\n")
        if reason := parse_header(head).problem:
            yield warn(reason, _line_of(head, len(head) - len(head.lstrip())))
    elif reason := date_problem(changes.get("date", record.date)):
        yield warn(reason)
    yield replace(record, **changes) if changes else record


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _limit() -> str:
    return f"{MAX_ARTICLE_BYTES // 1024 // 1024} MB"


# -- streaming JSON Lines ---------------------------------------------------------------------


def read_jsonl(
    path: Path, survey: Survey, fields: Mapping[str, str] | None = None
) -> Iterator[SourceRecord | Problem]:
    """The records and problems of JSON Lines file ``path``, streamed: the same as
    :func:`read_file` gives from its whole content, with the same line numbers.

    ``survey`` is what :func:`survey_file` found; the file is hashed again as it is read, and
    :class:`SourceChangedError` raised at its end (or at a byte its encoding no longer
    decodes) if it is not the file surveyed. Raises :class:`OSError` when it cannot be read."""
    if survey.skip:
        yield Problem(str(path), survey.skip)
        return
    with path.open("rb") as handle:
        yield from _checked(
            _jsonl_items(path, file_chunks(path, handle, survey), field_map(fields))
        )


def _jsonl_items(
    path: Path, chunks: Iterable[bytes], fields: FieldMap
) -> Iterator[SourceRecord | Problem]:
    """The records and problems of a JSON Lines file given in ``chunks``, its lines decoded
    one by one (see :func:`decode`)."""
    decoder = LineDecoder()
    lines = (
        (number, None if raw is None else decoder.line(number, raw.removesuffix(b"\r")))
        for number, raw in split_lines(chunks, MAX_ARTICLE_BYTES)
    )
    yield from _read_jsonl(path, lines, fields)
    for line, warning in decoder.warnings():
        yield Problem(str(path), warning, line=line, skipped=False)


# -- records: JSON Lines, JSON arrays, CSV ----------------------------------------------------


def _record(
    path: Path, obj: Mapping[str, Any], fields: FieldMap, raw: str, line: int
) -> SourceRecord | Problem:
    """A record from one JSON object or CSV row, or the problem that keeps it out."""
    article_id, body = obj.get(fields["id"]), obj.get(fields["text"])
    title, date, author = (obj.get(fields[name]) for name in ("title", "date", "author"))
    if isinstance(article_id, (int, float)) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        return Problem(str(path), f"no id (field {fields['id']!r})", line=line)
    body = body if isinstance(body, str) else ""
    title = title if isinstance(title, str) else None
    if not body.strip() and not (title or "").strip():  # a title alone is an article
        return Problem(
            str(path), f"no text or title (fields {fields['text']!r}, {fields['title']!r})", line
        )
    return SourceRecord(
        id=article_id.strip(),
        text=body,
        source=str(path),
        line=line,
        title=title,
        date=date if isinstance(date, str) and date else None,
        author=author if isinstance(author, str) and author.strip() else None,
        content_hash=_hash(raw.encode("utf-8")),
    )


def _read_jsonl(
    path: Path, lines: Iterable[tuple[int, str | None]], fields: FieldMap
) -> Iterator[SourceRecord | Problem]:
    for number, line in lines:
        if line is None:
            yield Problem(str(path), f"a line of over {_limit()}; skipped", line=number)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            yield Problem(str(path), f"malformed JSON: {error.msg}", line=number)
            continue
        if not isinstance(obj, dict):
            yield Problem(str(path), "expected a JSON object", line=number)
            continue
        yield _record(path, obj, fields, line, number)


def _read_json(path: Path, text: str, fields: FieldMap) -> Iterator[SourceRecord | Problem]:
    # Decoded one element at a time, so each record knows its line and a syntax error loses
    # only what follows it.
    decoder = json.JSONDecoder()
    source = str(path)
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        yield Problem(source, "expected a JSON array of objects", line=_line_of(text, position))
        return
    position += 1
    while True:
        position = _skip_space(text, position)
        if text.startswith("]", position):
            return
        line = _line_of(text, position)
        try:
            obj, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield Problem(source, f"malformed JSON: {error.msg}; the rest is skipped", line=line)
            return
        if isinstance(obj, dict):
            yield _record(path, obj, fields, text[position:end], line)
        else:
            yield Problem(source, "expected a JSON object", line=line)
        position = _skip_space(text, end)
        if text.startswith(",", position):
            position += 1
        elif not text.startswith("]", position):
            yield Problem(
                source,
                "malformed JSON: expected ',' or ']'; the rest is skipped",
                line=_line_of(text, position),
            )
            return


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


class _Lines:
    """An iterator over a list of lines that can be set back to any of them."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.at = lines, 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.at == len(self.lines):
            raise StopIteration
        self.at += 1
        return self.lines[self.at - 1]


def _read_csv(path: Path, text: str, fields: FieldMap) -> Iterator[SourceRecord | Problem]:
    # Read strictly, so that a quote that is never closed is an error rather than a field that
    # swallows the rows after it; after an error, reading goes on at the line after the start
    # of the row that failed.
    source = str(path)
    lines = _Lines(io.StringIO(text, newline="").readlines())
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as error:
        yield Problem(source, f"no header row: {error}" if str(error) else "no header row")
        return
    missing = [fields[name] for name in ("id", "text") if fields[name] not in header]
    if missing:
        yield Problem(
            source,
            f"no column {', '.join(map(repr, missing))} (columns: {', '.join(header)}); "
            "map the fields in the index definition's [fields] table",
            line=1,
        )
        return
    line = lines.at + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if lines.at > line:
                reason = f"a quote opened on this line is not closed (read on to line {lines.at})"
            else:
                reason = str(error)
            yield Problem(source, f"malformed CSV: {reason}; the row is skipped", line=line)
            lines.at = line
            reader = csv.reader(lines, strict=True)
            line = lines.at + 1
            continue
        if any(cell.strip() for cell in row):
            if len(row) != len(header):
                yield Problem(
                    source,
                    f"row has {len(row)} columns, the header has {len(header)}",
                    line=line,
                )
            else:
                obj = dict(zip(header, row, strict=True))
                yield _record(path, obj, fields, "\x1f".join(row), line)
        line = lines.at + 1


# -- HTML pages and feeds ---------------------------------------------------------------------


def _read_html(path: Path, text: str, data: bytes) -> Iterator[SourceRecord | Problem]:
    import trafilatura  # imported here: it takes a moment to load and most builds need none
    from trafilatura.settings import set_date_params

    source = str(path)
    try:
        page = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            # The date must come from the page's metadata, never be guessed from its text.
            date_extraction_params=set_date_params(extensive=False),
        )
    except Exception as error:  # lxml and trafilatura raise assorted errors on broken pages
        yield Problem(source, f"cannot extract the article: {type(error).__name__}: {error}")
        return
    found: dict[str, Any] = (
        {} if page is None else page if isinstance(page, dict) else page.as_dict()
    )
    body = found.get("text") or ""
    if not body.strip():
        yield Problem(source, "no article text found in the page; skipped")
        return
    title = (found.get("title") or "").strip() or None
    if title and body.startswith(title + "\n"):  # the page's own heading repeats the title
        body = body[len(title) + 1 :]
    yield SourceRecord(
        id=path.stem,
        text=body,
        source=source,
        title=title,
        date=found.get("date") or None,
        author=(found.get("author") or "").strip() or None,
        content_hash=_hash(data),
    )


def _read_feed(path: Path, data: bytes) -> Iterator[SourceRecord | Problem]:
    import feedparser  # imported here: most builds read no feeds

    source = str(path)
    # Parsing bytes, never a URL or file name, so feedparser fetches nothing.
    feed = feedparser.parse(data, resolve_relative_uris=False)
    items = list(_feed_entries(source, feed.entries))
    error = feed.get("bozo_exception") if feed.get("bozo") else None
    if isinstance(error, feedparser.CharacterEncodingOverride):
        error = None  # a feed that declares one encoding and uses another: read all the same
    if not any(isinstance(item, SourceRecord) for item in items):
        # Nothing usable: one problem for the file rather than one for each broken entry.
        if error is not None:
            yield Problem(source, f"not a readable RSS or Atom feed ({error}); skipped")
            return
        if not feed.entries:
            yield Problem(source, "a feed with no entries; skipped")
            return
    elif error is not None:
        yield Problem(source, f"malformed feed, read leniently: {error}", skipped=False)
    yield from items


def _feed_entries(source: str, entries: list[Any]) -> Iterator[SourceRecord | Problem]:
    for number, entry in enumerate(entries, start=1):
        article_id = entry.get("id") or entry.get("link")
        html = ""
        if entry.get("content"):
            html = "\n".join(part.get("value", "") for part in entry.content)
        html = html or entry.get("summary", "")
        body = html_to_text(html)
        if not article_id:
            yield Problem(source, "entry has no id or link; skipped", entry=number)
            continue
        title = entry.get("title")
        if not body and not (title or "").strip():  # a headline alone is an article
            yield Problem(source, "entry has no title or text; skipped", entry=number)
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        yield SourceRecord(
            id=str(article_id).strip(),
            text=body,
            source=source,
            entry=number,
            title=html_to_text(title) if title else None,
            date=dt.date(*published[:3]).isoformat() if published else None,
            author=(entry.get("author") or "").strip() or None,
            content_hash=_hash(json.dumps([article_id, title, published, html]).encode()),
        )


class _TextCollector(HTMLParser):
    BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment (such as a feed entry), one paragraph per line."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).splitlines())
    return "\n".join(line for line in lines if line)


def file_hash(data: bytes) -> str:
    """The content hash of a whole file, as recorded for incremental builds."""
    return _hash(data)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
