"""Check: compare an index with its sources, and its files with their checksums, read only."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.sidecar.verify import sidecar_damage
from ..engine.whoosh.writer import iter_stored, verify_generation
from ..errors import IndexDamagedError
from ..prepare.sources import Problem, discover
from . import integrity
from .build import resolve_fields, resolve_sources
from .definitions import DEFAULT_INDEX, locate
from .manifest import SOURCES_STATE, rebuild_hint, require_built
from .state import Changes, FileState, Scan, changes_of, scan_sources

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


@dataclass
class CheckReport:
    """How an index differs from its sources; ``stale`` is False when it matches them.
    ``damaged`` names each file that is not as its build wrote it (the sources are then not
    compared), and ``update_command`` is then the command that rebuilds the index."""

    name: str
    path: Path
    articles: int = 0
    files_added: list[str] = field(default_factory=list)
    files_changed: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    problems: list[Problem] = field(default_factory=list)
    update_command: str = ""
    damaged: list[str] = field(default_factory=list)
    deep: bool = False

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
            "damaged": self.damaged,
            "deep": self.deep,
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
    deep: bool = False,
) -> CheckReport:
    """Compare a built index with its sources, and each of its files with the size and
    checksum its build recorded, without changing anything.

    The quick check hashes the files up to :data:`searchlib.store.integrity.SMALL` bytes; with
    ``deep`` every file is hashed, every segment's stored documents read and the sidecar's ids
    checked. Damage is reported in :attr:`CheckReport.damaged`. Raises
    :class:`IndexNotFoundError` if it is not built and :class:`IndexDamagedError` if its
    manifest cannot be read.
    """
    location = locate(index)
    manifest = require_built(location)
    folder = location.path / manifest["generation"]
    report = CheckReport(location.name, location.path, deep=deep)
    report.damaged = _damage(folder, manifest, deep)
    if report.damaged:
        report.update_command = rebuild_hint(location)
        return report
    patterns, base = resolve_sources(location, sources)
    mapping = resolve_fields(location, fields)
    data = json.loads((folder / SOURCES_STATE).read_text("utf-8"))
    old_files = {path: FileState.from_json(s) for path, s in data["files"].items()}
    paths, found_problems = discover(patterns, base)
    trust = data.get("fields") == mapping
    scan = scan_sources(paths, old_files, mapping, trust=trust, strict=False)
    report.update_command = (
        f"searchlib index build {location.name}"
        if location.definition is not None
        else f"searchlib index build --index {location.path}"
    )
    report.changes = changes_of(scan, scan.hashes(old_files))
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


def _damage(folder: Path, manifest: Mapping[str, Any], deep: bool) -> list[str]:
    """What is wrong with the current generation ``folder``, one line per file."""
    found = integrity.verify(folder, manifest.get("files"), deep=deep)
    if found:
        return found
    try:
        data = json.loads((folder / SOURCES_STATE).read_text("utf-8"))
        old_files = {path: FileState.from_json(s) for path, s in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{folder.name}/{SOURCES_STATE} is unreadable: {error}"]
    expected = len(Scan(old_files, {}, {}).winners())
    try:
        verify_generation(folder, expected)
        if deep:
            for _ in iter_stored(folder):  # every stored document, decompressed
                pass
    except IndexDamagedError as error:
        return [f"{folder.name}: {error.message}"]
    except Exception as error:  # Whoosh raises many types (EOFError, struct.error, …)
        return [f"{folder.name}: {type(error).__name__}: {error}"]
    return sidecar_damage(folder, str(manifest["generation"]), expected) if deep else []
