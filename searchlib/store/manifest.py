"""Manifest and generations: which generation folder is current, switched atomically.

Also which folders the builds of an index made: the only ones a build ever removes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    IndexDamagedError,
    IndexNotFoundError,
    NotAnIndexError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..prepare.sources import FieldMap
from .definitions import Location, similar_names

SCHEMA_VERSION = 6
MANIFEST = "searchlib.json"
#: What each source file held at the build of a generation; kept inside the generation.
SOURCES_STATE = "sources.json"
#: The ledger: the generations the builds of this index made and have not removed yet, and
#: the sources and fields it is built from. Kept apart from the manifest, so that a damaged
#: manifest loses neither what to clean up nor what to rebuild from.
LEDGER = "searchlib-build.json"
#: The only name a generation folder has: a manifest or ledger naming anything else (such as
#: ``../../other/gen-000002``) is damaged, and never followed.
GENERATION = re.compile(r"gen-[0-9]{6}\Z")
#: What a folder may hold before its first build: the lock of a build stopped before it wrote
#: anything, and the user's aliases of an ad-hoc index.
BEFORE_FIRST_BUILD = frozenset({".lock", "aliases.toml"})
#: The temporary files :func:`write_json` leaves in the index folder when it is killed.
TEMPORARY = (f".{MANIFEST}.*.tmp", f".{LEDGER}.*.tmp")


def require_built(location: Location) -> dict[str, Any]:
    """Return the manifest of a built index, or raise an error that says how to build it."""
    manifest_path = location.path / MANIFEST
    if not manifest_path.is_file():
        if location.definition is not None:
            raise IndexNotFoundError(
                f"index {location.name!r} is not built yet",
                f"build it with: searchlib index build {location.name}",
            )
        if (location.path / LEDGER).is_file():
            raise damaged(location, f"its {MANIFEST} is missing")
        if location.path.is_dir() and any(location.path.iterdir()):
            raise IndexDamagedError(
                f"{location.path} is not a searchlib index (no {MANIFEST})",
                "build one there with: searchlib index build --index PATH FILES...",
            )
        alike = similar_names(location.name) if "/" not in location.name else []
        guess = f"did you mean {' or '.join(map(repr, alike))}? " if alike else ""
        raise IndexNotFoundError(
            f"no index named {location.name!r}",
            f"{guess}see the indexes found from here with: searchlib index list; "
            "or build one with: searchlib index build --index PATH FILES...",
        )
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        raise damaged(location, f"unreadable {MANIFEST}: {error}") from error
    if manifest.get("schema") != SCHEMA_VERSION:
        raise damaged(location, "it was built by another version of searchlib")
    generation = manifest.get("generation")
    if not isinstance(generation, str) or not GENERATION.match(generation):
        raise damaged(location, f"its manifest names {generation!r}, not a generation folder")
    if current_generation(location.path, manifest) is None:
        raise damaged(location, f"its current generation folder is missing ({generation})")
    return manifest


def current_generation(path: Path, manifest: Mapping[str, Any]) -> str | None:
    """The generation ``manifest`` names, if it is a generation folder inside ``path``."""
    name = manifest.get("generation")
    if not isinstance(name, str) or not GENERATION.match(name):
        return None
    folder = path / name
    return name if folder.is_dir() and not folder.is_symlink() else None


def damaged(location: Location, why: str) -> IndexDamagedError:
    """The error for an index that cannot be read, with the command that rebuilds it."""
    return IndexDamagedError(
        f"index {location.name!r} is damaged: {why}", f"rebuild it with: {rebuild_hint(location)}"
    )


def rebuild_hint(location: Location) -> str:
    """The command that rebuilds this index from its sources, whatever is damaged: an ad-hoc
    index's sources are in its manifest and its ledger; without either, the command asks for
    them."""
    if location.definition is not None:
        return f"searchlib index build {location.name} --rebuild"
    command = f"searchlib index build --index {location.path} --rebuild"
    if known_sources(location.path):
        return command
    return f"{command} FILES... (the files and folders it was built from)"


def known_sources(path: Path) -> list[str]:
    """The sources the index in ``path`` was last built from (manifest, else ledger)."""
    for data in (read_manifest(path), read_ledger(path)):
        sources = data.get("sources")
        if isinstance(sources, list) and sources and all(isinstance(s, str) for s in sources):
            return list(sources)
    return []


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the index folder ``path`` (empty when there is none or it is unreadable)."""
    return _read_object(path / MANIFEST)


