"""Segment parts: what the sidecar needs of each Whoosh segment, and their collector.

What the sidecar needs of each segment is kept beside it; the collector combines the parts of
every segment into the sidecar's arrays.

Beside each Whoosh segment a build keeps what the sidecar needs of it (a :class:`SegmentPart`:
postings with Whoosh's stored weights and their positions, field lengths and the stored
columns) as ``sidecar-part-SEGMENT.npz`` (plain arrays, loaded without pickle) and
``sidecar-part-SEGMENT.json``, named by the Whoosh segment id. Segment files never change, so
an incremental build hard-links the parts with the segments and :func:`files.write` combines
them, reading back through Whoosh only the segments without a valid part.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from array import array as typed_array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..whoosh import ranking
from ..whoosh.analysis import stored_positions
from . import positions as phrases
from .matrix import (
    ENTITY_KINDS,
    Columns,
    Matrix,
    Terms,
    candidate_rows,
    heaviest_terms,
    sum_shares,
    term_postings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

#: The stored fields the per-article columns are made from.
COLUMN_FIELDS = ("id", "date", *ENTITY_KINDS)
#: The stored fields a segment part keeps of each article: the columns, and the entity aliases
#: the build's entity table is made of.
KEPT_FIELDS = (*COLUMN_FIELDS, "entity_aliases")
#: Segment parts: ``PART_PREFIX + segment id + ".npz"`` and ``".json"`` (written last). They do
#: not start with the sidecar's prefix, so builds hard-link them into the next generation.
PART_PREFIX = "sidecar-part-"
#: 3: the vocabulary and the kept fields are in the compressed arrays (as JSON text), no longer
#: in the description: they were half of a part.
PART_FORMAT = 3


def _part_paths(folder: Path, segment_id: str) -> tuple[Path, Path]:
    stem = f"{PART_PREFIX}{segment_id}"
    return folder / f"{stem}.npz", folder / f"{stem}.json"


def save_part(folder: Path, segment_id: str, part: SegmentPart) -> None:
    """Keep ``part``, the part of segment ``segment_id``, beside it in ``folder``."""
    arrays_path, meta_path = _part_paths(folder, segment_id)
    arrays: dict[str, np.ndarray] = {}
    for name in ranking.FIELD_WEIGHTS:
        wids, docs, weights = part.postings[name]
        arrays[f"{name}_words"] = np.asarray(wids, np.int32)
        arrays[f"{name}_docs"] = np.asarray(docs, np.int32)
        arrays[f"{name}_weights"] = np.asarray(weights, np.float32)
        arrays[f"{name}_lengths"] = np.array(part.lengths[name], np.int64)
        arrays[f"{name}_positions"] = np.asarray(part.positions[name], np.uint32)
    kept = {
        "vocabulary": [text.decode("utf-8") for text in part.vocabulary],
        "stored": [
            {key: str(value) for key, value in stored.items() if key in KEPT_FIELDS}
            for stored in part.stored
        ],
    }
    arrays["kept"] = np.frombuffer(json.dumps(kept, ensure_ascii=False).encode("utf-8"), np.uint8)
    buffer = io.BytesIO()
    # Compressed: parts are read whole, once per incremental build, and are as large as the
    # segments' postings.
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # (no key is allow_pickle)
    content = buffer.getvalue()
    tmp = folder / f".{arrays_path.name}.tmp"
    tmp.write_bytes(content)
    tmp.rename(arrays_path)
    meta = {
        "format": PART_FORMAT,
        "segment": segment_id,
        "docs": len(part.stored),
        # Binds the arrays to this description: a part is never made of two halves.
        "arrays_sha256": hashlib.sha256(content).hexdigest(),
        "fields": list(ranking.FIELD_WEIGHTS),
    }
    # Written last and renamed into place: a part without it is incomplete.
    tmp = folder / f".{meta_path.name}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    tmp.rename(meta_path)


def load_part(folder: Path, segment: Any) -> SegmentPart | None:
    """The part kept beside ``segment`` in ``folder``, or ``None`` when there is none or it does
    not match the segment (another id or article count, deletions, arrays not those described,
    inconsistent arrays)."""
    import zipfile  # (builds only: a search does not import it)

    if segment.has_deletions():
        return None
    segment_id = segment.segment_id()
    size = segment.doc_count_all()
    arrays_path, meta_path = _part_paths(folder, segment_id)
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        if (
            meta.get("format") != PART_FORMAT
            or meta.get("segment") != segment_id
            or meta.get("docs") != size
            or meta.get("fields") != list(ranking.FIELD_WEIGHTS)
        ):
            return None
        content = arrays_path.read_bytes()
        if hashlib.sha256(content).hexdigest() != meta.get("arrays_sha256"):
            return None
        postings, lengths, positions = {}, {}, {}
        with np.load(io.BytesIO(content), allow_pickle=False) as data:
            if data["kept"].dtype != np.uint8:
                return None
            kept = json.loads(data["kept"].tobytes().decode("utf-8"))
            if len(kept["stored"]) != size:
                return None
            vocabulary = [str(word).encode("utf-8") for word in kept["vocabulary"]]
            for name in ranking.FIELD_WEIGHTS:
                wids = data[f"{name}_words"]
                docs = data[f"{name}_docs"]
                weights = data[f"{name}_weights"]
                field_lengths = data[f"{name}_lengths"]
                field_positions = data[f"{name}_positions"]
                if (
                    (wids.dtype, docs.dtype, weights.dtype, field_lengths.dtype)
                    != (np.int32, np.int32, np.float32, np.int64)
                    or not (wids.ndim == docs.ndim == weights.ndim == field_lengths.ndim == 1)
                    or not len(wids) == len(docs) == len(weights)
                    or len(field_lengths) != size
                    or (len(wids) and not 0 <= wids.min() <= wids.max() < len(vocabulary))
                    or (len(docs) and not 0 <= docs.min() <= docs.max() < size)
                    # (a posting's weight is its frequency: how many positions it has)
                    or field_positions.dtype != np.uint32
                    or field_positions.ndim != 1
                    or len(field_positions) != int(weights.astype(np.int64).sum())
                ):
                    return None
                postings[name] = (wids, docs, weights)
                lengths[name] = field_lengths.tolist()
                positions[name] = field_positions
        stored: list[Mapping[str, Any]] = [dict(item) for item in kept["stored"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile):
        return None
    return SegmentPart(vocabulary, postings, lengths, stored, positions)


def read_part(store: Any, segment: Any) -> SegmentPart:
    """The part of ``segment`` (without deletions) of Whoosh index ``store``, read back from
    its postings. Its lengths are Whoosh's byte-rounded ones, which round to themselves."""
    from whoosh.reading import SegmentReader

    size = segment.doc_count_all()
    reader = SegmentReader(store.storage, store.schema, segment)
    try:
        word_ids: dict[bytes, int] = {}
        postings, lengths, positions = {}, {}, {}
        for name in ranking.FIELD_WEIGHTS:
            wids, docs, weights = [], [], []
            places: typed_array[int] = typed_array("I")
            positions_of = stored_positions(reader, name)
            for text in reader.lexicon(name):
                text = text if isinstance(text, bytes) else text.encode("utf-8")
                wid = word_ids.setdefault(text, len(word_ids))
                ids, found = term_postings(reader, name, text)
                weights.append(found)
                wids.append(np.full(len(ids), wid, np.int32))
                docs.append(ids.astype(np.int32))
                for _, held in positions_of(text):
                    places.extend(held)
            positions[name] = _uint32(places)
            postings[name] = (
                np.concatenate(wids) if wids else np.zeros(0, np.int32),
                np.concatenate(docs) if docs else np.zeros(0, np.int32),
                # Whoosh reads float32 weights: converting back is exact.
                (np.concatenate(weights) if weights else np.zeros(0)).astype(np.float32),
            )
            # (Whoosh gives None, not the default, for an article without the field in a
            # segment where others have it.)
            lengths[name] = [reader.doc_field_length(d, name, 0) or 0 for d in range(size)]
        stored: list[Mapping[str, Any]] = [{} for _ in range(size)]
        for docnum, fields in reader.iter_docs():
            stored[docnum] = {key: fields[key] for key in KEPT_FIELDS if key in fields}
    finally:
        reader.close()
    return SegmentPart(list(word_ids), postings, lengths, stored, positions)


