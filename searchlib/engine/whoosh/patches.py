"""Whoosh patches: reader fixes, phrases from the sidecar's positions, a matcher fix.

They replace four of Whoosh's methods, so they are written against one version of Whoosh:
:func:`apply` checks that version and refuses another, rather than patch code it does not
know. Everything in :mod:`searchlib.engine.whoosh` that opens or writes an index calls it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator


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


#: The attribute of a searcher that matches phrases of fields Whoosh keeps no positions of: a
#: function of a ``Phrase`` giving ``(docnums, scores)`` (sorted, over the whole index) or
#: ``None`` when it cannot.
PHRASE_MATCHES = "searchlib_phrase_matches"


def _phrases_from_kept_positions() -> None:
    """Let Whoosh match a phrase in a field it indexes without positions from the searcher's
    :data:`PHRASE_MATCHES` (the sidecar's positions), where it would raise ``QueryError``.

    Its matcher is a list of the segment's matches with their scores: the same as Whoosh's
    phrase matcher gives, which ``tests/test_phrases.py`` checks against indexes that keep
    Whoosh's positions. Fields with positions are matched by Whoosh as before."""
    import numpy as np
    from whoosh.matching import ListMatcher, NullMatcher
    from whoosh.query import Phrase, QueryError

    original = Phrase.matcher

    def matcher(self: Any, searcher: Any, context: Any = None) -> Any:
        if self.fieldname not in searcher.schema:
            return original(self, searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or field.format.supports("positions"):
            return original(self, searcher, context)
        if self.slop < 1:  # (Whoosh's matcher finds no word 1 to 0 positions after another)
            return NullMatcher()
        top = searcher.parent() if searcher.parent is not None else searcher
        source = getattr(top, PHRASE_MATCHES, None)
        found = source(self) if source is not None else None
        if found is None:
            raise QueryError(
                f"the phrase {' '.join(map(str, self.words))!r}: the positions of the "
                f"{self.fieldname} field are kept in the index's sidecar, which cannot match it "
                "(run `searchlib index check`, and rebuild if the sidecar is damaged)"
            )
        docs, scores = found
        offset = 0 if top is searcher else top._offset_for_subsearcher(searcher)
        lo, hi = np.searchsorted(docs, [offset, offset + searcher.doc_count_all()])
        ids = (docs[lo:hi] - offset).tolist()
        weights = scores[lo:hi].tolist()
        reader = searcher.reader()
        if reader.has_deletions():
            kept = [i for i, docnum in enumerate(ids) if not reader.is_deleted(docnum)]
            ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
        return ListMatcher(ids, weights) if ids else NullMatcher()

    Phrase.matcher = matcher


#: The whoosh-reloaded release the patches were written against (pinned in pyproject.toml).
PATCHED_VERSION = (2, 7, 5)


def _and_not_checks_its_first_match() -> None:
    """Make Whoosh's ``AndNotMatcher`` check its first match against the excluded postings.

    It looked for a first match to skip only when both of its matchers started on the same
    article: when the excluded word's postings started earlier, the first article holding
    the required words was kept even if it held the excluded word too (after an incremental
    build, "oil -price" counted 41 articles where 40 hold oil and not price)."""
    from whoosh.matching.binary import AndNotMatcher

    def _find_first(self: Any) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    AndNotMatcher._find_first = _find_first


_applied = False
_applying = threading.Lock()


def apply() -> None:
    """Apply the patches, once per process; raise ``RuntimeError`` for another Whoosh."""
    global _applied
    if _applied:
        return
    with _applying:
        if _applied:
            return
        import whoosh

        if tuple(whoosh.__version__[:3]) != PATCHED_VERSION:
            raise RuntimeError(
                f"searchlib patches whoosh-reloaded {'.'.join(map(str, PATCHED_VERSION))}, "
                f"not {whoosh.versionstring()}: install the version pyproject.toml names"
            )
        _remember_missing_columns()
        _map_segment_files()
        _phrases_from_kept_positions()
        _and_not_checks_its_first_match()
        _applied = True
