"""Check: compare a built index with its sources without changing anything."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.whoosh.writer import verify_generation
from ..errors import IndexDamagedError
from ..prepare.sources import Problem, discover
from .build import resolve_fields, resolve_sources
from .definitions import DEFAULT_INDEX, locate
from .manifest import SOURCES_STATE, damaged, require_built
from .state import Changes, FileState, Scan, changes_of, scan_sources

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


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
    patterns, base = resolve_sources(location, sources)
    mapping = resolve_fields(location, fields)
    folder = location.path / manifest["generation"]
    try:
        data = json.loads((folder / SOURCES_STATE).read_text("utf-8"))
        old_files = {path: FileState.from_json(s) for path, s in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise damaged(location, f"unreadable {SOURCES_STATE}: {error}") from error
    try:
        verify_generation(folder, len(Scan(old_files, {}, {}).winners()))
    except IndexDamagedError as error:
        raise damaged(location, error.message) from error
    paths, found_problems = discover(patterns, base)
    trust = data.get("fields") == mapping
    scan = scan_sources(paths, old_files, mapping, trust=trust, strict=False)
    report = CheckReport(location.name, location.path)
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
