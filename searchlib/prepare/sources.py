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
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SourceChangedError, SourceError

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
#: An article larger than this is not news but a dump; it is skipped and reported.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024

#: Which field (JSON key or CSV column) of a record holds each part of an article.
FieldMap = dict[str, str]
ARTICLE_FIELDS = ("id", "title", "date", "text", "author")
DEFAULT_FIELDS: Mapping[str, str] = {name: name for name in ARTICLE_FIELDS}


@dataclass(frozen=True)
class SourceRecord:
    """One article as its source file states it.

    ``title``, ``date`` and ``author`` are ``None`` when the format does not state them;
    ``has_header`` says the text may open with a news header (date, dateline) for analysis to
    read. ``line`` is the line a record starts on, ``entry`` the 1-based number of a feed entry.
    """

    id: str
    text: str
    source: str
    line: int | None = None
    title: str | None = None
    date: str | None = None
    has_header: bool = False
    content_hash: str = ""
    author: str | None = None
    entry: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something that could not be read; ``skipped`` is False for a warning (text still read)."""

    source: str
    reason: str
    line: int | None = None
    skipped: bool = True
    entry: int | None = None

    def __str__(self) -> str:
        return f"{where(self.source, self.line, self.entry)}: {self.reason}"


def where(source: str, line: int | None = None, entry: int | None = None) -> str:
    """``path:line``, ``path#entry`` or ``path``: where a record or problem is."""
    if line is not None:
        return f"{source}:{line}"
    if entry is not None:
        return f"{source}#{entry}"
    return source


def field_map(mapping: Mapping[str, Any] | None) -> FieldMap:
    """Complete a partial mapping of article fields to record fields, checking its keys.

    Raises :class:`ValueError` naming an unknown article field or a non-string value.
    """
    fields = dict(DEFAULT_FIELDS)
    for name, value in (mapping or {}).items():
        if name not in ARTICLE_FIELDS:
            raise ValueError(
                f"unknown article field {name!r}; the fields are {', '.join(ARTICLE_FIELDS)}"
            )
        if not isinstance(value, str) or not value:
            raise ValueError(f"field {name!r} must name a key or column, not {value!r}")
        fields[name] = value
    return fields


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
            if not name.startswith(".") and file.suffix.lower() in SUPPORTED_SUFFIXES:
                yield file


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
    if data is None and suffix in JSONL_SUFFIXES:
        try:
            survey = survey or survey_file(path)
            yield from read_jsonl(path, survey, fields)
        except OSError as error:
            yield Problem(source, f"cannot read: {error.strerror or error}")
        return
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            yield Problem(source, f"cannot read: {error.strerror or error}")
            return
    if not data.strip():
        yield Problem(source, "empty file; skipped")
        return
    one_article = suffix in TEXT_SUFFIXES | HTML_SUFFIXES
    if one_article and len(data) > MAX_ARTICLE_BYTES:
        yield Problem(source, f"{_megabytes(len(data))}, over the {_limit()} limit; skipped")
        return
    if _looks_binary(data):
        yield Problem(source, "looks like a binary file, not text; skipped")
        return
    fields = field_map(fields)
    if suffix in FEED_SUFFIXES:
        yield from _read_feed(path, data)
        return
    declared = _declared_encoding(data) if suffix in HTML_SUFFIXES else None
    text, warning = decode(data, declared)
    if warning:
        yield Problem(source, warning, skipped=False)
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(path, enumerate(text.splitlines(), start=1), fields)
    elif suffix in JSON_SUFFIXES:
        yield from _read_json(path, text, fields)
    elif suffix in CSV_SUFFIXES:
        yield from _read_csv(path, text, fields)
    elif suffix in HTML_SUFFIXES:
        yield from _read_html(path, text, data)
    else:
        yield SourceRecord(
            id=path.stem, text=text, source=source, has_header=True, content_hash=_hash(data)
        )


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _limit() -> str:
    return f"{MAX_ARTICLE_BYTES // 1024 // 1024} MB"


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _declared_encoding(data: bytes) -> str | None:
    match = _CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM, or UTF-16 with a BOM), else as the
    ``declared`` encoding, else as Windows-1252, else UTF-8 with undecodable bytes replaced.

    Returns the text and a warning ("" when the text was valid in the encoding it states).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        position = error.start
    if declared and codecs.lookup(declared).name != "utf-8":
        try:
            return data.decode(declared), ""
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), (f"not valid UTF-8 (byte {position}); read as Windows-1252")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), (
            f"not valid UTF-8 (byte {position}); undecodable bytes replaced"
        )


# -- streaming JSON Lines ---------------------------------------------------------------------

#: Bytes read at a time from a JSON Lines file, which is read, hashed and parsed in pieces: a
#: file of any size costs the memory of a chunk and of its longest line, never its whole size.
CHUNK_BYTES = 1 << 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


@dataclass(frozen=True)
class Survey:
    """What a first pass over a file learned without keeping its content: its size and
    :func:`file_hash`, why it is skipped whole (``skip``: empty or binary), and else how
    :func:`decode` would decode it (``encoding`` and ``errors``, for an incremental decoder)
    with its ``warning``."""

    size: int
    sha256: str
    encoding: str = "utf-8-sig"
    errors: str = "strict"
    warning: str = ""
    skip: str = ""