def read_ledger(path: Path) -> dict[str, Any]:
    """The ledger of the index folder ``path`` (empty when there is none or it is unreadable)."""
    return _read_object(path / LEDGER)


def _read_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(
    location: Location,
    generation: str,
    sources: list[str],
    fields: FieldMap,
    count: int,
    files: Mapping[str, Any],
) -> None:
    """Point the index at ``generation``: the manifest, replaced atomically. ``files`` are the
    sizes and checksums of the generation's files (see :mod:`searchlib.store.integrity`)."""
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
        "files": dict(files),
    }
    write_json(location.path / MANIFEST, manifest)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically and durably: a reader sees the old file or the new one, never a
    part, and the new one is on disk (file and folder entry) when this returns."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"), ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    sync_folder(path.parent)


def sync_folder(path: Path) -> None:
    """Flush a folder's entries (new, renamed and removed files) to disk, where the file
    system allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems cannot sync a folder
        pass
    finally:
        os.close(descriptor)


def check_folder(location: Location) -> None:
    """Refuse to build into a folder that holds anything but a searchlib index: a build
    removes what earlier builds left there, so it must never take over someone's folder."""
    path = location.path
    if not path.is_dir() or (path / MANIFEST).exists() or (path / LEDGER).exists():
        return
    others = sorted(p.name for p in path.iterdir() if p.name not in BEFORE_FIRST_BUILD)
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise NotAnIndexError(
            f"{path} is not a searchlib index and is not empty (it holds {shown})",
            "build into a new or empty folder, e.g. --index "
            f"{path / 'searchlib-index'}; nothing was changed",
        )


def ledger_generations(path: Path) -> list[str]:
    """The generation folders the builds of the index in ``path`` made and have not removed."""
    names = read_ledger(path).get("generations")
    if not isinstance(names, list):
        return []
    return [name for name in names if isinstance(name, str) and GENERATION.match(name)]


def write_ledger(
    path: Path,
    generations: Iterable[str],
    sources: list[str] | None = None,
    fields: FieldMap | None = None,
) -> None:
    """Record the generations made (before one is created) and, when given, the sources and
    fields the index is built from (the ledger keeps those it had otherwise)."""
    ledger = read_ledger(path)
    ledger["format"] = 1
    ledger["generations"] = sorted(set(generations))
    if sources is not None:
        ledger["sources"] = sources
    if fields is not None:
        ledger["fields"] = fields
    write_json(path / LEDGER, ledger)


def next_generation(path: Path) -> str:
    """The name of the next generation folder in ``path``."""
    names = [p.name for p in path.glob("gen-*")] + ledger_generations(path)
    numbers = [int(name[4:]) for name in names if GENERATION.match(name)]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def remove_leftovers(path: Path, keep: set[str | None]) -> None:
    """Remove the generations builds made, but ``keep``, and the temporary files of killed
    builds: in the index folder, only those of :data:`TEMPORARY`; anything else there is not
    ours to remove."""
    made = ledger_generations(path)
    for name in made:
        if name not in keep:
            shutil.rmtree(path / name, ignore_errors=True)  # (never follows a link)
    leftovers = [leftover for pattern in TEMPORARY for leftover in path.glob(pattern)]
    for name in made:
        if name in keep:  # a generation is ours whole: any temporary file in it is a build's
            leftovers += (path / name).glob(".*.tmp")
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    remaining = [name for name in made if (path / name).is_dir()]
    if remaining != made:
        write_ledger(path, remaining)
