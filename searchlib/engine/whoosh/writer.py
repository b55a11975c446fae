"""Writing Whoosh segments: full builds by segment (in workers), incremental ones over links."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from whoosh import index as whoosh_index

from ...errors import IndexDamagedError
from ...fields import SEARCH_FIELDS
from .. import spelling
from ..sidecar import files as impacts
from . import patches
from .codec import Codec
from .schema import (
    Analyzed,
    analysed_postings,
    analyze_document,
    analyze_text,
    kept_fields,
    make_schema,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping


#: Documents per Whoosh segment written by an incremental build, and the fewest a segment of a
#: full build holds.
SEGMENT_DOCS = 1000
#: A full build writes about :data:`SEGMENTS_WANTED` segments of up to this many articles (see
#: :func:`segment_docs`).
MAX_SEGMENT_DOCS = 10_000
SEGMENTS_WANTED = 8
#: Small segments (under a quarter of SEGMENT_DOCS, from incremental builds) are written
#: together again once there are more than this many.
MAX_SMALL_SEGMENTS = 8


@dataclass
class SegmentWritten:
    """What :func:`write_segment` did: the document hash of each record, and the segment it
    wrote with what the sidecar needs of it (``None`` when no record was wanted)."""

    digests: list[str]
    segment: Any = None
    part: impacts.SegmentPart | None = None


def write_segment(
    folder: str, documents: Iterable[tuple[str, dict[str, Any] | None]]
) -> SegmentWritten:
    """A full build's unit of work: write the wanted ``documents`` (``(hash, document)``
    pairs, analysed ahead, ``None`` for one that is not wanted) as one Whoosh segment into the
    index in ``folder`` (which the caller adds to the index's table of contents: see
    :func:`commit_segments`). The documents are made as they are asked for, in a worker.

    Segments hold their own document numbers, so a segment written here is the same as one
    written by the build's process; as Whoosh's own multi-process writer does, the segment is
    written without the index lock and finished with ``_finalize_segment``."""
    from whoosh.writing import SegmentWriter

    digests = []
    writer: SegmentWriter | None = None
    collected = impacts.SegmentPostings()
    words: set[str] = set()
    try:
        # Each document is written as soon as it is analysed: a segment's analysed documents
        # would take several times its size in memory.
        for digest, doc in documents:
            digests.append(digest)
            if doc is not None:
                if writer is None:
                    writer = SegmentWriter(
                        whoosh_index.open_dir(folder), _lk=False, limitmb=256, codec=Codec()
                    )
                writer.add_document(**doc)
                collected.add(kept_fields(doc), analysed_postings(doc) or {})
                add_words(words, doc, writer.schema)
        if writer is None:
            return SegmentWritten(digests)
        segment = writer._finalize_segment()
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    part = collected.finish()
    # Kept beside the segment, so that incremental builds need not read it back.
    impacts.save_part(Path(folder), segment.segment_id(), part)
    spelling.save_segment_words(Path(folder), segment.segment_id(), words)
    return SegmentWritten(digests, segment, part)


def add_words(words: set[str], doc: Mapping[str, Any], schema: Any) -> None:
    """Add a document's words for spelling (see :func:`spelling.save_segment_words`): taken
    when it was analysed ahead, else analysed now."""
    for name in SEARCH_FIELDS:
        value = doc.get(name)
        if isinstance(value, Analyzed):
            words.update(value.spelling)
        elif value:
            words.update(analyze_text(schema[name], value).spelling)


def verify_generation(folder: Path, expected: int) -> None:
    """Open every segment of a generation and check its article count (cheap: no postings)."""
    try:
        store = whoosh_index.open_dir(str(folder))
        with store.reader() as reader:
            count = reader.doc_count()
    except Exception as error:  # Whoosh raises many types (EOFError, struct.error, …)
        raise IndexDamagedError(f"{type(error).__name__}: {error}") from error
    if count != expected:
        raise IndexDamagedError(f"it holds {count} articles where its sources list {expected}")


def iter_stored(folder: Path) -> Iterator[dict[str, Any]]:
    """The stored fields of every live article of the index in ``folder``."""
    patches.apply()
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        for _, stored in reader.iter_docs():
            yield stored


def segment_docs(articles: int) -> int:
    """How many articles each segment of a full build of ``articles`` articles holds: enough
    for :data:`SEGMENTS_WANTED` segments, each of :data:`SEGMENT_DOCS` to
    :data:`MAX_SEGMENT_DOCS` articles.

    Each segment has its own term dictionary and postings of every word it holds, so the
    fewer the segments the smaller the index (Reuters-21578 in 4 segments rather than 20: see
    benchmarks/RESULTS.md, "Index size"), and a searcher opens each and matches a phrase in
    each. But a segment with a deleted or updated article is written again whole, so the
    largest segments bound what mending one article costs; and a parallel build writes a
    segment per worker at once, so there should be a few."""
    return max(SEGMENT_DOCS, min(MAX_SEGMENT_DOCS, -(-articles // SEGMENTS_WANTED)))


def create(target: Path) -> Any:
    """A new, empty index in the folder ``target``."""
    patches.apply()
    return whoosh_index.create_in(str(target), make_schema())


def write_generation(
    target: Path,
    docs: Iterator[dict[str, Any]],
    total: int,
    *,
    base: Path | None = None,
    deletions: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    written: Collecting | None = None,
    phase: Callable[[str], None] = lambda name: None,
    keep_out: Iterable[str] = (),
) -> None:
    """Write the documents ``docs`` (``total`` of them) into the new generation ``target``:
    afresh, or over links to the segments of the generation ``base`` (less its files
    ``keep_out``), deleting the articles of the ids ``deletions`` first. ``written`` collects
    a full build's sidecar and entity names; ``phase`` is told when linking and writing."""
    patches.apply()
    if base is None:
        store = create(target)
        deletions = []
    else:
        link_segments(base, target, keep_out)
        phase("linked")
        if not (deletions or total):
            return  # only the entity table changes
        store = whoosh_index.open_dir(str(target))
    size = segment_docs(total) if written is not None else SEGMENT_DOCS
    segments = (
        (store.writer(limitmb=256, codec=Codec()), itertools.islice(docs, size))
        for _ in range(0, max(total, 1), size)
    )
    # An incremental build keeps the sidecar part of each segment it writes (new and purged
    # articles), as a full build does: the next build need not read it back.
    parts = target if written is None else None
    _add_segments(segments, total, progress, deletions, written, parts, phase)


