"""The build lock: one build of an index at a time, released by the OS when a process dies."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from typing import TYPE_CHECKING

from ..errors import (
    IndexLockedError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
from .definitions import Location

LOCK = ".lock"


@contextlib.contextmanager
def build_lock(location: Location, timeout: float) -> Iterator[None]:
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
