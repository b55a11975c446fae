"""Source state: what each source file held at the last build, and what changed since."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    SourceChangedError,
    SourceProblemError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
from ..engine.documents import document_hash
from ..model import Article
from ..prepare import articles
from ..prepare.sources import (
    JSONL_SUFFIXES,
    SUPPORTED_SUFFIXES,
    FieldMap,
    Problem,
    SourceRecord,
    Survey,
    file_hash,
    read_file,
    read_jsonl,
    survey_file,
    where,
)
from .parallel import Runner

#: A file modified this recently may change again within the same timestamp; its stat is not
#: trusted next time (the "racily clean" problem git also guards against).
RACY_SECONDS = 2.0


# What the sources hold


@dataclass
class FileState:
    """What one source file held when it was last read.

    ``stat`` is ``None`` when it must not be trusted next time (the file was unreadable or
    modified just before it was read). ``articles`` holds ``[id, line, entry, document hash,
    record hash]`` in file order; ``problems`` holds ``[line, entry, reason, skipped]``.
    """

    stat: list[int] | None
    sha256: str | None
    articles: list[list[Any]] = field(default_factory=list)
    problems: list[list[Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The state as stored in ``sources.json``."""
        return {
            "stat": self.stat,
            "sha256": self.sha256,
            "articles": self.articles,
            "problems": self.problems,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileState:
        """The state read back from ``sources.json``."""
        return cls(data["stat"], data["sha256"], list(data["articles"]), list(data["problems"]))


def _stat_key(status: os.stat_result) -> list[int]:
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


@dataclass
class Scan:
    """The sources as they are now, next to what the current generation was built from."""

    files: dict[str, FileState]
    previous: dict[str, FileState]
    # The articles of files read in this scan, by file; a record left unanalysed because it is
    # unchanged (see _prepare_fresh) is analysed only if it must be written after all.
    fresh: dict[str, list[Article | SourceRecord]]
    files_parsed: int = 0
    analysed: int = 0
    unprepared: dict[str, list[SourceRecord]] = field(default_factory=dict)
    # A full build keeps neither the records of the files it read nor their content, but reads
    # each file again as it writes, checking it is the file scanned: see deferred_records.
    deferred: dict[str, Survey] = field(default_factory=dict)

    def deferred_entries(self) -> Iterator[list[Any]]:
        """The state entries of the records :func:`deferred_records` gives, in its order (their
        document hashes are filled in as they are analysed)."""
        return (entry for path in list(self.deferred) for entry in self.files[path].articles)

    def winners(self, files: Mapping[str, FileState] | None = None) -> dict[str, tuple[str, int]]:
        """Article id → (file, index in that file): the first of each id, in file order."""
        chosen: dict[str, tuple[str, int]] = {}
        for path, state in (self.files if files is None else files).items():
            for number, (article_id, *_) in enumerate(state.articles):
                chosen.setdefault(article_id, (path, number))
        return chosen

    def problems(self) -> list[Problem]:
        """Every problem, file by file: what could not be read, then duplicate ids."""
        found: list[Problem] = []
        first: dict[str, str] = {}
        for path, state in self.files.items():
            for line, entry, reason, skipped in state.problems:
                found.append(Problem(path, reason, line=line, skipped=skipped, entry=entry))
            for article_id, line, entry, *_ in state.articles:
                if article_id in first:
                    reason = f"duplicate id {article_id!r} (first in {first[article_id]})"
                    found.append(Problem(path, reason, line=line, entry=entry))
                else:
                    first[article_id] = where(path, line, entry)
        return found

    def hashes(self, files: Mapping[str, FileState]) -> dict[str, str]:
        """Article id → document hash of the winning copy of each id in ``files``."""
        return {
            article_id: files[path].articles[number][3]
            for article_id, (path, number) in self.winners(files).items()
        }


def scan_sources(
    paths: list[Path],
    previous: dict[str, FileState],
    fields: FieldMap,
    *,
    trust: bool,
    strict: bool,
    force: Iterable[str] = (),
    run: Runner | None = None,
    defer: bool = False,
) -> Scan:
    """Read what changed since ``previous``: unchanged stat → not read; same hash → not
    analysed. With ``strict``, the first problem raises :class:`SourceProblemError`.

    With ``defer`` (a full build) the records read are not analysed here: their document
    hashes are left ``None`` until :func:`_full_documents` analyses them as it writes them."""
    scan = Scan({}, previous, {})
    started = time.time()
    forced = set(force)
    for path in paths:
        key = str(path)
        old = previous.get(key) if trust and key not in forced else None
        state = _read_state(path, old, fields, started, scan, defer)
        if strict and state.problems:
            line, entry, reason, _ = state.problems[0]
            raise SourceProblemError(
                f"stopped at the first problem: {where(key, line, entry)}: {reason}",
                "fix the source or build without --strict; the index was not changed",
            )
        scan.files[key] = state
    if not defer:
        _prepare_fresh(scan, run or Runner(), reuse=trust)
    return scan


def _read_state(
    path: Path,
    old: FileState | None,
    fields: FieldMap,
    started: float,
    scan: Scan,
    defer: bool = False,
) -> FileState:
    for attempt in itertools.count(1):
        try:
            return _read_state_once(path, old, fields, started, scan, defer)
        except SourceChangedError:
            if attempt == READ_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


#: How many times the scan reads a file that changes while it is being read before it gives up.
READ_ATTEMPTS = 3


def _read_state_once(
    path: Path,
    old: FileState | None,
    fields: FieldMap,
    started: float,
    scan: Scan,
    defer: bool,
) -> FileState:
    key = str(path)
    try:
        status = os.stat(path)
    except OSError as error:
        return FileState(None, None, problems=[[None, None, _cannot_read(error), True]])
    stat = _stat_key(status)
    trusted = stat if started - status.st_mtime_ns / 1e9 > RACY_SECONDS else None
    if old is not None and old.stat is not None and old.stat == stat:
        return old
    # A JSON Lines file is streamed (surveyed, then parsed line by line); a file of another
    # format is read whole, as its parser needs, and let go once parsed.
    data: bytes | None = None
    survey: Survey | None = None
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        try:
            if suffix in JSONL_SUFFIXES:
                survey = survey_file(path)
            else:
                data = path.read_bytes()
                survey = Survey(len(data), file_hash(data))
        except OSError as error:
            return FileState(None, None, problems=[[None, None, _cannot_read(error), True]])
    digest = survey.sha256 if survey is not None else None
    if old is not None and digest is not None and old.sha256 == digest:
        return FileState(trusted, digest, old.articles, old.problems)
    state = FileState(trusted if digest is not None else None, digest)
    records: list[SourceRecord] = []
    for item in read_file(path, fields, data, survey=survey):
        if isinstance(item, Problem):
            state.problems.append([item.line, item.entry, item.reason, item.skipped])
        elif defer:  # its document hash is filled in once it is analysed
            state.articles.append([item.id, item.line, item.entry, None, item.content_hash])
        else:
            records.append(item)
    scan.files_parsed += 1
    if defer:
        if state.articles and survey is not None:
            scan.deferred[key] = survey
    else:
        scan.unprepared[key] = records
    return state


def deferred_records(scan: Scan, fields: FieldMap) -> Iterator[tuple[str, int, SourceRecord]]:
    """``(file, index in that file, record)`` for every record of the files a full build read,
    read and parsed again from disk, one file at a time (JSON Lines streamed).

    Raises :class:`SourceChangedError` when a file is not the one scanned: another size or
    hash, or records other than those in its state (checked record by record, so a change is
    mostly found before the records after it are sent to be written)."""
    for key in list(scan.deferred):
        path, surveyed = Path(key), scan.deferred.pop(key)
        entries = scan.files[key].articles
        try:
            if os.stat(path).st_size != surveyed.size:
                raise SourceChangedError.of(key, "while the index was being built")
            if path.suffix.lower() in JSONL_SUFFIXES:
                items = read_jsonl(path, surveyed, fields)
            else:
                data = path.read_bytes()
                if file_hash(data) != surveyed.sha256:
                    raise SourceChangedError.of(key, "while the index was being built")
                items = read_file(path, fields, data)
            number = -1
            for item in items:
                if isinstance(item, Problem):
                    continue
                number += 1
                entry = entries[number] if number < len(entries) else None
                if entry is None or (entry[0], entry[1], entry[2], entry[4]) != (
                    item.id,
                    item.line,
                    item.entry,
                    item.content_hash,
                ):
                    raise SourceChangedError.of(key, "while the index was being built")
                yield key, number, item
            if number + 1 != len(entries):
                raise SourceChangedError.of(key, "while the index was being built")
        except OSError as error:
            raise SourceChangedError.of(key, "while the index was being built") from error


def _prepare_fresh(scan: Scan, run: Runner, reuse: bool) -> None:
    """Analyse the records of every file read in this scan (in parallel where ``run`` is).

    With ``reuse``, a record found unchanged at the same place of a file that changed (same id,
    content hash, line and entry) keeps its document hash from last time and is not analysed:
    one edited line of a large file costs one article's analysis, not the whole file's.
    """
    paths = list(scan.unprepared)
    known: dict[str, dict[tuple[Any, ...], str]] = {}
    for path in paths:
        old = scan.previous.get(path) if reuse else None
        known[path] = {
            (e[0], e[1], e[2], e[4]): e[3] for e in (old.articles if old else ()) if len(e) > 4
        }

    def place(record: SourceRecord) -> tuple[Any, ...]:
        return (record.id, record.line, record.entry, record.content_hash)

    todo = (r for path in paths for r in scan.unprepared[path] if place(r) not in known[path])
    prepared = run.map(prepare_batch, todo)
    for path in paths:
        fresh: list[Article | SourceRecord] = []
        entries = []
        for record in scan.unprepared[path]:
            document_hash_ = known[path].get(place(record))
            item: Article | SourceRecord = record
            if document_hash_ is None:
                item = next(prepared)
                document_hash_ = document_hash(item)
                scan.analysed += 1
            fresh.append(item)
            entries.append(
                [record.id, record.line, record.entry, document_hash_, record.content_hash]
            )
        scan.fresh[path] = fresh
        scan.files[path].articles = entries
    scan.unprepared.clear()


def as_article(item: Article | SourceRecord) -> Article:
    """The article of a record left unprepared by the scan (see :func:`scan_sources`)."""
    return articles.prepare(item) if isinstance(item, SourceRecord) else item


def prepare_batch(records: list[SourceRecord]) -> list[Article]:
    """:func:`~searchlib.prepare.articles.prepare` over a batch: a worker's unit of work."""
    return [articles.prepare(record) for record in records]


def _cannot_read(error: OSError) -> str:
    return f"cannot read: {error.strerror or error}"


@dataclass
class Changes:
    """How the articles in the sources differ from those in the index."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


def changes_of(scan: Scan, previous_hashes: Mapping[str, str]) -> Changes:
    """The articles added, updated, deleted and unchanged since ``previous_hashes``."""
    changes = Changes()
    current = scan.hashes(scan.files)
    for article_id, digest in current.items():
        old = previous_hashes.get(article_id)
        if old is None:
            changes.added.append(article_id)
        elif old != digest:
            changes.updated.append(article_id)
        else:
            changes.unchanged += 1
    changes.deleted = sorted(set(previous_hashes) - set(current))
    return changes