def survey_file(path: Path) -> Survey:
    """Read ``path`` once, in chunks, for its :class:`Survey`: the same hash as
    :func:`file_hash` of its content and the same decoding as :func:`decode` (without a
    declared encoding) would give. Raises :class:`OSError` when it cannot be read."""
    hasher = hashlib.sha256()
    size, blank, head = 0, True, b""
    # An incremental UTF-16 decoder while the file may be UTF-16: it starts with a BOM (known
    # once two bytes are read) and decodes so far.
    utf16: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-16")()
    utf8_error: int | None = None  # the first byte that is not UTF-8
    utf8_pending = b""  # the start of a character cut by the chunk's end
    cp1252 = True
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if len(head) < 8192:
                head += chunk[: 8192 - len(head)]
                if len(head) >= 2 and not head.startswith(_UTF16_BOMS):
                    utf16 = None
            hasher.update(chunk)
            blank = blank and not chunk.strip()
            if utf16 is not None:
                try:
                    utf16.decode(chunk)
                except UnicodeDecodeError:
                    utf16 = None
            if utf8_error is None:
                buffer = utf8_pending + chunk
                try:
                    _, used = codecs.utf_8_decode(buffer, "strict", False)
                    utf8_pending = buffer[used:]
                except UnicodeDecodeError as error:
                    utf8_error = size - len(utf8_pending) + error.start
            cp1252 = cp1252 and _CP1252_UNDEFINED.search(chunk) is None
            size += len(chunk)
    if utf16 is not None:
        try:
            utf16.decode(b"", True)
        except UnicodeDecodeError:
            utf16 = None
        if not head.startswith(_UTF16_BOMS):
            utf16 = None
    if utf8_error is None and utf8_pending:
        utf8_error = size - len(utf8_pending)  # a character cut short by the file's end
    found = Survey(size, hasher.hexdigest())
    if blank:
        return Survey(size, found.sha256, skip="empty file; skipped")
    if _looks_binary(head):
        return Survey(size, found.sha256, skip="looks like a binary file, not text; skipped")
    if utf16 is not None:
        return Survey(size, found.sha256, "utf-16")
    if utf8_error is None:
        return found
    # As decode() reports it: utf-8-sig counts bytes after the BOM.
    position = utf8_error - (3 if head.startswith(codecs.BOM_UTF8) else 0)
    if cp1252:
        warning = f"not valid UTF-8 (byte {position}); read as Windows-1252"
        return Survey(size, found.sha256, "cp1252", warning=warning)
    warning = f"not valid UTF-8 (byte {position}); undecodable bytes replaced"
    return Survey(size, found.sha256, "utf-8", "replace", warning=warning)


def read_jsonl(
    path: Path, survey: Survey, fields: Mapping[str, str] | None = None
) -> Iterator[SourceRecord | Problem]:
    """The records and problems of JSON Lines file ``path``, streamed: the same as
    :func:`read_file` gives from its whole content, with the same line numbers.

    ``survey`` is what :func:`survey_file` found; the file is hashed again as it is read, and
    :class:`SourceChangedError` raised at its end (or at a byte its encoding no longer
    decodes) if it is not the file surveyed. Raises :class:`OSError` when it cannot be read."""
    source = str(path)
    if survey.skip:
        yield Problem(source, survey.skip)
        return
    if survey.warning:
        yield Problem(source, survey.warning, skipped=False)
    yield from _read_jsonl(path, _jsonl_lines(path, survey), field_map(fields))


def _jsonl_lines(path: Path, survey: Survey) -> Iterator[tuple[int, str]]:
    """The numbered lines of ``path`` as ``str.splitlines`` splits its decoded text."""
    hasher = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder(survey.encoding)(survey.errors)
    number = 0
    rest = ""  # the last line read, which may go on (or end in "\r" of a "\r\n")
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            hasher.update(chunk)
            size += len(chunk)
            try:
                text = rest + decoder.decode(chunk, not chunk)
            except UnicodeDecodeError as error:
                raise SourceChangedError.of(path, "while it was being read") from error
            lines = text.splitlines(keepends=True)
            rest = lines.pop() if chunk and lines else ""
            for line in lines:
                number += 1
                yield number, line.splitlines()[0]
            if not chunk:
                break
    if size != survey.size or hasher.hexdigest() != survey.sha256:
        raise SourceChangedError.of(path, "while it was being read")


# -- records: JSON Lines, JSON arrays, CSV ----------------------------------------------------


def _record(
    path: Path, obj: Mapping[str, Any], fields: FieldMap, raw: str, line: int
) -> SourceRecord | Problem:
    """A record from one JSON object or CSV row, or the problem that keeps it out."""
    article_id, body = obj.get(fields["id"]), obj.get(fields["text"])
    if isinstance(article_id, (int, float)) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        return Problem(str(path), f"no id (field {fields['id']!r})", line=line)
    if not isinstance(body, str) or not body.strip():
        return Problem(str(path), f"no text (field {fields['text']!r})", line=line)
    if len(body) > MAX_ARTICLE_BYTES:
        return Problem(
            str(path), f"text of {_megabytes(len(body))}, over the {_limit()} limit", line=line
        )
    title, date, author = (obj.get(fields[name]) for name in ("title", "date", "author"))
    return SourceRecord(
        id=article_id.strip(),
        text=body,
        source=str(path),
        line=line,
        title=title if isinstance(title, str) else None,
        date=date if isinstance(date, str) and date else None,
        author=author if isinstance(author, str) and author.strip() else None,
        content_hash=_hash(raw.encode("utf-8")),
    )


def _read_jsonl(
    path: Path, lines: Iterable[tuple[int, str]], fields: FieldMap
) -> Iterator[SourceRecord | Problem]:
    for number, line in lines:
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


def _read_csv(path: Path, text: str, fields: FieldMap) -> Iterator[SourceRecord | Problem]:
    source = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
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
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Problem(source, f"malformed CSV: {error}; the rest is skipped", line=line)
            return
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
        line = reader.line_num + 1


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
        if not body:
            yield Problem(source, "entry has no text; skipped", entry=number)
            continue
        title = entry.get("title")
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
