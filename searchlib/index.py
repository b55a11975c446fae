"""Index: where indexes live, their schema, and building them safely.

An index is a folder. Indexes named in a project are defined by ``indexes/NAME.toml`` (tracked
in git) and built into ``indexes/NAME/`` (ignored by git); any other folder can hold an ad-hoc
index built from files given on the command line.

Inside the folder, each build writes a new Whoosh index into a fresh generation folder
(``gen-000001``, ``gen-000002`` …) and only then points ``searchlib.json`` at it, with an atomic
rename. A build that fails or is killed therefore leaves the previous index as it was, and
readers always see a complete index. A lock file keeps two builds from running at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import Article, news_analyzer, prepare
from .entities import EntityTable, load_user_aliases
from .errors import IndexDamagedError, IndexLockedError, IndexNotFoundError, SourceError
from .sources import Problem, SourceRecord, read_sources

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: Bumped whenever the schema or analysis changes in a way that needs a rebuild.
SCHEMA_VERSION = 3
MANIFEST = "searchlib.json"
LOCK = ".lock"
DEFAULT_INDEX = "seeds"
ENTITY_FIELDS = ("person", "org", "place")
#: Paths of the form indexes/NAME.toml are looked up from here and from its parents.
INDEXES_DIR = "indexes"


def make_schema() -> Schema:
    """The Whoosh schema every searchlib index uses."""
    analyzer = news_analyzer()
    entity = {"stored": True, "commas": True, "lowercase": True, "scorable": False}
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=TEXT(analyzer=analyzer, stored=True, spelling=True, multitoken_query="phrase"),
        body=TEXT(analyzer=analyzer, stored=True, spelling=True, multitoken_query="phrase"),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        dateline=ID(stored=True),
        person=KEYWORD(**entity),
        org=KEYWORD(**entity),
        place=KEYWORD(**entity),
        entity_aliases=STORED(),
        source=ID(stored=True),
        content_hash=ID(stored=True),
    )


# ---------------------------------------------------------------------------------------------
# Where indexes are


@dataclass(frozen=True)
class IndexDefinition:
    """An index defined in ``indexes/NAME.toml``: its name and where its articles come from.

    Source patterns are relative to the folder that holds the TOML file.
    """

    name: str
    sources: tuple[str, ...]
    base: Path
    description: str = ""

    @classmethod
    def load(cls, path: Path) -> IndexDefinition:
        """Read a definition file, raising :class:`IndexDamagedError` if it is malformed."""
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise IndexDamagedError(
                f"cannot read index definition {path}: {error}", "fix the TOML file"
            ) from error
        sources = data.get("sources")
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise IndexDamagedError(
                f"index definition {path} needs a list of source patterns",
                'add a line such as: sources = ["../seeds/*.txt"]',
            )
        return cls(
            name=str(data.get("name", path.stem)),
            sources=tuple(sources),
            base=path.parent,
            description=str(data.get("description", "")),
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
        raise _damaged(location, f"unreadable {MANIFEST}: {error}") from error
    if manifest.get("schema") != SCHEMA_VERSION:
        raise _damaged(location, "it was built by another version of searchlib")
    if not (location.path / str(manifest.get("generation", ""))).is_dir():
        raise _damaged(location, "its current generation folder is missing")
    return manifest


def _damaged(location: Location, why: str) -> IndexDamagedError:
    return IndexDamagedError(
        f"index {location.name!r} is damaged: {why}", f"rebuild it with: {rebuild_hint(location)}"
    )


def rebuild_hint(location: Location) -> str:
    """The command that rebuilds this index from its sources."""
    if location.definition is not None:
        return f"searchlib index build {location.name}"
    return f"searchlib index build --index {location.path} FILES..."


def open_store(location: Location) -> tuple[whoosh_index.Index, dict[str, Any]]:
    """Open the current generation of a built index for reading."""
    manifest = require_built(location)
    try:
        store = whoosh_index.open_dir(str(location.path / manifest["generation"]))
        store.doc_count()  # reads the table of contents and segment list now, not mid-search
    except Exception as error:  # Whoosh raises many types (EOFError, struct.error, …)
        raise _damaged(location, f"{type(error).__name__}: {error}") from error
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
        raise _damaged(location, f"unreadable {ENTITY_TABLE}: {error}") from error


def write_entity_table(location: Location, folder: Path) -> EntityTable:
    """Join the entity names of the index in ``folder`` and save the table beside it."""
    store = whoosh_index.open_dir(str(folder))
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in ENTITY_FIELDS}
    seen_aliases: set[tuple[str, str, str]] = set()
    with store.reader() as reader:
        for _, stored in reader.iter_docs():
            for kind in ENTITY_FIELDS:
                counts[kind].update({v for v in stored.get(kind, "").split(",") if v})
            for line in stored.get("entity_aliases", "").splitlines():
                kind, alias, name = line.split("\t")
                seen_aliases.add((kind, alias, name))
    user_file = aliases_path(location)
    user = load_user_aliases(user_file) if user_file.is_file() else None
    table = EntityTable.build(counts, sorted(seen_aliases), user)
    (folder / ENTITY_TABLE).write_text(
        json.dumps(table.to_json(), ensure_ascii=False, sort_keys=True), "utf-8"
    )
    return table


# ---------------------------------------------------------------------------------------------
# Building


@dataclass
class BuildReport:
    """What a build did: how many articles it indexed and which problems it met."""

    name: str
    path: Path
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        """How many files or records were left out of the index."""
        return sum(1 for problem in self.problems if problem.skipped)

    @property
    def articles_per_second(self) -> float:
        """Indexing speed over the whole build."""
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "index": self.name,
            "path": str(self.path),
            "articles": self.articles,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "problems": [
                {"source": p.source, "line": p.line, "reason": p.reason, "skipped": p.skipped}
                for p in self.problems
            ],
        }


def build(
    index: str | os.PathLike[str] = DEFAULT_INDEX,
    sources: Iterable[str | os.PathLike[str]] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    lock_timeout: float = 10.0,
) -> BuildReport:
    """Build (or rebuild) an index from its sources and switch readers to it atomically.

    Parameters
    ----------
    index:
        A name defined in ``indexes/NAME.toml`` or the path of an index folder.
    sources:
        Files, folders or glob patterns to index. Defaults to the definition's sources, or,
        for an ad-hoc index built before, the sources it was built from.
    progress:
        Called with the number of articles indexed so far, now and then.
    lock_timeout:
        Seconds to wait for another build of the same index to finish.
    """
    started = time.perf_counter()
    location = locate(index)
    patterns, base = _resolve_sources(location, sources)
    location.path.mkdir(parents=True, exist_ok=True)
    report = BuildReport(location.name, location.path)
    with _build_lock(location, lock_timeout):
        manifest = _read_manifest(location.path)
        current = manifest.get("generation")
        _remove_stale_generations(location.path, keep={current})
        generation = _next_generation(location.path)
        target = location.path / generation
        try:
            articles = _analyzed(read_sources(patterns, base), report.problems)
            report.articles = _write(target, articles, progress)
            write_entity_table(location, target)
            _write_manifest(location, generation, patterns, report.articles)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        _remove_stale_generations(location.path, keep={generation, current})
    report.seconds = time.perf_counter() - started
    return report


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


def _analyzed(
    items: Iterator[SourceRecord | Problem], problems: list[Problem]
) -> Iterator[Article]:
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Problem):
            problems.append(item)
            continue
        if item.id in seen:
            problems.append(
                Problem(
                    item.source,
                    f"duplicate id {item.id!r} (first in {seen[item.id]})",
                    line=item.line,
                )
            )
            continue
        seen[item.id] = item.source if item.line is None else f"{item.source}:{item.line}"
        yield prepare(item)


def _write(
    target: Path, articles: Iterable[Article], progress: Callable[[int], None] | None
) -> int:
    target.mkdir()
    store = whoosh_index.create_in(str(target), make_schema())
    writer = store.writer(limitmb=256)
    count = 0
    try:
        for article in articles:
            writer.add_document(**document(article))
            count += 1
            if progress is not None and count % 100 == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if progress is not None:
        progress(count)
    return count


def document(article: Article) -> dict[str, str]:
    """The Whoosh document for an article (fields without a value are left out)."""
    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "dateline": article.dateline,
        "source": article.source if article.line is None else f"{article.source}:{article.line}",
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


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_manifest(location: Location, generation: str, sources: list[str], count: int) -> None:
    manifest = {
        "schema": SCHEMA_VERSION,
        "name": location.name,
        "generation": generation,
        "articles": count,
        "sources": sources if location.definition is None else list(location.definition.sources),
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    temporary = location.path / f".{MANIFEST}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, location.path / MANIFEST)


def _next_generation(path: Path) -> str:
    numbers = [int(p.name[4:]) for p in path.glob("gen-*") if p.name[4:].isdigit()]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_stale_generations(path: Path, keep: set[str | None]) -> None:
    for folder in path.glob("gen-*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    for leftover in path.glob(f".{MANIFEST}.*.tmp"):
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
