"""Index: where indexes live, their schema, and building them safely and incrementally.

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
with deletions is written again in the same commit, and segments are kept small (see
:func:`segment_docs`) so that this stays cheap. An incremental build thus
gives the same documents and the same scores as a full build from the same sources. What the
impact sidecar and the entity table need of each segment is kept beside it (see
:mod:`searchlib.impacts`, segment parts) and hard-linked along with it, so an incremental build
reads back only the segments it wrote itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import functools
import hashlib
import itertools
import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from . import impacts
from .analysis import Article, news_analyzer, prepare
from .entities import KINDS, EntityTable
from .errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    SourceChangedError,
    SourceError,
    SourceProblemError,
)
from .parallel import Runner, runner
from .sources import (
    JSONL_SUFFIXES,
    SUPPORTED_SUFFIXES,
    FieldMap,
    Problem,
    SourceRecord,
    Survey,
    discover,
    field_map,
    file_hash,
    read_file,
    read_jsonl,
    survey_file,
    where,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: Bumped whenever the schema or analysis changes in a way that needs a rebuild.
SCHEMA_VERSION = 5
MANIFEST = "searchlib.json"
#: What each source file held at the build of a generation; kept inside the generation.
SOURCES_STATE = "sources.json"
LOCK = ".lock"
DEFAULT_INDEX = "seeds"
ENTITY_FIELDS = ("person", "org", "place")
#: Paths of the form indexes/NAME.toml are looked up from here and from its parents.
INDEXES_DIR = "indexes"
#: Documents per Whoosh segment in a full build: small enough that purging one segment's
#: deletions costs little, large enough that searches see few segments.
SEGMENT_DOCS = 1000
#: A full build of many articles writes larger segments, up to this size, so that there are
#: about :data:`SEGMENTS_WANTED` of them (see :func:`segment_docs`).
MAX_SEGMENT_DOCS = 10_000
SEGMENTS_WANTED = 100
#: Small segments (under a quarter of SEGMENT_DOCS, from incremental builds) are written
#: together again once there are more than this many.
MAX_SMALL_SEGMENTS = 8
#: A file modified this recently may change again within the same timestamp; its stat is not
#: trusted next time (the "racily clean" problem git also guards against).
RACY_SECONDS = 2.0
#: Test hook: ``SEARCHLIB_TEST_PAUSE=POINT[:SECONDS]`` makes a build print
#: "searchlib-test: paused at POINT" on stderr and sleep there, so tests can kill it at a
#: known moment. The points are the names passed to :func:`_checkpoint`.
PAUSE_VARIABLE = "SEARCHLIB_TEST_PAUSE"


class Analyzed(NamedTuple):
    """A text field analysed ahead of writing: its postings and its words for spelling."""

    postings: list[tuple[bytes, int, float, bytes]]
    spelling: list[str]


class AnalyzedText(TEXT):
    """Whoosh's TEXT field that also takes text analysed ahead (see :func:`analyze_batch`),
    so that a build can analyse in worker processes and only write in this one."""

    def index(self, value: Any, **kwargs: Any) -> Any:
        """Postings of ``value``: given ready if it was analysed ahead, else computed now."""
        if isinstance(value, Analyzed):
            return iter(value.postings)
        return super().index(value, **kwargs)

    def spellable_words(self, value: Any) -> Any:
        """Words of ``value`` for spelling suggestions (unstemmed), ready or computed now."""
        if isinstance(value, Analyzed):
            return iter(value.spelling)
        return super().spellable_words(value)


TEXT_FIELDS = ("title", "body", "author")


def _remember_missing_columns() -> None:
    """Make Whoosh's per-document reader remember that a segment has no length column for a
    field, as it remembers the columns it has.

    Writing a segment asks the length of every posting's field, and for fields without
    lengths (ids, dates, entity names, spelling words: ~80 postings per article) Whoosh then
    looked for the column file again each time, with an ``os.stat``: about a fifth of the
    time of writing a segment. A segment's files never change once written, so the answer
    may be kept."""
    from whoosh.codec import whoosh3

    def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
            return reader

    whoosh3.W3PerDocReader._cached_reader = _cached_reader


_remember_missing_columns()


class _ViewFile:
    """A read-only, seekable file over a buffer (a memoryview of a memory-mapped segment file),
    reading straight from it: what ``io.BytesIO`` gives Whoosh's ``BufferFile``, without the
    copy. It behaves as ``BytesIO`` does for what readers use: ``read``, ``readline``,
    ``seek`` (clamped at 0, past the end allowed), ``tell``, iteration by lines, and ``close``
    (then ``ValueError``). It also has ``peek``, as buffered files do, which lets
    ``pickle.load`` (Whoosh reads a pickled header for each block of postings) take its bytes
    from one view of the buffer and then ``read`` just what it used, instead of calling
    ``read`` for each opcode: one Python call, where ``BytesIO`` is C."""

    __slots__ = ("_pos", "_view", "closed")

    def __init__(self, view: Any) -> None:
        self._view = view
        self._pos = 0
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        start, length = self._pos, len(self._view)
        end = length if size is None or size < 0 else min(start + size, length)
        if end <= start:
            return b""
        self._pos = end
        return bytes(self._view[start:end])

    def peek(self, size: int = 1) -> Any:
        """The bytes ahead, without moving (a memoryview of them, not a copy)."""
        self._check()
        return self._view[self._pos : self._pos + max(size, 1)]

    def readline(self, size: int | None = -1) -> bytes:
        self._check()
        start, end = self._pos, len(self._view)
        if size is not None and size >= 0:
            end = min(start + size, end)
        for chunk in range(start, end, 256):
            newline = bytes(self._view[chunk : min(chunk + 256, end)]).find(b"\n")
            if newline >= 0:
                end = chunk + newline + 1
                break
        return self.read(max(end - start, 0))

    def seek(self, pos: int, whence: int = 0) -> int:
        self._check()
        if whence not in (0, 1, 2) or (whence == 0 and pos < 0):
            raise ValueError(f"invalid seek: {pos}, {whence}")
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(base + pos, 0)
        return self._pos

    def tell(self) -> int:
        self._check()
        return self._pos

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self.closed = True


def _map_segment_files() -> None:
    """Make Whoosh read the files of a segment straight from its memory map.

    A reader memory-maps each segment (one compound file) and hands each file in it (terms,
    postings, every column: stored fields, lengths…) to the codec as a ``BufferFile`` over a
    memoryview of the map; ``BufferFile`` then wrapped that view in ``BytesIO(view)`` for
    ``read`` and ``seek``, a copy of the whole file in anonymous memory. Terms and postings are
    opened with the reader and columns on first use, so a searcher held about as much
    anonymous memory as the index has on disk, where the map alone is page cache the OS can
    drop and share between processes. (``get``, what term and posting lookups mostly use,
    already read from the view.) Closing is unchanged: the view lives as long as its
    ``BufferFile``, Whoosh's ``mmap.close()`` finds it exported and drops the map instead,
    which is unmapped when the reader's files go."""
    from whoosh.filedb import structfile

    def __init__(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        self._buf = buf
        self._name = name
        self.file = file = _ViewFile(buf)
        # What StructFile's read, seek and tell do is call these: save readers that call.
        self.read, self.seek, self.tell = file.read, file.seek, file.tell
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    structfile.BufferFile.__init__ = __init__


_map_segment_files()


@lru_cache(maxsize=1)
def _schema() -> Schema:
    return make_schema()


def analyze_batch(articles: list[Article]) -> list[dict[str, Any]]:
    """The Whoosh documents of a batch of articles, their text fields already analysed: the
    costly half of adding a document, and the unit of work sent to a worker."""
    return [_analyze(document(article)) for article in articles]


def prepare_and_analyze_batch(
    items: list[tuple[SourceRecord, bool]],
) -> list[tuple[str, dict[str, Any] | None]]:
    """A full build's unit of work: for each ``(record, wanted)``, prepare the article and
    return its document hash and, if ``wanted``, its analysed Whoosh document. One round trip
    to a worker per batch, and no article kept in the main process."""
    results: list[tuple[str, dict[str, Any] | None]] = []
    for record, wanted in items:
        doc: dict[str, Any] = document(prepare(record))
        results.append((_hash_document(doc), _analyze(doc) if wanted else None))
    return results


def _analyze(doc: dict[str, Any]) -> dict[str, Any]:
    """Analyse the text fields of a Whoosh document in place (see :class:`AnalyzedText`)."""
    schema = _schema()
    for name in TEXT_FIELDS:
        text = doc.get(name)
        if text:
            doc[name] = _analyze_text(schema[name], text)
            doc[f"_stored_{name}"] = text
    return doc


def _analyze_text(text_field: Any, text: str) -> Analyzed:
    """What ``text_field.index(text)`` and ``text_field.spellable_words(text)`` give, from one
    pass of the analyzer where it can: the words for spelling are those of the analyzer
    without its morphological filters (stemming), so when those come last they are the words
    that reach them, taken on the way."""
    if not text_field.separate_spelling():
        return Analyzed(list(text_field.index(text)), [])
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
#: and the entity names.
KEPT_FIELDS = impacts.KEPT_FIELDS


def _kept(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {key: doc[key] for key in KEPT_FIELDS if key in doc}


def _postings(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The analysed postings of a document's text fields (``None`` if one was not analysed)."""
    postings = {}
    for name in TEXT_FIELDS:
        value = doc.get(name)
        if isinstance(value, Analyzed):
            postings[name] = value.postings
        elif value:
            return None
    return postings


@dataclass
class SegmentWritten:
    """What :func:`write_segment` did: the document hash of each record, and the segment it
    wrote with what the sidecar needs of it (``None`` when no record was wanted)."""

    digests: list[str]
    segment: Any = None
    part: impacts.SegmentPart | None = None


def write_segment(folder: str, items: list[tuple[SourceRecord, bool]]) -> SegmentWritten:
    """A full build's unit of work on this machine: prepare each record, analyse the wanted
    ones and write them as one Whoosh segment into the index in ``folder`` (which the caller
    adds to the index's table of contents: see :func:`_write_full`).

    Segments hold their own document numbers, so a segment written here is the same as one
    written by the build's process; as Whoosh's own multi-process writer does, the segment is
    written without the index lock and finished with ``_finalize_segment``."""
    from whoosh.writing import SegmentWriter

    digests = []
    writer: SegmentWriter | None = None
    collected = impacts.SegmentPostings()
    try:
        # Each document is written as soon as it is analysed: a segment's analysed documents
        # would take several times its size in memory.
        for record, wanted in items:
            doc: dict[str, Any] = document(prepare(record))
            digests.append(_hash_document(doc))
            if wanted:
                if writer is None:
                    writer = SegmentWriter(whoosh_index.open_dir(folder), _lk=False, limitmb=256)
                _analyze(doc)
                writer.add_document(**doc)
                collected.add(_kept(doc), _postings(doc) or {})
        if writer is None:
            return SegmentWritten(digests)
        segment = writer._finalize_segment()
    except BaseException:
        if writer is not None:
            writer.pool.cancel()
            writer._close_segment()
        raise
    part = collected.finish()
    # Kept beside the segment, so that incremental builds need not read it back.
    impacts.save_part(Path(folder), segment.segment_id(), part)
    return SegmentWritten(digests, segment, part)


def make_schema() -> Schema:
    """The Whoosh schema every searchlib index uses."""
    analyzer = news_analyzer()
    entity = {"stored": True, "commas": True, "lowercase": True, "scorable": False}
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=AnalyzedText(
            analyzer=analyzer, stored=True, spelling=True, multitoken_query="phrase"
        ),
        body=AnalyzedText(analyzer=analyzer, stored=True, spelling=True, multitoken_query="phrase"),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        dateline=ID(stored=True),
        author=AnalyzedText(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        person=KEYWORD(**entity),
        org=KEYWORD(**entity),
        place=KEYWORD(**entity),
        entity_aliases=STORED(),
        source=ID(stored=True),
        content_hash=ID(stored=True),
    )


# ---------------------------------------------------------------------------------------------
# Where indexes are


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file of the user's (a definition, an aliases file), or a clear error."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise IndexDamagedError(
            f"cannot read {what} {path}: {error}", "fix the TOML file"
        ) from error


def load_user_aliases(path: Path) -> dict[str, dict[str, list[str]]]:
    """Read ``indexes/NAME.aliases.toml``: ``[person]`` ``"Canonical Name" = ["Alias", …]``."""
    aliases: dict[str, dict[str, list[str]]] = {}
    for kind, entries in read_toml(path, "aliases file").items():
        if kind not in KINDS or not isinstance(entries, dict):
            raise IndexDamagedError(
                f"{path}: unknown section [{kind}]", "use [person], [org] or [place]"
            )
        aliases[kind] = {
            str(canonical): [str(a) for a in (names if isinstance(names, list) else [names])]
            for canonical, names in entries.items()
        }
    return aliases


@dataclass(frozen=True)
class IndexDefinition:
    """An index defined in ``indexes/NAME.toml``: its name and where its articles come from.

    Source patterns are relative to the folder that holds the TOML file. ``fields`` maps the
    article fields (id, title, date, text, author) to the keys or columns of JSON, JSON Lines
    and CSV sources, from the optional ``[fields]`` table.
    """

    name: str
    sources: tuple[str, ...]
    base: Path
    description: str = ""
    fields: Mapping[str, str] = field(default_factory=lambda: field_map(None))

    @classmethod
    def load(cls, path: Path) -> IndexDefinition:
        """Read a definition file, raising :class:`IndexDamagedError` if it is malformed."""
        data = read_toml(path, "index definition")
        sources = data.get("sources")
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise IndexDamagedError(
                f"index definition {path} needs a list of source patterns",
                'add a line such as: sources = ["../seeds/*.txt"]',
            )
        fields = data.get("fields", {})
        try:
            if not isinstance(fields, dict):
                raise ValueError("[fields] must be a table")
            fields = field_map(fields)
        except ValueError as error:
            raise IndexDamagedError(
                f"index definition {path}: {error}",
                'write it as: [fields] id = "doc_id", text = "body"',
            ) from error
        return cls(
            name=str(data.get("name", path.stem)),
            sources=tuple(sources),
            base=path.parent,
            description=str(data.get("description", "")),
            fields=fields,
        )


@dataclass(frozen=True)
class Location:
    """Where an index lives: its folder, its display name, and its definition if it has one."""

    name: str
    path: Path
    definition: IndexDefinition | None = None

    @property
    def is_built(self) -> bool:
        """True once a build has completed in this folder."""
        return (self.path / MANIFEST).is_file()


def find_definition(name: str, start: Path | None = None) -> Path | None:
    """Find ``indexes/NAME.toml`` in ``start`` (default: the current folder) or its parents."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / INDEXES_DIR / f"{name}.toml"
        if path.is_file():
            return path
    return None


def locate(index: str | os.PathLike[str] = DEFAULT_INDEX) -> Location:
    """Resolve an index given by name (``indexes/NAME.toml``) or by path to its folder.

    A plain name with a definition wins over a folder of the same name, so ``seeds`` means the
    seeds index even at the root of the repository, beside the ``seeds/`` articles.
    """
    text = os.fspath(index)
    if text and os.sep not in text and "/" not in text and not text.startswith("."):
        definition_path = find_definition(text)
        if definition_path is not None:
            definition = IndexDefinition.load(definition_path)
            return Location(text, definition_path.parent / text, definition)
    path = Path(text).expanduser()
    return Location(text, path.resolve() if path.exists() else path.absolute())


def require_built(location: Location) -> dict[str, Any]:
    """Return the manifest of a built index, or raise an error that says how to build it."""
    manifest_path = location.path / MANIFEST
    if not manifest_path.is_file():
        if location.definition is not None:
            raise IndexNotFoundError(
                f"index {location.name!r} is not built yet",
                f"build it with: searchlib index build {location.name}",
            )
        if location.path.is_dir() and any(location.path.iterdir()):
            raise IndexDamagedError(
                f"{location.path} is not a searchlib index (no {MANIFEST})",
                "build one there with: searchlib index build --index PATH FILES...",
            )
        raise IndexNotFoundError(
            f"no index named {location.name!r}",
            "give the name of an indexes/NAME.toml definition or the path of a built index; "
            "build one with: searchlib index build --index PATH FILES...",
        )
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise damaged(location, f"unreadable {MANIFEST}: {error}") from error
    if manifest.get("schema") != SCHEMA_VERSION:
        raise damaged(location, "it was built by another version of searchlib")
    if not (location.path / str(manifest.get("generation", ""))).is_dir():
        raise damaged(location, "its current generation folder is missing")
    return manifest


def damaged(location: Location, why: str) -> IndexDamagedError:
    """The error for an index that cannot be read, with the command that rebuilds it."""
    return IndexDamagedError(
        f"index {location.name!r} is damaged: {why}", f"rebuild it with: {rebuild_hint(location)}"
    )


def rebuild_hint(location: Location) -> str:
    """The command that rebuilds this index from its sources."""
    if location.definition is not None:
        return f"searchlib index build {location.name} --rebuild"
    return f"searchlib index build --index {location.path} --rebuild"


def allow_open_files(segments: int) -> None:
    """Raise this process's soft limit of open files, up to its hard limit, to leave room for
    readers of an index of ``segments`` segments.

    A reader holds one descriptor per segment: Whoosh closes the file once it is mapped, but
    Python's ``mmap`` keeps a duplicate of the descriptor. An index of a million articles has
    about a thousand segments, each thread has its own searcher, and a build switching
    generations briefly keeps two; the usual soft limit, 1024, would turn the next ``open``
    into "Too many open files" (reported as a damaged index). The hard limit is usually far
    higher (524288 under systemd), and raising the soft one up to it is what it is for."""
    try:
        import resource
    except ImportError:  # not on Windows, which has no such limit for files
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1024 + 4 * segments
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def open_store(location: Location) -> tuple[whoosh_index.Index, dict[str, Any]]:
    """Open the current generation of a built index for reading."""
    manifest = require_built(location)
    folder = location.path / manifest["generation"]
    allow_open_files(sum(1 for _ in folder.glob("*.seg")))
    try:
        store = whoosh_index.open_dir(str(folder))
        # Opening a reader opens every segment file now, so a truncated or missing segment is
        # reported here rather than in the middle of a search.
        store.reader().close()
    except Exception as error:  # Whoosh raises many types (EOFError, struct.error, …)
        raise damaged(location, f"{type(error).__name__}: {error}") from error
    return store, manifest


ENTITY_TABLE = "entities.json"


def aliases_path(location: Location) -> Path:
    """Where the user's own entity aliases live: ``indexes/NAME.aliases.toml`` beside the
    definition, or ``aliases.toml`` in an ad-hoc index's folder."""
    if location.definition is not None:
        return location.definition.base / f"{location.definition.name}.aliases.toml"
    return location.path / "aliases.toml"


def load_entity_table(location: Location, manifest: dict[str, Any]) -> EntityTable:
    """The entity table saved with the current generation (empty for an index without one)."""
    path = location.path / manifest["generation"] / ENTITY_TABLE
    if not path.is_file():
        return EntityTable()
    try:
        return EntityTable.from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError) as error:
        raise damaged(location, f"unreadable {ENTITY_TABLE}: {error}") from error


class _EntityNames:
    """The entity names of an index's articles and the aliases they define, counted from their
    stored fields."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {kind: Counter() for kind in ENTITY_FIELDS}
        self.aliases: set[tuple[str, str, str]] = set()

    def add(self, stored: Mapping[str, Any]) -> None:
        """Count the names of one article's stored fields."""
        for kind in ENTITY_FIELDS:
            self.counts[kind].update({v for v in stored.get(kind, "").split(",") if v})
        for line in stored.get("entity_aliases", "").splitlines():
            kind, alias, name = line.split("\t")
            self.aliases.add((kind, alias, name))


def write_entity_table(
    location: Location, folder: Path, names: _EntityNames | None = None
) -> EntityTable:
    """Join the entity names of the index in ``folder`` and save the table beside it.

    ``names`` are those of every article in the index when the build counted them as it wrote
    them; otherwise every stored document is read."""
    if names is None:
        names = _EntityNames()
        store = whoosh_index.open_dir(str(folder))
        with store.reader() as reader:
            for _, stored in reader.iter_docs():
                names.add(stored)
    counts, seen_aliases = names.counts, names.aliases
    user_file = aliases_path(location)
    user = load_user_aliases(user_file) if user_file.is_file() else None
    table = EntityTable.build(counts, sorted(seen_aliases), user)
    (folder / ENTITY_TABLE).write_text(
        json.dumps(table.to_json(), ensure_ascii=False, sort_keys=True), "utf-8"
    )
    return table


# ---------------------------------------------------------------------------------------------
# Documents


def document(article: Article) -> dict[str, str]:
    """The Whoosh document for an article (fields without a value are left out)."""
    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "dateline": article.dateline,
        "author": article.author,
        "source": where(article.source, article.line, article.entry),
        "content_hash": article.content_hash,
    }
    if article.date:
        doc["date"], doc["year"] = article.date, article.date[:4]
    for name in ENTITY_FIELDS:
        values = getattr(article, name)
        if values:
            doc[name] = ",".join(v.replace(",", " ") for v in values)
    doc["entity_aliases"] = "\n".join("\t".join(alias) for alias in article.entity_aliases)
    return {key: value for key, value in doc.items() if value}


