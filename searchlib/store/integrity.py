"""Integrity: the size and SHA-256 of every file of a generation, recorded and verified.

They are recorded at the switch and verified by ``index check`` and by every build.

A build reads each new file of a generation once as it finishes it: to hash it and to flush it
to disk (``fsync``), then flushes the folder, and only then switches the manifest, which records
the checksums. Files hard-linked from the previous generation keep the checksum recorded there.

SHA-256 because it is in the standard library, is already the hash of the sources state, and
is hardware-accelerated on current CPUs (about 600 MB/s on the 2-core machine of
``benchmarks/RESULTS.md``, faster there than BLAKE2b or MD5): hashing a generation costs a
fraction of writing it. A quick check (``index check``, each build) compares the sizes of all
files and the hashes of those up to :data:`SMALL` bytes, which are most files of an index (the
JSON files, the entity table, most sidecar arrays and segment parts, the segments of small
indexes); a deep check (``index check --deep``) hashes every file.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any, TypeGuard

from .manifest import sync_folder

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: Files up to this size are hashed by the quick check; larger ones only by ``--deep``.
SMALL = 4 << 20
_CHUNK = 1 << 20


def _recorded(path: Path) -> bool:
    # Hidden files are a build's temporary ones; Whoosh's lock file is empty and comes and goes.
    return path.is_file() and not path.name.startswith(".") and "LOCK" not in path.name


def file_digest(path: Path, sync: bool = False) -> str:
    """The SHA-256 of a file (flushed to disk as well with ``sync``)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest()


def record(
    folder: Path, base: Path | None = None, known: Mapping[str, Any] | None = None
) -> dict[str, list[Any]]:
    """``{name: [size, sha256]}`` for every file of generation ``folder``, each flushed to disk,
    then the folder. A file that is a hard link to one of generation ``base`` keeps the
    checksum ``known`` there (it was flushed when that generation was made)."""
    files: dict[str, list[Any]] = {}
    known = known if isinstance(known, dict) else {}
    for path in sorted(folder.iterdir()):
        if not _recorded(path):
            continue
        stat = path.stat()
        before = known.get(path.name)
        if base is not None and _valid(before) and before[0] == stat.st_size:
            try:
                old = (base / path.name).stat()
            except OSError:
                old = None
            if old is not None and (old.st_ino, old.st_dev) == (stat.st_ino, stat.st_dev):
                files[path.name] = list(before)
                continue
        files[path.name] = [stat.st_size, file_digest(path, sync=True)]
    sync_folder(folder)
    return files


def _valid(entry: Any) -> TypeGuard[list[Any]]:
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and isinstance(entry[1], str)
    )


def verify(folder: Path, files: Any, deep: bool = False) -> list[str]:
    """What differs in generation ``folder`` from the checksums ``files`` recorded at its
    build, one line per file: missing, another size, or other content (hashed when up to
    :data:`SMALL` bytes, or every file with ``deep``). Nothing for an index built before
    checksums were recorded (``files`` is ``None``)."""
    if files is None:
        return []
    if not isinstance(files, dict) or not all(_valid(entry) for entry in files.values()):
        return [f"the manifest's list of files of {folder.name} is unreadable"]
    found = []
    for name, (size, digest) in sorted(files.items()):
        path = folder / name
        where = f"{folder.name}/{name}"
        try:
            actual = path.stat().st_size
            if not path.is_file():
                found.append(f"{where} is not a file")
            elif actual != size:
                found.append(f"{where} has {actual:,} bytes where its build wrote {size:,}")
            elif (deep or size <= SMALL) and file_digest(path) != digest:
                found.append(f"{where} differs from what its build wrote (SHA-256)")
        except FileNotFoundError:
            found.append(f"{where} is missing")
        except OSError as error:
            found.append(f"{where} cannot be read: {error}")
    return found
