"""Manifest and generations: which generation folder is current, switched atomically."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    IndexDamagedError,
    IndexNotFoundError,
)

if TYPE_CHECKING:
    from ..prepare.sources import FieldMap

    pass
from .definitions import Location, rebuild_hint

SCHEMA_VERSION = 6
MANIFEST = "searchlib.json"
#: What each source file held at the build of a generation; kept inside the generation.
SOURCES_STATE = "sources.json"


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


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the index folder ``path`` (empty when there is none or it is unreadable)."""
    try:
        return json.loads((path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def write_manifest(
    location: Location, generation: str, sources: list[str], fields: FieldMap, count: int
) -> None:
    """Point the index at ``generation``: the manifest, replaced atomically."""
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
    write_json(location.path / MANIFEST, manifest)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never a part."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"), ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def next_generation(path: Path) -> str:
    """The name of the next generation folder in ``path``."""
    numbers = [int(p.name[4:]) for p in path.glob("gen-*") if p.name[4:].isdigit()]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def remove_leftovers(path: Path, keep: set[str | None]) -> None:
    """Remove generations other than ``keep`` and temporary files of killed builds."""
    for folder in path.glob("gen-*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    for leftover in [*path.glob(".*.tmp"), *path.glob("gen-*/.*.tmp")]:
        leftover.unlink(missing_ok=True)
