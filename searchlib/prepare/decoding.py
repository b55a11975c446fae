"""Decoding: bytes of a source file to text, line by line, reporting the lines it repairs.

A file that is UTF-8 (with or without BOM), UTF-16 with a BOM, or valid in the encoding an HTML
page declares is decoded whole. Any other file is decoded a line at a time: a line that is not
UTF-8 by itself is read as Windows-1252 (else with undecodable bytes replaced), and raw NUL
bytes become U+FFFD, so one bad byte costs its own line and no other. JSON Lines files are
streamed a chunk at a time, surveyed first (:func:`survey_file`) and checked against the survey
as they are read; a line longer than a limit is never held whole.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SourceChangedError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path
    from typing import BinaryIO

# Control bytes that text does not use (all but tab, line feed, form feed, carriage return, ESC).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def looks_binary(data: bytes) -> bool:
    """Whether ``data`` starts like a binary file: NUL bytes in its first 8 KB, with other
    control bytes making up over 5% of it or bytes that are not UTF-8. A stray NUL in text
    is not enough: it is replaced on its line (see :func:`decode`)."""
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head:
        return False
    if len(_CONTROL_BYTES.findall(head)) * 20 > len(head):
        return True
    try:
        codecs.utf_8_decode(head, "strict", False)  # not final: a character may be cut
    except UnicodeDecodeError:
        return True
    return False


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def declared_encoding(data: bytes) -> str | None:
    """The encoding an HTML page declares in a ``<meta charset>`` of its first 4 KB, if known."""
    match = _CHARSET.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, list[tuple[int, str]]]:
    """Decode bytes as UTF-8 (with or without BOM, or UTF-16 with a BOM), else as the
    ``declared`` encoding; else line by line, each line that is not UTF-8 by itself as
    Windows-1252, else as UTF-8 with undecodable bytes replaced, raw NUL bytes replaced.

    Returns the text and warnings as ``(line, reason)`` (none when the text was valid in the
    encoding it states): one for each kind of repair, at the first line it was made on.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    if b"\x00" not in data:
        try:
            return data.decode("utf-8-sig"), []
        except UnicodeDecodeError:
            pass
        if declared and codecs.lookup(declared).name != "utf-8":
            try:
                return data.decode(declared), []
            except UnicodeDecodeError:
                pass
    decoder = LineDecoder()
    lines = data.removeprefix(codecs.BOM_UTF8).split(b"\n")
    text = "\n".join(decoder.line(number, raw) for number, raw in enumerate(lines, start=1))
    return text, decoder.warnings()


class LineDecoder:
    """Decodes lines one at a time, as :func:`decode` does, noting the lines it repairs."""

    def __init__(self) -> None:
        self.repaired: dict[str, list[int]] = {}

    def line(self, number: int, raw: bytes) -> str:
        """Line ``number``, from its bytes."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text, how = raw.decode("cp1252"), "not valid UTF-8: read as Windows-1252"
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace")
                how = "not valid UTF-8: undecodable bytes replaced by U+FFFD"
            self.repaired.setdefault(how, []).append(number)
        if "\x00" in text:
            self.repaired.setdefault("raw NUL bytes replaced by U+FFFD", []).append(number)
            text = text.replace("\x00", "\ufffd")
        return text

    def warnings(self) -> list[tuple[int, str]]:
        """``(first line, reason)`` for each kind of repair, naming up to ten of its lines."""
        found = []
        for how, numbers in self.repaired.items():
            shown = ", ".join(map(str, numbers[:10]))
            more = f" and {len(numbers) - 10:,} more" if len(numbers) > 10 else ""
            found.append((numbers[0], f"{how} (line{'s' * (len(numbers) > 1)} {shown}{more})"))
        return found


#: Bytes read at a time from a JSON Lines file, which is read, hashed and parsed in pieces: a
#: file of any size costs the memory of a chunk and of its longest line, never its whole size.
CHUNK_BYTES = 1 << 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class Survey:
    """What a first pass over a file learned without keeping its content: its size and
    :func:`file_hash`, why it is skipped whole (``skip``: empty or binary), and else its
    ``encoding``: ``utf-16`` (it has a BOM) or ``utf-8`` (decoded line by line, as by
    :func:`decode`)."""

    size: int
    sha256: str
    encoding: str = "utf-8"
    skip: str = ""


def survey_file(path: Path) -> Survey:
    """Read ``path`` once, in chunks, for its :class:`Survey`: the same hash as
    :func:`file_hash` of its content and the same decoding as :func:`decode` (without a
    declared encoding) would give. Raises :class:`OSError` when it cannot be read."""
    hasher = hashlib.sha256()
    size, blank, head = 0, True, b""
    # An incremental UTF-16 decoder while the file may be UTF-16: it starts with a BOM (known
    # once two bytes are read) and decodes so far.
    utf16: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-16")()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if len(head) < 8192:
                head += chunk[: 8192 - len(head)]
                if len(head) >= 2 and not head.startswith(_UTF16_BOMS):
                    utf16 = None
            hasher.update(chunk)
            blank = blank and not chunk.strip()
            if utf16 is not None:
                try:
                    utf16.decode(chunk)
                except UnicodeDecodeError:
                    utf16 = None
            size += len(chunk)
    if utf16 is not None:
        try:
            utf16.decode(b"", True)
        except UnicodeDecodeError:
            utf16 = None
        if not head.startswith(_UTF16_BOMS):
            utf16 = None
    sha256 = hasher.hexdigest()
    if blank:
        return Survey(size, sha256, skip="empty file; skipped")
    if looks_binary(head):
        return Survey(size, sha256, skip="looks like a binary file, not text; skipped")
    return Survey(size, sha256, "utf-8" if utf16 is None else "utf-16")


def file_chunks(path: Path, handle: BinaryIO, survey: Survey) -> Iterator[bytes]:
    """The content of ``path`` as UTF-8 (or Windows-1252...: lines are decoded one by one)
    bytes, a chunk at a time, checked against its ``survey``."""
    hasher = hashlib.sha256()
    size = 0
    utf16 = codecs.getincrementaldecoder("utf-16")() if survey.encoding == "utf-16" else None
    while True:
        chunk = handle.read(CHUNK_BYTES)
        hasher.update(chunk)
        if utf16 is not None:
            try:
                yield utf16.decode(chunk, not chunk).encode("utf-8")
            except UnicodeDecodeError as error:
                raise SourceChangedError.of(path, "while it was being read") from error
        else:
            yield chunk.removeprefix(codecs.BOM_UTF8) if size == 0 else chunk
        size += len(chunk)
        if not chunk:
            break
    if size != survey.size or hasher.hexdigest() != survey.sha256:
        raise SourceChangedError.of(path, "while it was being read")


def utf8_data(data: bytes) -> bytes:
    """A JSON Lines file's content as :func:`file_chunks` gives it, all at once."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.removeprefix(codecs.BOM_UTF8)


def split_lines(chunks: Iterable[bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """The numbered lines (split at ``\\n``) of the bytes given in ``chunks``; a line of more
    than ``limit`` bytes is ``None``, and never held whole."""
    number, size = 0, 0
    pending: list[bytes] | None = []  # the line read so far; None once it is too long
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            number += 1
            size += end - start
            if pending is None or size > limit:
                yield number, None
            else:
                pending.append(chunk[start:end])
                yield number, b"".join(pending)
            pending, size, start = [], 0, end + 1
        if pending is not None and start < len(chunk):
            size += len(chunk) - start
            if size > limit:
                pending = None
            else:
                pending.append(chunk[start:])
    if pending is None or pending:
        yield number + 1, None if pending is None else b"".join(pending)
