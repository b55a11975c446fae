"""Build: bring an index up to date with its sources, as a short sequence of named phases.

An index is a folder. Indexes named in a project are defined by ``indexes/NAME.toml`` (tracked
in git) and built into ``indexes/NAME/`` (ignored by git); any other folder can hold an ad-hoc
index built from files given on the command line.

**Generations.** Inside the folder, ``searchlib.json`` (the manifest) names the current
generation folder (``gen-000001``, ``gen-000002`` …). A build never changes the files of the
current generation: it writes a new generation folder and only then points the manifest at it,
with an atomic rename. A build that fails or is killed at any moment therefore leaves the
previous index as it was, readers always see a complete index, and the next build removes the
leftovers. A lock file (``fcntl.flock``, released by the OS when a process dies) keeps two
builds from running at once.

**Incremental builds.** Each generation holds ``sources.json``: for every source file its size,
times and SHA-256, and for every article in it the id, the line or feed entry, and a hash of the
document indexed for it. A build stats each file; a file whose stat is unchanged is not read at
all, a file whose content hash is unchanged is not analysed again. The documents that changed are
applied copy-on-write: the current generation's segment files are hard-linked into the new
generation folder (Whoosh never rewrites a segment file, it only writes new ones and replaces
its table of contents by rename), and Whoosh deletes, adds and merges there. When nothing
changed no generation is written. Whoosh keeps deleted documents in its term statistics until
their segment is merged, which would make scores differ from a fresh build; so every segment
with deletions is written again in the same commit, and segments are bounded in size (see
:func:`segment_docs`: a few seconds to write one again). An incremental build thus
gives the same documents and the same scores as a full build from the same sources. What the
impact sidecar and the entity table need of each segment is kept beside it (see
:mod:`searchlib.engine.sidecar.files`, segment parts) and hard-linked along with it, so an
incremental build reads back only the segments it wrote itself.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine import save_facet_columns, spelling
from ..engine.documents import document, hash_document
from ..engine.sidecar import files as impacts
from ..engine.whoosh import schema, storage, writer
from ..errors import IndexDamagedError, SourceError, SourceProblemError
from ..model import Article
from ..prepare import articles
from ..prepare.sources import FieldMap, Problem, SourceRecord, discover, field_map, file_hash
from . import duplicates, integrity
from .definitions import DEFAULT_INDEX, Location, aliases_path, locate
from .entity_table import ENTITY_TABLE, EntityNames, write_entity_table
from .lock import build_lock
from .manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    SOURCES_STATE,
    check_folder,
    current_generation,
    known_sources,
    ledger_generations,
    next_generation,
    read_ledger,
    read_manifest,
    remove_leftovers,
    write_json,
    write_ledger,
    write_manifest,
)
from .parallel import Runner, runner
from .state import Changes, FileState, Scan, as_article, changes_of, deferred_records, scan_sources

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping


def analyze_batch(articles: list[Article]) -> list[dict[str, Any]]:
    """The Whoosh documents of a batch of articles, their text fields already analysed: the
    costly half of adding a document, and the unit of work sent to a worker."""
    return [schema.analyze_document(document(article)) for article in articles]


def write_records_segment(
    folder: str,
    items: list[tuple[SourceRecord, bool]],
    counted: Callable[[int], None] | None = None,
) -> tuple[writer.SegmentWritten, duplicates.Signatures]:
    """A full build's unit of work on this machine: prepare each record, analyse the wanted
    ones and write them as one segment into the index in ``folder`` (see
    :func:`searchlib.engine.whoosh.writer.write_segment`); ``counted`` is told how many of
    the segment's articles are written so far. Also the duplicate signatures of the
    articles written, made here (in the worker) rather than from them read back."""
    stories: list[duplicates.Compared] = []
    written = writer.write_segment(folder, _documents(items, counted, stories))
    return written, duplicates.signatures_of(stories)


def _documents(
    items: list[tuple[SourceRecord, bool]],
    counted: Callable[[int], None] | None = None,
    stories: list[duplicates.Compared] | None = None,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    # Each document is made only when the writer asks for it: a segment's analysed documents
    # would take several times its size in memory.
    done = 0
    for record, wanted in items:
        doc: dict[str, Any] = document(articles.prepare(record))
        if wanted and stories is not None:
            stories.append(duplicates.compared(doc))
        yield hash_document(doc), schema.analyze_document(doc) if wanted else None
        if wanted and counted is not None:
            done += 1
            counted(done)


def prepare_and_analyze_batch(
    items: list[tuple[SourceRecord, bool]],
) -> list[tuple[str, dict[str, Any] | None]]:
    """A full build's unit of work: for each ``(record, wanted)``, prepare the article and
    return its document hash and, if ``wanted``, its analysed Whoosh document. One round trip
    to a worker per batch, and no article kept in the main process."""
    results: list[tuple[str, dict[str, Any] | None]] = []
    for record, wanted in items:
        doc: dict[str, Any] = document(articles.prepare(record))
        results.append((hash_document(doc), schema.analyze_document(doc) if wanted else None))
    return results


@dataclass
class BuildReport:
    """What a build did: the articles it added, updated and deleted, and the problems it met.

    ``articles`` is how many articles the index holds after the build.
    """

    name: str
    path: Path
    articles: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    files: int = 0
    files_parsed: int = 0
    #: Articles analysed in this build (unchanged ones in a changed file are not).
    analysed: int = 0
    full: bool = False
    generation: str = ""

    @property
    def skipped(self) -> int:
        """How many files or records were left out of the index."""
        return sum(1 for problem in self.problems if problem.skipped)

    @property
    def articles_per_second(self) -> float:
        """Speed over the whole build: articles in the index per second of building."""
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "index": self.name,
            "path": str(self.path),
            "articles": self.articles,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "full": self.full,
            "files": self.files,
            "files_parsed": self.files_parsed,
            "analysed": self.analysed,
            "generation": self.generation,
            "seconds": round(self.seconds, 3),
            "problems": [
                {
                    "source": p.source,
                    "line": p.line,
                    "entry": p.entry,
                    "reason": p.reason,
                    "skipped": p.skipped,
                }
                for p in self.problems
            ],
        }


def build(
    index: str | os.PathLike[str] = DEFAULT_INDEX,
    sources: Iterable[str | os.PathLike[str]] | None = None,
    *,
    fields: Mapping[str, str] | None = None,
    rebuild: bool = False,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    lock_timeout: float = 10.0,
    workers: int = 1,
    scheduler: str | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> BuildReport:
    """Bring an index up to date with its sources and switch readers to it atomically.

    Only what changed since the last build is read and indexed again; the result is the same
    as a full build from the same sources.

    Parameters
    ----------
    index:
        A name defined in ``indexes/NAME.toml`` or the path of an index folder.
    sources:
        Files, folders or glob patterns to index. Defaults to the definition's sources, or,
        for an ad-hoc index built before, the sources it was built from.
    fields:
        Which keys or columns of JSON, JSON Lines and CSV records hold the article's id,
        title, date, text and author. Defaults to the definition's ``[fields]`` table, or to
        what an ad-hoc index was built with, or to those same names.
    rebuild:
        Build the whole index afresh, reading every file again.
    strict:
        Stop at the first problem in the sources (raising :class:`SourceProblemError`),
        leaving the index unchanged.
    progress:
        Called with the number of articles written so far and the number to write.
    lock_timeout:
        Seconds to wait for another build of the same index to finish.
    workers:
        Analyse articles in this many local processes (the index is the same for any number).
    scheduler:
        Analyse articles on the workers of the Dask distributed cluster at this address
        (``tcp://HOST:8786``) instead; the index is written here.
    on_phase:
        Called with the name of each moment a build reaches, in order: ``"locked"``,
        ``"linked"`` (incremental builds), ``"writing"`` (the first article written),
        ``"committed"`` (the new generation complete, the manifest not yet switched) and
        ``"switched"``. For progress displays, and for tests that stop a build at a known
        moment.
    """
    started = time.perf_counter()
    location = locate(index)
    patterns, base = resolve_sources(location, sources)
    mapping = resolve_fields(location, fields)
    check_folder(location)
    location.path.mkdir(parents=True, exist_ok=True)
    report = BuildReport(location.name, location.path)
    phase = on_phase or _no_phase
    with build_lock(location, lock_timeout), runner(workers, scheduler) as run:
        phase("locked")
        manifest = read_manifest(location.path)
        current = current_generation(location.path, manifest)
        if current is None and manifest:
            report.problems.append(
                Problem(
                    str(location.path / MANIFEST),
                    f"the manifest names {manifest.get('generation')!r}, not a generation "
                    "folder of this index; building it afresh",
                    skipped=False,
                )
            )
            manifest = {}
        # Recorded before anything is made, so that what this build leaves can be removed
        # by the next one, and the sources are known even if the manifest is damaged.
        made = ledger_generations(location.path) + ([current] if current else [])
        write_ledger(location.path, made, patterns, mapping)
        remove_leftovers(location.path, keep={current})
        plan = _plan(location, manifest, patterns, base, mapping, rebuild, strict, run, report)
        if plan.full or plan.changes or plan.new_aliases or plan.old_sidecar:
            generation = _write_new_generation(
                location, plan, current, manifest, run, progress, phase
            )
            phase("switched")
            remove_leftovers(location.path, keep={generation, current})
            report.generation = generation
        else:
            state = plan.sources_state()
            if plan.previous is not None and state != plan.previous["json"]:
                # Only file times or problems changed: the index itself stays as it is.
                _rewrite_sources_state(location.path, manifest, str(current), state)
            report.generation = str(current)
        changes, scan = plan.changes, plan.scan
        report.analysed = scan.analysed
        report.articles = len(plan.winners)
        report.added, report.updated = len(changes.added), len(changes.updated)
        report.deleted, report.unchanged = len(changes.deleted), changes.unchanged
    report.seconds = time.perf_counter() - started
    return report


def _no_phase(name: str) -> None:
    """The default of ``build(on_phase=…)``: nothing to tell."""


def _rewrite_sources_state(
    path: Path, manifest: dict[str, Any], current: str, state: dict[str, Any]
) -> None:
    """Replace the current generation's sources state, and its checksum in the manifest."""
    target = path / current / SOURCES_STATE
    write_json(target, state)
    files = manifest.get("files")
    if isinstance(files, dict):
        files[SOURCES_STATE] = [target.stat().st_size, integrity.file_digest(target)]
        write_json(path / MANIFEST, manifest)


@dataclass
class _Plan:
    """What a build found: the sources now, what changed since the current generation, and
    whether a new generation must be written."""

    patterns: list[str]
    mapping: FieldMap
    scan: Scan
    changes: Changes
    winners: dict[str, tuple[str, int]]
    previous: dict[str, Any] | None
    aliases_digest: str | None
    new_aliases: bool
    old_sidecar: bool

    @property
    def full(self) -> bool:
        """Whether every article is written afresh (nothing to build on)."""
        return self.previous is None

    def sources_state(self) -> dict[str, Any]:
        """The ``sources.json`` of the generation this build leaves current."""
        return {
            "schema": SCHEMA_VERSION,
            "fields": self.mapping,
            "aliases": self.aliases_digest,
            "files": {path: s.to_json() for path, s in self.scan.files.items()},
        }


def _plan(
    location: Location,
    manifest: Mapping[str, Any],
    patterns: list[str],
    base: Path,
    mapping: FieldMap,
    rebuild: bool,
    strict: bool,
    run: Runner,
    report: BuildReport,
) -> _Plan:
    """The first phase: read what changed in the sources since the current generation."""
    current = manifest.get("generation")
    paths, found_problems = discover(patterns, base)
    previous = None if rebuild else _previous_state(location, manifest, mapping, report)
    trust = previous is not None and previous["fields"] == mapping
    old_files = previous["files"] if previous is not None else {}
    if strict and found_problems:
        raise _stopped(found_problems[0])
    # A full build analyses each article as it writes it (see _write_full).
    full = previous is None
    scan = scan_sources(paths, old_files, mapping, trust=trust, strict=strict, run=run, defer=full)
    previous_hashes = scan.hashes(old_files)
    changes = changes_of(scan, previous_hashes)
    # An article that must be written may sit in a file that was not read (its stat was
    # unchanged, but the copy that used to win a duplicate id went away): read those too.
    winners = scan.winners()
    unread = {winners[i][0] for i in changes.added + changes.updated}
    unread -= set(scan.fresh) | set(scan.deferred)
    if unread:
        scan = scan_sources(
            paths, old_files, mapping, trust=trust, strict=strict, force=unread, run=run
        )
        changes = changes_of(scan, previous_hashes)
        winners = scan.winners()
    source_problems = found_problems + scan.problems()
    if strict and source_problems:  # duplicate ids are only known once all is read
        raise _stopped(source_problems[0])
    report.problems += source_problems
    report.files, report.files_parsed = len(paths), scan.files_parsed
    report.full = full
    aliases_digest = _aliases_digest(location)
    return _Plan(
        patterns,
        mapping,
        scan,
        changes,
        winners,
        previous,
        aliases_digest,
        # The entity table is saved with each generation: new user aliases need a new one.
        new_aliases=previous is not None and previous["json"].get("aliases") != aliases_digest,
        # So is the sidecar, when this searchlib writes it differently (or it went missing).
        old_sidecar=previous is not None
        and not (
            impacts.is_current(location.path / str(current), str(current))
            and spelling.is_current(location.path / str(current), str(current))
            and duplicates.is_current(location.path / str(current), str(current))
        ),
    )


def _stopped(problem: Problem) -> SourceProblemError:
    return SourceProblemError(
        f"stopped at the first problem: {problem}",
        "fix the source or build without --strict; the index was not changed",
    )


def _write_new_generation(
    location: Location,
    plan: _Plan,
    current: str | None,
    manifest: Mapping[str, Any],
    run: Runner,
    progress: Callable[[int, int], None] | None,
    phase: Callable[[str], None],
) -> str:
    """The second phase: write the next generation folder whole (segments, sidecar, entity
    table, sources state), flush it to disk with its checksums, then point the manifest at
    it. Nothing of it is left if it fails."""
    scan, winners, changes = plan.scan, plan.winners, plan.changes
    generation = next_generation(location.path)
    target = location.path / generation
    write_ledger(location.path, [*ledger_generations(location.path), generation])
    written: Written | None = None
    fresh: list[duplicates.Compared] | None = None  # (all of them when None)
    storage.allow_open_files(len(winners) // writer.SEGMENT_DOCS + writer.MAX_SMALL_SEGMENTS)
    try:
        target.mkdir()
        if plan.full:
            written = Written(target)
            if run.local:
                _write_full(target, plan, run, progress, written, phase)
            else:  # workers elsewhere analyse; this process writes
                docs = _full_documents(scan, plan.mapping, winners, run)
                writer.write_generation(
                    target, docs, len(winners), progress=progress, written=written, phase=phase
                )
        else:
            wanted = set(changes.added) | set(changes.updated)
            to_write = [
                as_article(scan.fresh[path][number])
                for article_id, (path, number) in winners.items()
                if article_id in wanted
            ]
            writer.write_generation(
                target,
                run.map(analyze_batch, to_write),
                len(to_write),
                base=None if current is None else location.path / current,
                deletions=changes.updated + changes.deleted,
                progress=progress,
                phase=phase,
                keep_out=(SOURCES_STATE, ENTITY_TABLE),
            )
            fresh = [duplicates.Compared(a.id, a.title, a.body, a.date) for a in to_write]
        base = None if current is None else location.path / current
        drop = changes.updated + changes.deleted
        computed = written.signatures if written and written.signatures else None
        # Before the sidecar, so that a full build lets go of the signatures (512 bytes an
        # article) before it makes the sidecar's arrays.
        duplicates.write(target, generation, fresh, base=base, drop=drop, computed=computed)
        if written is not None:
            written.signatures = []
        del computed
        stored = impacts.write(target, generation, written.impacts if written else None)
        spelling.write(target, generation)  # (from the sidecar's words)
        names = written.entity_names if written else None
        if names is None and stored is not None:  # the segment parts' stored fields
            names = EntityNames()
            for kept in stored:
                names.add(kept)
        table = write_entity_table(location, target, names)
        save_facet_columns(target, generation, table.names)
        if written is not None:
            written.close()
            written = None
        write_json(target / SOURCES_STATE, plan.sources_state())
        files = integrity.record(target, base, manifest.get("files"))
        phase("committed")
        write_manifest(location, generation, plan.patterns, plan.mapping, len(winners), files)
    except BaseException:
        run.stop()  # no worker writes into the folder once it is removed
        if written is not None:
            written.close()
        shutil.rmtree(target, ignore_errors=True)
        raise
    return generation


def _previous_state(
    location: Location, manifest: Mapping[str, Any], mapping: FieldMap, report: BuildReport
) -> dict[str, Any] | None:
    """The sources state of the current generation, or ``None`` when a full build is needed
    (nothing built yet, another schema, or a generation that cannot be read)."""
    generation = manifest.get("generation")
    if not generation or manifest.get("schema") != SCHEMA_VERSION:
        return None
    folder = location.path / str(generation)
    try:
        data = json.loads((folder / SOURCES_STATE).read_text("utf-8"))
        files = {path: FileState.from_json(s) for path, s in data["files"].items()}
        expected = len(Scan(files, {}, {}).winners())
        damage = integrity.verify(folder, manifest.get("files"))
        if damage:
            raise IndexDamagedError("; ".join(damage[:3]) + (" …" if len(damage) > 3 else ""))
        writer.verify_generation(folder, expected)
    except (OSError, ValueError, KeyError, TypeError, IndexDamagedError) as error:
        report.problems.append(
            Problem(
                str(folder),
                f"the current index cannot be updated ({error}); building it afresh",
                skipped=False,
            )
        )
        return None
    return {"fields": data.get("fields"), "files": files, "json": data}


def _write_full(
    target: Path,
    plan: _Plan,
    run: Runner,
    progress: Callable[[int, int], None] | None,
    written: Written,
    phase: Callable[[str], None],
) -> None:
    """A full build on this machine: each segment (of :func:`segment_docs` articles) is
    prepared, analysed and written by one call of :func:`write_segment` (in a worker process
    where ``run`` has them), and this process only adds the segments, in order, to the index.

    The segments are those :func:`writer.write_generation` would write: the same articles in each,
    in the same order. Records are let go once sent, and document hashes filled in to the
    sources state as the segments come back.

    The records are read and parsed again from the files on disk (see
    :func:`deferred_records`), so that neither a list of every record nor a file's content
    is ever held."""
    scan, winners = plan.scan, plan.winners
    store = writer.create(target)
    total = len(winners)
    size = writer.segment_docs(total)
    entries = scan.deferred_entries()

    def batches() -> Iterator[list[tuple[SourceRecord, bool]]]:
        batch: list[tuple[SourceRecord, bool]] = []
        wanted_count = 0
        for path, number, record in deferred_records(scan, plan.mapping):
            wanted = winners.get(record.id) == (path, number)
            batch.append((record, wanted))
            wanted_count += wanted
            if wanted_count == size:
                yield batch
                batch, wanted_count = [], 0
        if batch:
            yield batch

    segments: list[Any] = []
    count = 0
    work = functools.partial(write_records_segment, str(target))
    if progress is not None:
        tell = progress
        tell(0, total)  # the total is known before the first segment's articles are read
        if not run.parallel:  # here, each article is counted as it is written
            work = functools.partial(work, counted=lambda done: tell(count + done, total))
    for result, signatures in run.apply(work, batches()):
        written.signatures.append(signatures)
        for digest in result.digests:
            next(entries)[3] = digest
            scan.analysed += 1
        if result.segment is None or result.part is None:
            continue
        segments.append(result.segment)
        written.add_part(result.part, result.segment.segment_id())
        if count == 0:
            phase("writing")
        count += result.segment.doc_count_all()
        if progress is not None:
            progress(count, total)
    run.release()  # (the rest of the build is this process's)
    writer.commit_segments(store, segments)
    if progress is not None:
        progress(count, total)


class Written:
    """What a full build learns from the documents as it writes them, so that nothing is read
    back afterwards: the sidecar's postings and columns and the entity names."""

    def __init__(self, target: Path) -> None:
        self.impacts: impacts.Collector | None = impacts.Collector(target / ".impacts-parts.tmp")
        self.entity_names: EntityNames | None = EntityNames()
        #: Each segment's duplicate signatures, when they were made as it was written.
        self.signatures: list[duplicates.Signatures] = []

    def add(self, doc: Mapping[str, Any]) -> None:
        """One document, as given to Whoosh."""
        kept = schema.kept_fields(doc)
        if self.impacts is not None:
            postings = schema.analysed_postings(doc)
            if postings is None:  # not analysed ahead: let impacts.write read it back
                self.impacts.close()
                self.impacts = None
            else:
                self.impacts.add(kept, postings)
        if self.entity_names is not None:
            self.entity_names.add(kept)

    def add_part(self, part: impacts.SegmentPart, segment_id: str | None = None) -> None:
        """The next segment, written elsewhere (see :func:`write_segment`)."""
        if self.impacts is not None:
            self.impacts.add_part(part, segment_id)
        if self.entity_names is not None:
            for kept in part.stored:
                self.entity_names.add(kept)

    def end_segment(self, segment_id: str | None = None) -> None:
        """The documents added so far are committed (as segment ``segment_id``, if known)."""
        if self.impacts is not None:
            self.impacts.end_segment(segment_id)

    def close(self) -> None:
        """Remove the temporary files."""
        if self.impacts is not None:
            self.impacts.close()


def _full_documents(
    scan: Scan, fields: FieldMap, winners: Mapping[str, tuple[str, int]], run: Runner
) -> Iterator[dict[str, Any]]:
    """The analysed documents of a full build, in the order of ``winners``.

    Every record read is prepared once (in parallel where ``run`` is), in the same round trip
    as its analysis, and its document hash is filled in to the sources state as it comes back.
    Writing thus goes on while the workers analyse the next articles; the records are read
    again from the files on disk (see :func:`deferred_records`), never all held at once."""
    entries = scan.deferred_entries()
    items = (
        (record, winners.get(record.id) == (path, number))
        for path, number, record in deferred_records(scan, fields)
    )
    for digest, doc in run.map(prepare_and_analyze_batch, items):
        next(entries)[3] = digest
        scan.analysed += 1
        if doc is not None:
            yield doc


def resolve_sources(
    location: Location, sources: Iterable[str | os.PathLike[str]] | None
) -> tuple[list[str], Path]:
    """The source patterns to build from and the folder they are relative to: those given,
    else the definition's, else those an ad-hoc index was built from last time."""
    given = [str(Path(source).absolute()) for source in sources or ()]
    if given:
        return given, Path.cwd()
    if location.definition is not None:
        return list(location.definition.sources), location.definition.base
    previous = known_sources(location.path)  # (the ledger's if the manifest is damaged)
    if previous:
        return previous, Path.cwd()
    raise SourceError(
        f"no sources to build {location.name!r} from",
        "name files or folders to index: searchlib index build --index PATH FILES...",
    )


def _aliases_digest(location: Location) -> str | None:
    try:
        return file_hash(aliases_path(location).read_bytes())
    except OSError:
        return None


def resolve_fields(location: Location, fields: Mapping[str, str] | None) -> FieldMap:
    """Which record keys hold which article fields: as given, else as defined or built."""
    if fields:
        try:
            return field_map(fields)
        except ValueError as error:
            raise SourceError(str(error), "map fields as NAME=COLUMN, e.g. text=body") from error
    if location.definition is not None:
        return dict(location.definition.fields)
    built = read_manifest(location.path).get("fields") or read_ledger(location.path).get("fields")
    return field_map(built)