def commit_segments(store: Any, segments: list[Any]) -> None:
    """Add segments written by :func:`write_segment` to the index's table of contents."""
    store.writer(codec=Codec()).commit(mergetype=lambda _writer, existing: [*existing, *segments])


class Collecting(Protocol):
    """What a full build gathers from each document as it writes it (see
    :class:`searchlib.store.build.Written`)."""

    def add(self, doc: Mapping[str, Any]) -> None:
        """One document, as given to Whoosh."""

    def end_segment(self, segment_id: str | None = None) -> None:
        """The documents added so far are committed."""


def _add_segments(
    segments: Iterable[tuple[Any, Iterable[dict[str, Any]]]],
    total: int,
    progress: Callable[[int, int], None] | None,
    deletions: list[str] | None = None,
    written: Collecting | None = None,
    parts: Path | None = None,
    phase: Callable[[str], None] = lambda name: None,
) -> None:
    """Add each batch of documents with its own writer and commit it (purging deletions, see
    :func:`_purge_deletions`), reporting progress. With ``parts``, the sidecar part of each
    segment written is saved there (see :func:`impacts.save_part`)."""
    count = 0
    if progress is not None:
        progress(0, total)  # the total, before the first article is analysed
    for writer, docs in segments:
        part = impacts.SegmentPostings() if parts is not None else None
        words: set[str] = set()
        try:
            for article_id in deletions or ():
                writer.delete_by_term("id", article_id)
            deletions = None
            for doc in docs:
                writer.add_document(**doc)
                add_words(words, doc, writer.schema)
                if written is not None:
                    written.add(doc)
                if part is not None:
                    postings = analysed_postings(doc)
                    if postings is None:  # not analysed ahead: impacts.write reads it back
                        part = None
                    else:
                        part.add(kept_fields(doc), postings)
                count += 1
                if count == 1:
                    phase("writing")
                if progress is not None:  # each article: analysis takes milliseconds a piece
                    progress(count, total)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=functools.partial(_purge_deletions, part=part, words=words))
        newsegment = getattr(writer, "newsegment", None)
        segment_id = newsegment.segment_id() if newsegment is not None else None
        if segment_id is not None:
            spelling.save_segment_words(Path(writer.storage.folder), segment_id, words)
        if written is not None:
            written.end_segment(segment_id)
        if parts is not None and part is not None and segment_id is not None:
            finished = part.finish()
            if finished.stored:  # (impacts.write checks it against the segment's count)
                impacts.save_part(parts, segment_id, finished)
    if progress is not None:
        progress(count, total)


def link_segments(source: Path, target: Path, keep_out: Iterable[str] = ()) -> None:
    """Fill ``target`` with the index files of ``source`` (but ``keep_out``): hard links, or
    copies where the file system has none. Whoosh only ever adds files, so sharing them is
    safe."""
    left_out = set(keep_out)
    for item in source.iterdir():
        if not item.is_file() or item.name in left_out or "LOCK" in item.name:
            continue
        if item.name.startswith(impacts.PREFIX):  # each generation writes its own sidecar
            continue
        # Segment parts (impacts.PART_PREFIX) are linked with their segments: impacts.write
        # checks each against its segment and removes those of segments merged away.
        try:
            os.link(item, target / item.name)
        except OSError:
            shutil.copy2(item, target / item.name)


def _purge_deletions(
    writer: Any,
    segments: list[Any],
    part: impacts.SegmentPostings | None = None,
    words: set[str] | None = None,
) -> list[Any]:
    """Whoosh merge policy: write again every segment that has deleted documents, and the
    small segments once there are too many of them.

    Documents are added again from their stored fields (every field is stored) rather than
    merged with Whoosh's ``add_reader``, which copies field lengths rounded to one byte: the
    collection statistics, and so the scores, then stay exactly those of a fresh build. With
    ``part`` (gathering the sidecar part of the writer's segment) they are analysed ahead, as
    new documents are, and added to it too. ``words`` gathers their words for spelling.
    """
    from whoosh.reading import SegmentReader

    rewrite = [segment for segment in segments if segment.has_deletions()]
    kept = [segment for segment in segments if not segment.has_deletions()]
    small = [segment for segment in kept if segment.doc_count_all() < SEGMENT_DOCS // 4]
    if len(small) > MAX_SMALL_SEGMENTS:
        rewrite += small
        kept = [segment for segment in kept if segment not in small]
    for segment in rewrite:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            for _, stored in reader.iter_docs():  # live documents only
                if part is None:
                    writer.add_document(**stored)
                    doc = stored
                else:
                    doc = analyze_document(dict(stored))
                    writer.add_document(**doc)
                    part.add(kept_fields(doc), analysed_postings(doc) or {})
                if words is not None:
                    add_words(words, doc, writer.schema)
        finally:
            reader.close()
    return kept
