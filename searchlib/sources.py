"""Sources: find article files and read them into source records, reporting what cannot be read.

A :class:`SourceRecord` is what a file says, before analysis: an id, the raw text, and the title
and date only where the format states them. Reading never stops at a bad file or line: each
problem becomes a :class:`Problem` naming the file and line, and reading goes on.

Formats: plain text (``.txt``, ``.md``; id = file stem, header and title read by analysis) and
JSON Lines (``.jsonl``; one ``{"id", "title", "date", "text"}`` object per line).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

TEXT_SUFFIXES = frozenset({".txt", ".md"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES


@dataclass(frozen=True)
class SourceRecord:
    """One article as its source file states it.

    ``title`` and ``date`` are ``None`` when the format does not state them; ``has_header`` says
    the text may open with a news header (date, dateline) for analysis to read.
    """

    id: str
    text: str
    source: str
    line: int | None = None
    title: str | None = None
    date: str | None = None
    has_header: bool = False
    content_hash: str = ""


@dataclass(frozen=True)
class Problem:
    """Something that could not be read; ``skipped`` is False for a warning (text still read)."""

    source: str
    reason: str
    line: int | None = None
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


def find_files(patterns: Iterable[str | os.PathLike[str]], base: Path | None = None) -> list[Path]:
    """Expand files, folders (recursively) and glob patterns into a sorted list of files.

    Relative patterns are taken from ``base`` (default: the current folder). Raises
    :class:`SourceError` for a path that does not exist or a pattern that matches nothing.
    """
    base = base or Path.cwd()
    found: set[Path] = set()
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
                found.update(_expand(match))
        elif path.exists():
            found.update(_expand(path))
        else:
            raise SourceError(f"no such file or folder: {pattern}", "check the path")
    return sorted(found)


def _expand(path: Path) -> Iterator[Path]:
    if path.is_dir():
        # followlinks=False: a symlink loop cannot make the walk endless.
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                child = Path(folder, name)
                if not name.startswith(".") and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
    else:
        yield path


def read_sources(
    patterns: Iterable[str | os.PathLike[str]], base: Path | None = None
) -> Iterator[SourceRecord | Problem]:
    """Read every article under ``patterns``: records and problems, in a stable order."""
    for path in find_files(patterns, base):
        yield from read_file(path)


def read_file(path: Path) -> Iterator[SourceRecord | Problem]:
    """Read one file into source records, yielding a :class:`Problem` for what can't be read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield Problem(str(path), f"unsupported file type {suffix or '(none)'!r}; skipped")
        return
    try:
        data = path.read_bytes()
    except OSError as error:
        yield Problem(str(path), f"cannot read: {error.strerror or error}")
        return
    if b"\x00" in data[:8192]:
        yield Problem(str(path), "looks like a binary file, not text; skipped")
        return
    text, warning = decode(data)
    if warning:
        yield Problem(str(path), warning, skipped=False)
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(path, text)
    elif not text.strip():
        yield Problem(str(path), "empty file; skipped")
    else:
        yield SourceRecord(
            id=path.stem,
            text=text,
            source=str(path),
            has_header=True,
            content_hash=_hash(data),
        )


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), falling back to Windows-1252.

    Returns the text and a warning ("" when the text was valid UTF-8).
    """
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        position = error.start
    try:
        return data.decode("cp1252"), (f"not valid UTF-8 (byte {position}); read as Windows-1252")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), (
            f"not valid UTF-8 (byte {position}); undecodable bytes replaced"
        )


def _read_jsonl(path: Path, text: str) -> Iterator[SourceRecord | Problem]:
    for number, line in enumerate(text.splitlines(), start=1):
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
        article_id, body = obj.get("id"), obj.get("text")
        if article_id in (None, "") or not isinstance(body, str):
            yield Problem(str(path), 'needs an "id" and a "text" string', line=number)
            continue
        title, date = obj.get("title"), obj.get("date")
        yield SourceRecord(
            id=str(article_id),
            text=body,
            source=str(path),
            line=number,
            title=title if isinstance(title, str) else None,
            date=date if isinstance(date, str) and date else None,
            content_hash=_hash(line.encode("utf-8")),
        )


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