@dataclass
class SegmentPart:
    """What the sidecar needs of one segment: its postings in the sidecar's fields (word ids
    into ``vocabulary``, articles counted from the segment's first, weights as Whoosh stores
    them, and their positions), the exact field lengths and the stored fields of each article."""

    vocabulary: list[bytes]
    postings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    lengths: dict[str, list[int]]
    stored: list[Mapping[str, Any]]
    #: Per field, the positions of each posting in turn (as many as its weight).
    positions: dict[str, np.ndarray]


class SegmentPostings:
    """Gathers a :class:`SegmentPart` as the documents of one segment are written (in any
    process: it only sees the documents)."""

    def __init__(self) -> None:
        self._fields = list(ranking.FIELD_WEIGHTS)
        self._word_ids: dict[bytes, int] = {}
        # Typed arrays, not lists: a segment has millions of postings.
        self._pending: dict[str, tuple[typed_array[int], typed_array[int], typed_array[float]]] = {
            name: (typed_array("i"), typed_array("i"), typed_array("d")) for name in self._fields
        }
        self._lengths: dict[str, list[int]] = {name: [] for name in self._fields}
        self._positions: dict[str, typed_array[int]] = {
            name: typed_array("I") for name in self._fields
        }
        self._stored: list[Mapping[str, Any]] = []

    def add(self, stored: Mapping[str, Any], postings: Mapping[str, Iterable[Any]]) -> None:
        """One article as written: its stored fields (those of :data:`COLUMN_FIELDS` are
        used) and, for each field of the sidecar, the ``(bytes, freq, weight, value)``
        postings given to Whoosh."""
        docnum = len(self._stored)
        word_ids = self._word_ids
        for name in self._fields:
            wids, docs, weights = self._pending[name]
            places = self._positions[name]
            length = 0
            count = 0
            for text, freq, weight, value in postings.get(name, ()):
                wid = word_ids.get(text)
                if wid is None:
                    wid = word_ids[text] = len(word_ids)
                wids.append(wid)
                weights.append(weight)
                places.extend(phrases.decode(value))
                length += freq
                count += 1
            docs.extend([docnum] * count)
            self._lengths[name].append(length)
        self._stored.append(stored)

    def finish(self) -> SegmentPart:
        """The part gathered; this object is not used again."""
        postings = {}
        for name in self._fields:
            wids, docs, weights = self._pending[name]
            postings[name] = (
                np.frombuffer(wids, np.intc).astype(np.int32),
                np.frombuffer(docs, np.intc).astype(np.int32),
                # What Whoosh stores and reads back: the weight times the field boost (1.0),
                # as a float32.
                (np.frombuffer(weights, np.float64) * 1.0).astype(np.float32),
            )
        positions = {name: _uint32(self._positions[name]) for name in self._fields}
        return SegmentPart(list(self._word_ids), postings, self._lengths, self._stored, positions)


