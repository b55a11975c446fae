"""The indexes a server serves, by name, each opened (or built for the first time) once.

Only the indexes given on the command line are served: a request names one of them, never a
path. An index that is being built for the first time answers with
:class:`IndexUnavailableError` (HTTP 503) until it is ready, so the server starts at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import searchlib


class IndexUnavailableError(searchlib.SearchlibError):
    """The index is being built for the first time, or another process holds its lock."""


@dataclass
class _Slot:
    """One served index: the spec it was given by and, once open, the index or the error."""

    name: str
    spec: str
    index: searchlib.Index | None = None
    error: searchlib.SearchlibError | None = None
    opening: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Catalog:
    """The served indexes, in the order given; the first is the default."""

    def __init__(self, specs: Iterable[str | os.PathLike[str]]) -> None:
        self._slots: dict[str, _Slot] = {}
        for spec in specs:
            text = os.fspath(spec)
            name = _unique(_display_name(text), self._slots)
            self._slots[name] = _Slot(name, text)
        if not self._slots:
            raise ValueError("serve at least one index")
        for slot in self._slots.values():
            self._open(slot)

    @property
    def names(self) -> list[str]:
        """The names requests choose indexes by."""
        return list(self._slots)

    @property
    def default(self) -> str:
        """The index used when a request names none."""
        return next(iter(self._slots))

    def wait(self, seconds: float) -> dict[str, searchlib.SearchlibError]:
        """Wait up to ``seconds`` for indexes still opening; return those that failed (an
        unknown name or path fails at once, a first build takes longer)."""
        for slot in self._slots.values():
            if slot.opening is not None:
                slot.opening.join(seconds)
        return {
            s.name: s.error
            for s in self._slots.values()
            if s.error is not None and not isinstance(s.error, IndexUnavailableError)
        }

    def get(self, name: str | None) -> searchlib.Index:
        """The open index called ``name`` (default: the first), or the error that says why
        it cannot be searched now."""
        slot = self._slots.get(name or self.default)
        if slot is None:
            raise searchlib.IndexNotFoundError(
                f"no index named {name!r} is served here",
                f"choose one of: {', '.join(self._slots)}",
            )
        with slot.lock:
            opening = slot.opening
            if opening is not None and opening.is_alive():
                raise IndexUnavailableError(
                    f"index {slot.name!r} is being built for the first time",
                    "try again in a few seconds",
                )
            # No opening under way: its outcome, an index or an error, is set.
            if slot.index is not None:
                return slot.index
            error = slot.error
            assert error is not None
            if isinstance(error, IndexUnavailableError):
                self._start(slot)  # another process was building it: it may be done now
            raise error

    def _open(self, slot: _Slot) -> None:
        try:
            slot.index = searchlib.open(slot.spec, build=False)
        except searchlib.IndexNotFoundError:
            # Perhaps defined but never built: build it in the background, as the CLI would.
            self._start(slot)
        except searchlib.SearchlibError as error:
            slot.error = error

    def _start(self, slot: _Slot) -> None:
        def build() -> None:
            try:
                index = searchlib.open(slot.spec)
            except searchlib.IndexLockedError as error:
                slot.error = IndexUnavailableError(error.message, error.hint)
            except searchlib.SearchlibError as error:
                slot.error = error
            else:
                slot.index, slot.error = index, None

        slot.error = None
        slot.opening = threading.Thread(target=build, name=f"open {slot.name}", daemon=True)
        slot.opening.start()


def _display_name(spec: str) -> str:
    """``seeds`` for the name ``seeds``, ``news`` for the path ``/data/news/``."""
    return Path(spec.rstrip("/\\")).name or spec


def _unique(name: str, taken: dict[str, _Slot]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}-{number}"
    return candidate