def article_from_stored(stored: Mapping[str, Any]) -> Article:
    """The article a stored Whoosh document was made from (the inverse of :func:`document`)."""
    source, line, entry = stored.get("source", ""), None, None
    for mark in (":", "#"):
        path, _, number = source.rpartition(mark)
        if path and number.isdigit():
            source = path
            line, entry = (int(number), None) if mark == ":" else (None, int(number))
            break
    entities = {
        name: tuple(v.strip() for v in stored.get(name, "").split(",") if v.strip())
        for name in ENTITY_FIELDS
    }
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        date=stored.get("date"),
        dateline=stored.get("dateline", ""),
        source=source,
        line=line,
        entry=entry,
        author=stored.get("author", ""),
        content_hash=stored.get("content_hash", ""),
        entity_aliases=tuple(
            tuple(line.split("\t")) for line in stored.get("entity_aliases", "").splitlines()
        ),
        **entities,
    )


def document_hash(article: Article) -> str:
    """A hash of everything indexed for an article: equal hashes, equal documents."""
    return _hash_document(document(article))


def _hash_document(doc: Mapping[str, str]) -> str:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------
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
class _Scan:
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
    # each file again as it writes, checking it is the file scanned: see _deferred_records.
    deferred: dict[str, Survey] = field(default_factory=dict)

    def deferred_entries(self) -> Iterator[list[Any]]:
        """The state entries of the records :func:`_deferred_records` gives, in its order (their
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
        return {
            article_id: files[path].articles[number][3]
            for article_id, (path, number) in self.winners(files).items()
        }


def _scan(
    paths: list[Path],
    previous: dict[str, FileState],
    fields: FieldMap,
    *,
    trust: bool,
    strict: bool,
    force: Iterable[str] = (),
    run: Runner | None = None,
    defer: bool = False,
) -> _Scan:
    """Read what changed since ``previous``: unchanged stat → not read; same hash → not
    analysed. With ``strict``, the first problem raises :class:`SourceProblemError`.

    With ``defer`` (a full build) the records read are not analysed here: their document
    hashes are left ``None`` until :func:`_full_documents` analyses them as it writes them."""
    scan = _Scan({}, previous, {})
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
    scan: _Scan,
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
    scan: _Scan,
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


def _deferred_records(scan: _Scan, fields: FieldMap) -> Iterator[tuple[str, int, SourceRecord]]:
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
                raise _changed(key)
            if path.suffix.lower() in JSONL_SUFFIXES:
                items = read_jsonl(path, surveyed, fields)
            else:
                data = path.read_bytes()
                if file_hash(data) != surveyed.sha256:
                    raise _changed(key)
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
                    raise _changed(key)
                yield key, number, item
            if number + 1 != len(entries):
                raise _changed(key)
        except OSError as error:
            raise _changed(key) from error


def _changed(path: str) -> SourceChangedError:
    return SourceChangedError(
        f"{path} changed while the index was being built",
        "build again once the sources are no longer being written; the index was not changed",
    )


def _prepare_fresh(scan: _Scan, run: Runner, reuse: bool) -> None:
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


def _article(item: Article | SourceRecord) -> Article:
    return prepare(item) if isinstance(item, SourceRecord) else item


def prepare_batch(records: list[SourceRecord]) -> list[Article]:
    """:func:`~searchlib.analysis.prepare` over a batch: the unit of work sent to a worker."""
    return [prepare(record) for record in records]


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


def _changes(scan: _Scan, previous_hashes: Mapping[str, str]) -> Changes:
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


# ---------------------------------------------------------------------------------------------
# Building


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
    """
    started = time.perf_counter()
    location = locate(index)
    patterns, base = _resolve_sources(location, sources)
    mapping = _resolve_fields(location, fields)
    location.path.mkdir(parents=True, exist_ok=True)
    report = BuildReport(location.name, location.path)
    with _build_lock(location, lock_timeout), runner(workers, scheduler) as run:
        _checkpoint("locked")
        manifest = _read_manifest(location.path)
        current = manifest.get("generation")
        _remove_leftovers(location.path, keep={current})
        paths, found_problems = discover(patterns, base)
        previous = None if rebuild else _previous_state(location, manifest, mapping, report)
        trust = previous is not None and previous["fields"] == mapping
        old_files = previous["files"] if previous is not None else {}
        if strict and found_problems:
            raise SourceProblemError(
                f"stopped at the first problem: {found_problems[0]}",
                "fix the source or build without --strict; the index was not changed",
            )
        # A full build analyses each article as it writes it (see _full_documents).
        full = previous is None
        scan = _scan(paths, old_files, mapping, trust=trust, strict=strict, run=run, defer=full)
        previous_hashes = scan.hashes(old_files)
        changes = _changes(scan, previous_hashes)
        # An article that must be written may sit in a file that was not read (its stat was
        # unchanged, but the copy that used to win a duplicate id went away): read those too.
        winners = scan.winners()
        unread = {winners[i][0] for i in changes.added + changes.updated}
        unread -= set(scan.fresh) | set(scan.deferred)
        if unread:
            scan = _scan(
                paths, old_files, mapping, trust=trust, strict=strict, force=unread, run=run
            )
            changes = _changes(scan, previous_hashes)
            winners = scan.winners()
        source_problems = found_problems + scan.problems()
        if strict and source_problems:  # duplicate ids are only known once all is read
            raise SourceProblemError(
                f"stopped at the first problem: {source_problems[0]}",
                "fix the source or build without --strict; the index was not changed",
            )
        report.problems += source_problems
        report.files, report.files_parsed = len(paths), scan.files_parsed
        report.full = full
        aliases_digest = _aliases_digest(location)

        def sources_state() -> dict[str, Any]:
            return {
                "schema": SCHEMA_VERSION,
                "fields": mapping,
                "aliases": aliases_digest,
                "files": {path: s.to_json() for path, s in scan.files.items()},
            }

        # The entity table is saved with each generation: new user aliases need a new one.
        new_aliases = previous is not None and previous["json"].get("aliases") != aliases_digest
        # So is the sidecar, when this searchlib writes it differently (or it went missing).
        old_sidecar = previous is not None and not impacts.is_current(
            location.path / str(current), str(current)
        )
        docs: Iterator[dict[str, Any]] | None = None
        if full:
            total = len(winners)
            if not run.local:  # workers elsewhere analyse; this process writes
                docs = _full_documents(scan, mapping, winners, run)
        else:
            wanted = set(changes.added) | set(changes.updated)
            to_write = [
                _article(scan.fresh[path][number])
                for article_id, (path, number) in winners.items()
                if article_id in wanted
            ]
            docs, total = run.map(analyze_batch, to_write), len(to_write)
        if full or changes or new_aliases or old_sidecar:
            generation = _next_generation(location.path)
            target = location.path / generation
            written: _Written | None = None
            allow_open_files(len(winners) // SEGMENT_DOCS + MAX_SMALL_SEGMENTS)
            try:
                target.mkdir()
                written = _Written(target) if full else None
                if docs is None:
                    assert written is not None
                    _write_full(target, scan, mapping, winners, run, progress, written)
                else:
                    _write_generation(
                        location, current, target, changes, docs, total, progress, written
                    )
                stored = impacts.write(target, generation, written.impacts if written else None)
                names = written.entity_names if written else None
                if names is None and stored is not None:  # the segment parts' stored fields
                    names = _EntityNames()
                    for kept in stored:
                        names.add(kept)
                write_entity_table(location, target, names)
                if written is not None:
                    written.close()
                    written = None
                _write_json(target / SOURCES_STATE, sources_state())
                _checkpoint("committed")
                _write_manifest(location, generation, patterns, mapping, len(winners))
            except BaseException:
                if written is not None:
                    written.close()
                shutil.rmtree(target, ignore_errors=True)
                raise
            _checkpoint("switched")
            _remove_leftovers(location.path, keep={generation, current})
            report.generation = generation
        else:
            state = sources_state()
            if previous is not None and state != previous["json"]:
                # Only file times or problems changed: the index itself stays as it is.
                _write_json(location.path / str(current) / SOURCES_STATE, state)
            report.generation = str(current)
        report.analysed = scan.analysed
        report.articles = len(winners)
        report.added, report.updated = len(changes.added), len(changes.updated)
        report.deleted, report.unchanged = len(changes.deleted), changes.unchanged
    report.seconds = time.perf_counter() - started
    return report


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
        expected = len(_Scan(files, {}, {}).winners())
        _verify_generation(folder, expected)
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


def _verify_generation(folder: Path, expected: int) -> None:
    """Open every segment of a generation and check its article count (cheap: no postings)."""
    try:
        store = whoosh_index.open_dir(str(folder))
        with store.reader() as reader:
            count = reader.doc_count()
    except Exception as error:  # Whoosh raises many types (EOFError, struct.error, …)
        raise IndexDamagedError(f"{type(error).__name__}: {error}") from error
    if count != expected:
        raise IndexDamagedError(f"it holds {count} articles where its sources list {expected}")


def segment_docs(articles: int) -> int:
    """How many articles each segment of a full build of ``articles`` articles holds: about
    :data:`SEGMENTS_WANTED` segments, each of :data:`SEGMENT_DOCS` to :data:`MAX_SEGMENT_DOCS`
    articles. A searcher opens every segment and a phrase query is matched in each (together
    about 7 ms a segment), while a segment with deletions is written again whole."""
    return max(SEGMENT_DOCS, min(MAX_SEGMENT_DOCS, articles // SEGMENTS_WANTED))


def _write_generation(
    location: Location,
    current: str | None,
    target: Path,
    changes: Changes,
    docs: Iterator[dict[str, Any]],
    total: int,
    progress: Callable[[int, int], None] | None,
    written: _Written | None,
) -> None:
    """Write the documents ``docs`` (``total`` of them) into the new generation ``target``:
    afresh when ``written`` collects a full build, else over links to the current one."""
    if written is not None or current is None:
        store = whoosh_index.create_in(str(target), make_schema())
        deletions: list[str] = []
    else:
        _link_segments(location.path / current, target)
        _checkpoint("linked")
        if not (changes or total):
            return  # only the entity table changes
        store = whoosh_index.open_dir(str(target))
        deletions = changes.updated + changes.deleted
    size = segment_docs(total) if written is not None else SEGMENT_DOCS
    segments = (
        (store.writer(limitmb=256), itertools.islice(docs, size))
        for _ in range(0, max(total, 1), size)
    )
    # An incremental build keeps the sidecar part of each segment it writes (new and purged
    # articles), as a full build does: the next build need not read it back.
    parts = target if written is None else None
    _add_segments(segments, total, progress, deletions, written, parts)


def _write_full(
    target: Path,
    scan: _Scan,
    fields: FieldMap,
    winners: Mapping[str, tuple[str, int]],
    run: Runner,
    progress: Callable[[int, int], None] | None,
    written: _Written,
) -> None:
    """A full build on this machine: each segment (of :func:`segment_docs` articles) is
    prepared, analysed and written by one call of :func:`write_segment` (in a worker process
    where ``run`` has them), and this process only adds the segments, in order, to the index.

    The segments are those :func:`_write_generation` would write: the same articles in each,
    in the same order. Records are let go once sent, and document hashes filled in to the
    sources state as the segments come back.

    The records are read and parsed again from the files on disk (see
    :func:`_deferred_records`), so that neither a list of every record nor a file's content
    is ever held."""
    store = whoosh_index.create_in(str(target), make_schema())
    total = len(winners)
    size = segment_docs(total)
    entries = scan.deferred_entries()

    def batches() -> Iterator[list[tuple[SourceRecord, bool]]]:
        batch: list[tuple[SourceRecord, bool]] = []
        wanted_count = 0
        for path, number, record in _deferred_records(scan, fields):
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
    for result in run.apply(functools.partial(write_segment, str(target)), batches()):
        for digest in result.digests:
            next(entries)[3] = digest
            scan.analysed += 1
        if result.segment is None or result.part is None:
            continue
        segments.append(result.segment)
        written.add_part(result.part, result.segment.segment_id())
        if count == 0:
            _checkpoint("writing")
        count += result.segment.doc_count_all()
        if progress is not None:
            progress(count, total)
    store.writer().commit(mergetype=lambda _writer, existing: [*existing, *segments])
    if progress is not None:
        progress(count, total)


def _full_documents(
    scan: _Scan, fields: FieldMap, winners: Mapping[str, tuple[str, int]], run: Runner
) -> Iterator[dict[str, Any]]:
    """The analysed documents of a full build, in the order of ``winners``.

    Every record read is prepared once (in parallel where ``run`` is), in the same round trip
    as its analysis, and its document hash is filled in to the sources state as it comes back.
    Writing thus goes on while the workers analyse the next articles; the records are read
    again from the files on disk (see :func:`_deferred_records`), never all held at once."""
    entries = scan.deferred_entries()
    items = (
        (record, winners.get(record.id) == (path, number))
        for path, number, record in _deferred_records(scan, fields)
    )
    for digest, doc in run.map(prepare_and_analyze_batch, items):
        next(entries)[3] = digest
        scan.analysed += 1
        if doc is not None:
            yield doc


class _Written:
    """What a full build learns from the documents as it writes them, so that nothing is read
    back afterwards: the sidecar's postings and columns and the entity names."""

    def __init__(self, target: Path) -> None:
        self.impacts: impacts.Collector | None = impacts.Collector(target / ".impacts-parts.tmp")
        self.entity_names: _EntityNames | None = _EntityNames()

    def add(self, doc: Mapping[str, Any]) -> None:
        """One document, as given to Whoosh."""
        kept = _kept(doc)
        if self.impacts is not None:
            postings = _postings(doc)
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


def _add_segments(
    segments: Iterable[tuple[Any, Iterable[dict[str, Any]]]],
    total: int,
    progress: Callable[[int, int], None] | None,
    deletions: list[str] | None = None,
    written: _Written | None = None,
    parts: Path | None = None,
) -> None:
    """Add each batch of documents with its own writer and commit it (purging deletions, see
    :func:`_purge_deletions`), reporting progress. With ``parts``, the sidecar part of each
    segment written is saved there (see :func:`impacts.save_part`)."""
    count = 0
    for writer, docs in segments:
        part = impacts.SegmentPostings() if parts is not None else None
        try:
            for article_id in deletions or ():
                writer.delete_by_term("id", article_id)
            deletions = None
            for doc in docs:
                writer.add_document(**doc)
                if written is not None:
                    written.add(doc)
                if part is not None:
                    postings = _postings(doc)
                    if postings is None:  # not analysed ahead: impacts.write reads it back
                        part = None
                    else:
                        part.add(_kept(doc), postings)
                count += 1
                if count == 1:
                    _checkpoint("writing")
                if progress is not None and count % 100 == 0:
                    progress(count, total)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=functools.partial(_purge_deletions, part=part))
        newsegment = getattr(writer, "newsegment", None)
        segment_id = newsegment.segment_id() if newsegment is not None else None
        if written is not None:
            written.end_segment(segment_id)
        if parts is not None and part is not None and segment_id is not None:
            finished = part.finish()
            if finished.stored:  # (impacts.write checks it against the segment's count)
                impacts.save_part(parts, segment_id, finished)
    if progress is not None:
        progress(count, total)


def _link_segments(source: Path, target: Path) -> None:
    """Fill ``target`` with the index files of ``source``: hard links, or copies where the
    file system has none. Whoosh only ever adds files, so sharing them is safe."""
    for item in source.iterdir():
        if not item.is_file() or item.name in (SOURCES_STATE, ENTITY_TABLE) or "LOCK" in item.name:
            continue
        if item.name.startswith(impacts.PREFIX):  # each generation writes its own sidecar
            continue
        # Segment parts (impacts.PART_PREFIX) are linked with their segments: impacts.write
        # checks each against its segment and removes those of segments merged away.
        try:
            os.link(item, target / item.name)
        except OSError:
            shutil.copy2(item, target / item.name)


def _purge_deletions(
    writer: Any, segments: list[Any], part: impacts.SegmentPostings | None = None
) -> list[Any]:
    """Whoosh merge policy: write again every segment that has deleted documents, and the
    small segments once there are too many of them.

    Documents are added again from their stored fields (every field is stored) rather than
    merged with Whoosh's ``add_reader``, which copies field lengths rounded to one byte: the
    collection statistics, and so the scores, then stay exactly those of a fresh build. With
    ``part`` (gathering the sidecar part of the writer's segment) they are analysed ahead, as
    new documents are, and added to it too.
    """
    from whoosh.reading import SegmentReader

    rewrite = [segment for segment in segments if segment.has_deletions()]
    kept = [segment for segment in segments if not segment.has_deletions()]
    small = [segment for segment in kept if segment.doc_count_all() < SEGMENT_DOCS // 4]
    if len(small) > MAX_SMALL_SEGMENTS:
        rewrite += small
        kept = [segment for segment in kept if segment not in small]
    for segment in rewrite:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            for _, stored in reader.iter_docs():  # live documents only
                if part is None:
                    writer.add_document(**stored)
                else:
                    doc = _analyze(dict(stored))
                    writer.add_document(**doc)
                    part.add(_kept(doc), _postings(doc) or {})
        finally:
            reader.close()
    return kept


def _checkpoint(name: str) -> None:
    """Pause here if the test hook asks for it (see :data:`PAUSE_VARIABLE`)."""
    wanted = os.environ.get(PAUSE_VARIABLE)
    if not wanted:
        return
    point, _, seconds = wanted.partition(":")
    if point == name:
        print(f"searchlib-test: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 60))


def _resolve_sources(
    location: Location, sources: Iterable[str | os.PathLike[str]] | None
) -> tuple[list[str], Path]:
    given = [str(Path(source).absolute()) for source in sources or ()]
    if given:
        return given, Path.cwd()
    if location.definition is not None:
        return list(location.definition.sources), location.definition.base
    previous = _read_manifest(location.path).get("sources")
    if previous:
        return list(previous), Path.cwd()
    raise SourceError(
        f"no sources to build {location.name!r} from",
        "name files or folders to index: searchlib index build --index PATH FILES...",
    )


def _aliases_digest(location: Location) -> str | None:
    try:
        return file_hash(aliases_path(location).read_bytes())
    except OSError:
        return None


def _resolve_fields(location: Location, fields: Mapping[str, str] | None) -> FieldMap:
    if fields:
        try:
            return field_map(fields)
        except ValueError as error:
            raise SourceError(str(error), "map fields as NAME=COLUMN, e.g. text=body") from error
    if location.definition is not None:
        return dict(location.definition.fields)
    return field_map(_read_manifest(location.path).get("fields"))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(
    location: Location, generation: str, sources: list[str], fields: FieldMap, count: int
) -> None:
    if location.definition is not None:  # a named index: its definition says where from
        sources = list(location.definition.sources)
    manifest = {
        "schema": SCHEMA_VERSION,
        "name": location.name,
        "generation": generation,
        "articles": count,
        "sources": sources,
        "fields": fields,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    _write_json(location.path / MANIFEST, manifest)


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never a part."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"), ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _next_generation(path: Path) -> str:
    numbers = [int(p.name[4:]) for p in path.glob("gen-*") if p.name[4:].isdigit()]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_leftovers(path: Path, keep: set[str | None]) -> None:
    """Remove generations other than ``keep`` and temporary files of killed builds."""
    for folder in path.glob("gen-*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    for leftover in [*path.glob(".*.tmp"), *path.glob("gen-*/.*.tmp")]:
        leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _build_lock(location: Location, timeout: float) -> Iterator[None]:
    """Hold the index's build lock; the OS releases it if the process dies."""
    with (location.path / LOCK).open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise IndexLockedError(
                        f"index {location.name} is locked by process {holder}",
                        "another build is running; wait for it to finish and try again",
                    ) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Checking


@dataclass
class CheckReport:
    """How an index differs from its sources; ``stale`` is False when it matches them."""

    name: str
    path: Path
    articles: int = 0
    files_added: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    problems: list[Problem] = field(default_factory=list)
    update_command: str = ""

    @property
    def stale(self) -> bool:
        """True when the sources changed since the last build (articles or files)."""
        return bool(self.changes or self.files_added or self.files_changed or self.files_removed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "index": self.name,
            "path": str(self.path),
            "stale": self.stale,
            "articles": self.articles,
            "files": {
                "added": self.files_added,
                "changed": self.files_changed,
                "removed": self.files_removed,
            },
            "articles_changed": {
                "added": self.changes.added,
                "updated": self.changes.updated,
                "deleted": self.changes.deleted,
            },
            "problems": [str(p) for p in self.problems],
            "update_command": self.update_command,
        }


def check(
    index: str | os.PathLike[str] = DEFAULT_INDEX,
    sources: Iterable[str | os.PathLike[str]] | None = None,
    *,
    fields: Mapping[str, str] | None = None,
) -> CheckReport:
    """Compare a built index with its sources without changing anything.

    Raises :class:`IndexNotFoundError` if it is not built and :class:`IndexDamagedError` if it
    cannot be read.
    """
    location = locate(index)
    manifest = require_built(location)
    patterns, base = _resolve_sources(location, sources)
    mapping = _resolve_fields(location, fields)
    folder = location.path / manifest["generation"]
    try:
        data = json.loads((folder / SOURCES_STATE).read_text("utf-8"))
        old_files = {path: FileState.from_json(s) for path, s in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise damaged(location, f"unreadable {SOURCES_STATE}: {error}") from error
    try:
        _verify_generation(folder, len(_Scan(old_files, {}, {}).winners()))
    except IndexDamagedError as error:
        raise damaged(location, error.message) from error
    paths, found_problems = discover(patterns, base)
    trust = data.get("fields") == mapping
    scan = _scan(paths, old_files, mapping, trust=trust, strict=False)
    report = CheckReport(location.name, location.path)
    report.update_command = (
        f"searchlib index build {location.name}"
        if location.definition is not None
        else f"searchlib index build --index {location.path}"
    )
    report.changes = _changes(scan, scan.hashes(old_files))
    report.articles = len(scan.winners(old_files))
    report.problems = found_problems + scan.problems()
    report.files_added = [p for p in scan.files if p not in old_files]
    report.files_removed = [p for p in old_files if p not in scan.files]
    report.files_changed = [
        p
        for p, state in scan.files.items()
        if p in old_files
        and (state.sha256 != old_files[p].sha256 or state.articles != old_files[p].articles)
    ]
    return report