def _uint32(values: typed_array[int]) -> np.ndarray:
    """A typed array of unsigned ints as a numpy array of uint32."""
    return np.frombuffer(values, np.dtype(f"u{values.itemsize}")).astype(np.uint32)


def _add_counts(
    totals: np.ndarray, ids: np.ndarray, size: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """``totals`` (grown to ``size``) plus how many times each id occurs in ``ids`` (or the
    sum of their ``weights``, whole numbers)."""
    counts = np.bincount(ids, weights, minlength=size).astype(np.int64)
    grown = np.concatenate([totals, np.zeros(len(counts) - len(totals), np.int64)])
    return grown + counts


class Collector:
    """What :func:`write` needs, gathered while a full build writes its documents, so that the
    sidecar is not read back through Whoosh (which costs a Python call per posting and per
    article, over a lexicon merged from every segment).

    Either call :meth:`add` for each document in the order it is added to the index and
    :meth:`end_segment` after each commit, or :meth:`add_part` for each segment in order with
    what a :class:`SegmentPostings` gathered where it was written. A segment's postings are
    kept in a temporary file (``spill``), not in memory. Whoosh stores each posting's weight as
    a float32 and each field length as a byte (:func:`~whoosh.util.numeric.length_to_byte`);
    the collector rounds them the same way, so its arrays are those read back.
    :meth:`matches` checks that the index holds exactly the segments collected; :func:`write`
    reads them back otherwise.
    """

    def __init__(self, spill: Path) -> None:
        self._spill_path = spill
        self._spill = spill.open("w+b")
        self._word_ids: dict[bytes, int] = {}
        self._counts = np.zeros(0, np.int64)  # (word, article) pairs per word id
        self._field_df = {name: np.zeros(0, np.int64) for name in ranking.FIELD_WEIGHTS}
        # Positions per word id and field (a posting's weight is how many it has).
        self._field_positions = {name: np.zeros(0, np.int64) for name in ranking.FIELD_WEIGHTS}
        # Each field's highest frequency and position, which choose the types they are kept in.
        self._tops = {name: (0, 0) for name in ranking.FIELD_WEIGHTS}
        self._segments: list[tuple[int, int, list[tuple[Any, int]]]] = []  # base, size, parts
        self._segment_ids: list[str | None] = []
        self._fields = list(ranking.FIELD_WEIGHTS)
        # Each segment's field lengths, as an array (not a Python int per article and field).
        self._lengths: dict[str, list[np.ndarray]] = {name: [] for name in self._fields}
        self._docnum = 0
        self.columns = Columns([], np.zeros(0, np.int32), np.ones(0, bool))
        self._current = SegmentPostings()

    def add(self, stored: Mapping[str, Any], postings: Mapping[str, Iterable[Any]]) -> None:
        """One article as written (see :meth:`SegmentPostings.add`)."""
        self._current.add(stored, postings)

    def end_segment(self, segment_id: str | None = None) -> None:
        """The documents added since the last call were committed as one segment (with id
        ``segment_id``, when known: its part is then kept beside it, see :func:`save_part`)."""
        part, self._current = self._current.finish(), SegmentPostings()
        if segment_id is not None and part.stored:
            save_part(self._spill_path.parent, segment_id, part)
        self.add_part(part, segment_id)

    def add_part(self, part: SegmentPart, segment_id: str | None = None) -> None:
        """The next segment of the index (with id ``segment_id``, when known)."""
        base, size = self._docnum, len(part.stored)
        if size == 0:
            return
        self._segment_ids.append(segment_id)
        word_ids = self._word_ids
        global_ids = np.array(
            [word_ids.setdefault(text, len(word_ids)) for text in part.vocabulary], np.int32
        )
        parts: list[tuple[Any, int]] = []
        keys = []
        for name in self._fields:
            wids, docs, weights = part.postings[name]
            arrays = (global_ids[wids], docs + np.int32(base), weights, part.positions[name])
            for array in arrays:
                parts.append((array.dtype, len(array)))
                array.tofile(self._spill)
            keys.append(arrays[0].astype(np.int64) * size + docs)
            self._lengths[name].append(np.asarray(part.lengths[name], np.int64))
            # A field's postings hold each (word, article) once.
            self._field_df[name] = _add_counts(self._field_df[name], arrays[0], len(word_ids))
            self._field_positions[name] = _add_counts(
                self._field_positions[name], arrays[0], len(word_ids), weights
            )
            top_freq, top_position = self._tops[name]
            self._tops[name] = (
                max(top_freq, int(weights.max()) if len(weights) else 0),
                max(top_position, int(arrays[3].max()) if len(arrays[3]) else 0),
            )
        pairs = np.unique(np.concatenate(keys)) // size
        self._counts = _add_counts(self._counts, pairs, len(word_ids))
        self._docnum += size
        self.columns.resize(self._docnum)
        for offset, stored in enumerate(part.stored):
            self.columns.add(base + offset, stored)
        self._segments.append((base, size, parts))

    def matches(self, segments: list[Any]) -> bool:
        """True when the index's ``segments`` are exactly those collected, with no deletions
        (and the same ids, where they were given)."""
        return (
            self._docnum > 0
            and not self._current._stored
            and not any(segment.has_deletions() for segment in segments)
            and [segment.doc_count_all() for segment in segments]
            == [size for _, size, _ in self._segments]
            and all(
                given is None or given == segment.segment_id()
                for given, segment in zip(self._segment_ids, segments, strict=True)
            )
        )

    def matrix(self, avgfl: Mapping[str, float]) -> Matrix:
        """The ``tf~`` matrix (words, indptr, docs, tf) of the collected postings, the
        articles' terms (see :func:`heaviest_terms`) and the fields' postings with positions
        (see :class:`positions.FieldArrays`).

        The fields' arrays are made one field at a time as they are asked for, each from its
        own pass over the spilled postings, so that a build never holds them and the matrix
        at once (at 1M articles, gigabytes): the caller lets each go once saved."""
        params = ranking.PARAMS
        vocabulary = [text.decode("utf-8") for text in self._word_ids]
        order = sorted(range(len(vocabulary)), key=vocabulary.__getitem__)
        words = [vocabulary[i] for i in order]
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order), dtype=np.int64)
        counts = self._counts[order] if order else np.zeros(0, np.int64)
        indptr = np.zeros(len(words) + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        docs_out = np.empty(int(indptr[-1]), np.int32)
        tf_out = np.empty(int(indptr[-1]), np.float64)
        filled = indptr[:-1].copy()
        norms = {}
        for name in self._fields:
            # The lengths the scorer divides by: Whoosh's byte-rounded ones (None, read as
            # NaN, for an article without the field: it has no postings there).
            # (Worked out once for each distinct length.)
            values, inverse = np.unique(self._exact_lengths(name), return_inverse=True)
            rounded = [byte_to_length(length_to_byte(int(x))) if x else None for x in values]
            lengths = np.array(rounded, float)[inverse]
            norms[name] = 1 - params.b + params.b * lengths / avgfl[name]
        field_df = {name: df[order] for name, df in self._field_df.items()}
        candidates = candidate_rows(words, field_df, self._docnum)
        terms = Terms()
        for base, size, chunks in self._spilled(set(self._fields), positions=False):
            rows, cols, vals, weighted = [], [], [], []
            for name, (wids, docs, weights, _) in chunks:
                boost = ranking.FIELD_WEIGHTS[name]
                rows.append(rank[wids])
                cols.append(docs.astype(np.int64))
                vals.append(boost * weights.astype(np.float64) / norms[name][docs])
                weighted.append(boost * weights.astype(np.float64))
            row, col = np.concatenate(rows), np.concatenate(cols)
            terms.extend(heaviest_terms(row, col, np.concatenate(weighted), base, size, candidates))
            row, col, tf = sum_shares(row, col, np.concatenate(vals))
            # Rows are sorted, and articles within a row; every article of this segment comes
            # after those of the segments before it, so each row's run goes at its end.
            first = np.ones(len(row), bool)
            first[1:] = row[1:] != row[:-1]
            starts = np.flatnonzero(first)
            runs = np.diff(np.append(starts, len(row)))
            within = np.arange(len(row)) - np.repeat(starts, runs)
            where = filled[row] + within
            docs_out[where] = col
            tf_out[where] = tf
            filled[row[starts]] += runs
        self.columns.resize(self._docnum)
        if not np.array_equal(filled, indptr[1:]):
            raise RuntimeError("impacts: collected postings do not add up")  # pragma: no cover
        return words, indptr, docs_out, tf_out, terms, self._field_arrays(order, rank)

    def _field_arrays(
        self, order: list[int], rank: np.ndarray
    ) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        """Each field's arrays in turn (see :class:`positions.FieldArrays`), from a pass over
        the spilled postings that reads that field's only."""
        for name in self._fields:
            kept = phrases.FieldArrays(
                self._field_df[name][order],
                self._field_positions[name][order],
                self._exact_lengths(name),
                *self._tops[name],
            )
            for _, _, chunks in self._spilled({name}, positions=True):
                for _, (wids, docs, weights, positions) in chunks:
                    kept.add(rank[wids], docs, weights, positions)
            yield name, kept.arrays()
            del kept

    def _exact_lengths(self, name: str) -> np.ndarray:
        exact = self._lengths[name]
        return np.concatenate(exact) if exact else np.zeros(0, np.int64)

    def _spilled(
        self, wanted: set[str], positions: bool
    ) -> Iterator[tuple[int, int, list[tuple[str, tuple[np.ndarray, ...]]]]]:
        """Each segment's ``(base, size, chunks)``: the spilled ``(word ids, articles,
        weights, positions)`` of the ``wanted`` fields in field order (positions empty unless
        asked for), the rest of the spill skipped."""
        self._spill.seek(0)
        for base, size, parts in self._segments:
            chunks = []
            pending = iter(parts)
            for name in self._fields:
                arrays = []
                for index, (dtype, count) in enumerate(itertools.islice(pending, 4)):
                    if name in wanted and (index < 3 or positions):
                        arrays.append(np.fromfile(self._spill, dtype, count))
                    else:
                        self._spill.seek(count * np.dtype(dtype).itemsize, io.SEEK_CUR)
                        arrays.append(np.zeros(0, dtype))
                if name in wanted:
                    chunks.append((name, tuple(arrays)))
            yield base, size, chunks

    def close(self) -> None:
        """Remove the temporary file."""
        self._spill.close()
        self._spill_path.unlink(missing_ok=True)
