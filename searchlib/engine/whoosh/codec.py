"""Whoosh codec of searchlib segments: stored fields as JSON, compressed against a dictionary.

Whoosh's own codec pickles each document's stored fields and compresses them one document at a
time; a news article's fields are short (Reuters': 900 bytes), so each compresses little, and
the stored fields were a tenth of an index. Here each document's fields are JSON (not pickles),
compressed alone but with a preset dictionary (zlib's ``zdict``): the segment's first
:data:`DICTIONARY_BYTES` of stored JSON, kept once at the start of the column. The field
names, the source's path and the common words of news are then found in it, and a document
compresses nearly as well as in blocks of 16 (on Reuters 29% smaller than Whoosh's), while
reading one still decompresses only it (tens of microseconds: a search reads its ten hits').

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

#: The preset dictionary's size. zlib copies it into its window for every document read, so a
#: read costs more the longer it is: on Reuters 8 KiB reads an article in 15 µs against 25 µs
#: for 32 KiB (zlib's most), for stored fields 11% larger.
DICTIONARY_BYTES = 8 * 1024
#: zlib's level (its default).
LEVEL = 6
_STORED = "_stored"
#: The column's trailer: a version byte (which says how to read what precedes it), the
#: dictionary's length and the number of documents.
_TRAILER = struct.Struct("<BII")
_VERSION = 1


class DictionaryStoredColumn(Column):
    """A column of stored-field dicts (string keys, JSON values): the dictionary, each
    document compressed with it (nothing for a document without), the documents' end offsets
    (little-endian uint32 from the column's start: a segment's stored fields are far below
    4 GB) and the trailer."""

    def writer(self, dbfile: Any) -> DictionaryStoredWriter:
        """A writer of the column into ``dbfile``."""
        return DictionaryStoredWriter(dbfile)

    def reader(
        self, dbfile: Any, basepos: int, length: int, doccount: int
    ) -> DictionaryStoredReader:
        """A reader of the column at ``basepos`` in ``dbfile``, ``length`` bytes long."""
        return DictionaryStoredReader(dbfile, basepos, length, doccount)


class DictionaryStoredWriter(ColumnWriter):
    """Holds the first documents until they make the dictionary, then writes each as it
    comes; the value given is encoded at once (Whoosh clears the dict it passes)."""

    def __init__(self, dbfile: Any) -> None:
        self._dbfile = dbfile
        self._count = 0
        self._held: list[bytes] | None = []  # (None once the dictionary is written)
        self._held_bytes = 0
        self._dictionary = b""
        self._ends: list[int] = []
        self._written = 0

    def fill(self, docnum: int) -> None:
        """Mark the documents before ``docnum`` not given yet as without stored fields."""
        while self._count < docnum:
            self._append(b"")

    def add(self, docnum: int, value: Any) -> None:
        """The stored fields ``value`` of document ``docnum``."""
        self.fill(docnum)
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        self._append(encoded.encode("utf-8"))

    def _append(self, data: bytes) -> None:
        self._count += 1
        if self._held is None:
            self._write(data)
            return
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes >= DICTIONARY_BYTES:
            self._start()

    def _start(self) -> None:
        """Write the dictionary, made of the documents held, then them."""
        held, self._held = self._held or [], None
        self._dictionary = b"".join(held)[:DICTIONARY_BYTES]
        self._dbfile.write(self._dictionary)
        self._written = len(self._dictionary)
        for data in held:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if data:
            # (never empty here: it holds the first document with fields at least)
            compressor = zlib.compressobj(LEVEL, zdict=self._dictionary)
            data = compressor.compress(data) + compressor.flush()
            self._dbfile.write(data)
            self._written += len(data)
        self._ends.append(self._written)

    def finish(self, doccount: int) -> None:
        """Write what is held, the offsets and the trailer (``doccount`` documents)."""
        self.fill(doccount)
        if self._held is not None:
            self._start()
        self._dbfile.write(np.asarray(self._ends, dtype="<u4").tobytes())
        self._dbfile.write(_TRAILER.pack(_VERSION, len(self._dictionary), len(self._ends)))


class DictionaryStoredReader(ColumnReader):
    """One document's stored fields (``None`` for a document without)."""

    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
        self._dbfile = dbfile
        self._basepos = basepos
        self._doccount = doccount
        version, size, count = _TRAILER.unpack(
            dbfile.get(basepos + length - _TRAILER.size, _TRAILER.size)
        )
        table = length - _TRAILER.size - 4 * count
        if version != _VERSION or count != doccount or not 0 <= size <= table:
            raise ValueError(f"stored fields: version {version}, {count} of {doccount} documents")
        ends = np.frombuffer(dbfile.get(basepos + table, 4 * count), dtype="<u4")
        # (kept as numpy's array: a segment's thousands of offsets are not made Python ints)
        self._size, self._ends = size, ends
        if bool((np.diff(ends.astype(np.int64)) < 0).any()) or (count and ends[0] < size):
            raise ValueError("stored fields: the documents' offsets are not in order")
        if (int(ends[-1]) if count else size) != table:
            raise ValueError("stored fields: the documents do not end where their offsets do")
        self._dictionary = dbfile.get(basepos, size) if size else None

    def __len__(self) -> int:
        return self._doccount

    def __getitem__(self, docnum: int) -> Any:
        if not 0 <= docnum < self._doccount:
            raise IndexError(docnum)
        start = int(self._ends[docnum - 1]) if docnum else self._size
        end = int(self._ends[docnum])
        if start == end:
            return None
        if self._dictionary is None:
            raise ValueError(f"stored fields: document {docnum} without a dictionary")
        decompressor = zlib.decompressobj(zdict=self._dictionary)
        text = decompressor.decompress(self._dbfile.get(self._basepos + start, end - start))
        if not decompressor.eof or decompressor.unused_data:
            raise ValueError(f"stored fields: document {docnum} is cut short or overlong")
        return json.loads(text)

    def __iter__(self) -> Any:
        for docnum in range(self._doccount):
            yield self[docnum]


STORED_COLUMN = DictionaryStoredColumn()


class _PerDocWriter(whoosh3.W3PerDocWriter):
    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == _STORED else column)


class _PerDocReader(whoosh3.W3PerDocReader):
    def stored_fields(self, docnum: int) -> dict[str, Any]:
        value = self._cached_reader(_STORED, STORED_COLUMN)[docnum]
        return {} if value is None else value


class Codec(whoosh3.W3Codec):
    """Whoosh's codec with the stored fields of :class:`DictionaryStoredColumn`."""

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        """Whoosh's writer of columns and stored fields, with this codec's stored fields."""
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        """Whoosh's reader of columns and stored fields, with this codec's stored fields."""
        return _PerDocReader(storage, segment)
