"""Whoosh codec of searchlib segments: stored fields as JSON, compressed by blocks of articles.

Whoosh's own codec pickles each document's stored fields and compresses them one document at a
time; a news article's fields are short (Reuters': 900 bytes), so each compresses little, and
the stored fields were a tenth of an index. Here :data:`BLOCK_DOCS` documents are compressed
together (the field names, the source's path and the common words of neighbouring articles are
then written once a block), as JSON rather than pickles. Reading one document decompresses
its block (tens of microseconds); the last block read is kept, so reading a segment's
documents in order decompresses each block once.

Each segment names its codec in the index's table of contents, so segments written before
this codec (with Whoosh's) are still read as they were written, and an index mixing both works.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np
from whoosh.codec import whoosh3
from whoosh.columns import Column, ColumnReader, ColumnWriter

#: Documents compressed together: more compress better, fewer cost less to read one of.
BLOCK_DOCS = 16
#: zlib's level: 6 (its default) compresses a block a third smaller than level 1, in a
#: fraction of the time analysing it took.
LEVEL = 6
_STORED = "_stored"
#: The column's trailer: a version byte (which says how to read what precedes it), the block
#: size and the number of blocks.
_TRAILER = struct.Struct("<BII")
_VERSION = 1


class BlockStoredColumn(Column):
    """A column of stored-field dicts (string keys, JSON values) by compressed blocks: the
    blocks, then their end offsets (little-endian uint64), then the trailer."""

    def writer(self, dbfile: Any) -> BlockStoredWriter:
        return BlockStoredWriter(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> BlockStoredReader:
        return BlockStoredReader(dbfile, basepos, length, doccount)


class BlockStoredWriter(ColumnWriter):
    """Writes each block once it is full; the value given is encoded at once (Whoosh clears
    the dict it passes when the document ends)."""

    def __init__(self, dbfile: Any) -> None:
        self._dbfile = dbfile
        self._count = 0
        self._pending: list[str] = []
        self._ends: list[int] = []
        self._written = 0

    def fill(self, docnum: int) -> None:
        while self._count < docnum:
            self._append("null")

    def add(self, docnum: int, value: Any) -> None:
        self.fill(docnum)
        self._append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def _append(self, encoded: str) -> None:
        self._pending.append(encoded)
        self._count += 1
        if len(self._pending) == BLOCK_DOCS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        block = zlib.compress(("[" + ",".join(self._pending) + "]").encode("utf-8"), LEVEL)
        self._dbfile.write(block)
        self._written += len(block)
        self._ends.append(self._written)
        self._pending = []

    def finish(self, doccount: int) -> None:
        self.fill(doccount)
        self._flush()
        self._dbfile.write(np.asarray(self._ends, dtype="<u8").tobytes())
        self._dbfile.write(_TRAILER.pack(_VERSION, BLOCK_DOCS, len(self._ends)))


class BlockStoredReader(ColumnReader):
    """One document's stored fields (``None`` for a document without), from its block."""

    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
        self._dbfile = dbfile
        self._basepos = basepos
        self._doccount = doccount
        version, self._block_docs, blocks = _TRAILER.unpack(
            dbfile.get(basepos + length - _TRAILER.size, _TRAILER.size)
        )
        expected = -(-doccount // self._block_docs) if self._block_docs else -1
        if version != _VERSION or blocks != expected:
            raise ValueError(
                f"stored fields: version {version}, {blocks} blocks for {doccount} documents"
            )
        table = length - _TRAILER.size - 8 * blocks
        ends = np.frombuffer(dbfile.get(basepos + table, 8 * blocks), dtype="<u8")
        self._ends = [int(end) for end in ends]
        if blocks and self._ends[-1] != table:
            raise ValueError("stored fields: the block table does not end where the blocks do")
        self._cached = -1
        self._values: list[Any] = []

    def __len__(self) -> int:
        return self._doccount

    def _block(self, number: int) -> list[Any]:
        if number != self._cached:
            start = self._ends[number - 1] if number else 0
            data = self._dbfile.get(self._basepos + start, self._ends[number] - start)
            self._values = json.loads(zlib.decompress(data))
            self._cached = number
        return self._values

    def __getitem__(self, docnum: int) -> Any:
        if not 0 <= docnum < self._doccount:
            raise IndexError(docnum)
        value = self._block(docnum // self._block_docs)[docnum % self._block_docs]
        return None if value is None else dict(value)  # (callers may change what they get)

    def __iter__(self) -> Any:
        for docnum in range(self._doccount):
            yield self[docnum]


STORED_COLUMN = BlockStoredColumn()


class _PerDocWriter(whoosh3.W3PerDocWriter):
    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == _STORED else column)


class _PerDocReader(whoosh3.W3PerDocReader):
    def stored_fields(self, docnum: int) -> dict[str, Any]:
        value = self._cached_reader(_STORED, STORED_COLUMN)[docnum]
        return {} if value is None else value


class Codec(whoosh3.W3Codec):
    """Whoosh's codec with the stored fields of :class:`BlockStoredColumn`."""

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _PerDocReader(storage, segment)
