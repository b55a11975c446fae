"""Impacts: a BM25F sidecar beside each Whoosh generation, for fast exact bag-of-words search.

A build writes ``impacts-*`` files into every new generation folder: for each word of the title and
body vocabulary, the ``tf~`` of :mod:`searchlib.ranking` in every article that holds it (a
terms × articles CSR matrix of float64, from the same postings, field lengths and average
lengths that the scorer reads), and per-article columns for filters and facets (date, id order,
deletions, entity names). :func:`word_scores` turns a row into the BM25F scores with the same
floating-point operations as :meth:`ranking.FieldsTerm.scores`, so a query scored from the
sidecar gets the scores Whoosh gives.

Everything is plain ``.npy`` files (read memory-mapped, never pickled) and a JSON header that
names the generation, the article count and the ranking parameters: a sidecar that does not
match its index is never used (:func:`load` returns ``None`` and search falls back to Whoosh).

**Segment parts.** Beside each Whoosh segment a build keeps what the sidecar needs of it (a
:class:`SegmentPart`: postings with Whoosh's stored weights, field lengths and the stored columns)
as ``sidecar-part-SEGMENT.npz`` (plain arrays, loaded without pickle) and
``sidecar-part-SEGMENT.json``, named by the Whoosh segment id. Segment files never change, so
an incremental build hard-links the parts with the segments and :func:`write` combines them,
reading back through Whoosh only the segments without a valid part (those its own writer wrote).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from array import array as typed_array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..whoosh import ranking
from .matrix import (
    ARTICLE_TERMS,
    ENTITY_KINDS,
    Columns,
    Terms,
    candidate_rows,
    heaviest_terms,
    read_columns,
    read_matrix,
    sum_shares,
    term_postings,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: The sidecar's files in a generation folder: ``impacts-NAME.npy`` and the header (written
#: last, so a sidecar without one is incomplete). Builds never hard-link them into the next
#: generation.
PREFIX = "impacts-"
HEADER = f"{PREFIX}header.json"
FORMAT = 2
#: The stored fields the per-article columns are made from.
COLUMN_FIELDS = ("id", "date", *ENTITY_KINDS)
#: The stored fields a segment part keeps of each article: the columns, and the entity aliases
#: the build's entity table is made of.
KEPT_FIELDS = (*COLUMN_FIELDS, "entity_aliases")
#: Segment parts: ``PART_PREFIX + segment id + ".npz"`` and ``".json"`` (written last). They do
#: not start with :data:`PREFIX`, so builds hard-link them into the next generation.
PART_PREFIX = "sidecar-part-"
PART_FORMAT = 1


def _signature() -> dict[str, Any]:
    # tf~ depends on b and the field weights; a sidecar written with others is stale.
    return {"b": ranking.PARAMS.b, "fields": dict(ranking.FIELD_WEIGHTS)}


def write(
    folder: Path, generation: str, collected: Collector | None = None
) -> list[Mapping[str, Any]] | None:
    """Build the sidecar of the Whoosh index in ``folder`` (generation ``generation``).

    With ``collected`` (what a full build gathered while it wrote the documents, see
    :class:`Collector`) nothing is read back from Whoosh but the collection statistics; the
    arrays are the same as those read back. Otherwise the segment parts kept beside the
    segments are combined, and only segments without a valid part are read back (and their
    parts saved for the next build); an index with deleted documents is read back whole.

    Returns the stored fields (:data:`KEPT_FIELDS`) of every article when the parts were
    combined, else ``None``."""
    store = whoosh_index.open_dir(str(folder))
    # The collection statistics are in the table of contents: no segment is opened (a Whoosh
    # reader copies every segment file it opens into memory).
    segments = store._segments()
    n = sum(segment.doc_count_all() for segment in segments)
    if collected is not None and collected.matches(segments):
        words, indptr, col, tf, terms = collected.matrix(_average_lengths(segments, n))
        _save(folder, generation, n, words, indptr, col, tf, terms, collected.columns)
        return None
    if n == 0 or any(segment.has_deletions() for segment in segments):
        # Parts hold live articles only (a build writes segments with deletions again).
        _write_read_back(folder, generation, store)
        return None
    combined = Collector(folder / ".impacts-combine.tmp")
    stored: list[Mapping[str, Any]] = []
    try:
        for segment in segments:
            part = load_part(folder, segment)
            if part is None:
                part = read_part(store, segment)
                save_part(folder, segment.segment_id(), part)
            combined.add_part(part, segment.segment_id())
            stored.extend(part.stored)
        words, indptr, col, tf, terms = combined.matrix(_average_lengths(segments, n))
        _save(folder, generation, n, words, indptr, col, tf, terms, combined.columns)
    finally:
        combined.close()
    current = {segment.segment_id() for segment in segments}
    for path in folder.glob(f"{PART_PREFIX}*"):
        if path.name[len(PART_PREFIX) :].rsplit(".", 1)[0] not in current:
            path.unlink()  # a part of a segment merged away
    return stored


def _write_read_back(folder: Path, generation: str, store: Any) -> None:
    """Write the sidecar from every posting of the index, read back through Whoosh."""
    with store.searcher() as searcher:
        reader = searcher.reader()
        n = reader.doc_count_all()
        # The average lengths the scorer divides by: exact totals over all articles.
        avgfl = {name: searcher.avg_field_length(name) or 1 for name in ranking.FIELD_WEIGHTS}
        words, indptr, col, tf, terms = read_matrix(reader, n, avgfl)
        columns = read_columns(reader, n)
    _save(folder, generation, n, words, indptr, col, tf, terms, columns)


def _average_lengths(segments: list[Any], n: int) -> dict[str, float]:
    """As Searcher.avg_field_length: the total length over all articles, from the table of
    contents."""
    return {
        name: sum(segment._fieldlengths.get(name, 0) for segment in segments) / (n or 1) or 1
        for name in ranking.FIELD_WEIGHTS
    }


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
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # (no key is named allow_pickle)
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
        "vocabulary": [text.decode("utf-8") for text in part.vocabulary],
        "stored": [
            {key: str(value) for key, value in stored.items() if key in KEPT_FIELDS}
            for stored in part.stored
        ],
    }
    # Written last and renamed into place: a part without it is incomplete.
    tmp = folder / f".{meta_path.name}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    tmp.rename(meta_path)


def load_part(folder: Path, segment: Any) -> SegmentPart | None:
    """The part kept beside ``segment`` in ``folder``, or ``None`` when there is none or it does
    not match the segment (another id or article count, deletions, arrays not those described,
    inconsistent arrays)."""
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
            or len(meta["stored"]) != size
        ):
            return None
        content = arrays_path.read_bytes()
        if hashlib.sha256(content).hexdigest() != meta.get("arrays_sha256"):
            return None
        vocabulary = [str(word).encode("utf-8") for word in meta["vocabulary"]]
        postings, lengths = {}, {}
        with np.load(io.BytesIO(content), allow_pickle=False) as data:
            for name in ranking.FIELD_WEIGHTS:
                wids = data[f"{name}_words"]
                docs = data[f"{name}_docs"]
                weights = data[f"{name}_weights"]
                field_lengths = data[f"{name}_lengths"]
                if (
                    (wids.dtype, docs.dtype, weights.dtype, field_lengths.dtype)
                    != (np.int32, np.int32, np.float32, np.int64)
                    or not (wids.ndim == docs.ndim == weights.ndim == field_lengths.ndim == 1)
                    or not len(wids) == len(docs) == len(weights)
                    or len(field_lengths) != size
                    or (len(wids) and not 0 <= wids.min() <= wids.max() < len(vocabulary))
                    or (len(docs) and not 0 <= docs.min() <= docs.max() < size)
                ):
                    return None
                postings[name] = (wids, docs, weights)
                lengths[name] = field_lengths.tolist()
        stored: list[Mapping[str, Any]] = [dict(item) for item in meta["stored"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile):
        return None
    return SegmentPart(vocabulary, postings, lengths, stored)


def read_part(store: Any, segment: Any) -> SegmentPart:
    """The part of ``segment`` (without deletions) of Whoosh index ``store``, read back from
    its postings. Its lengths are Whoosh's byte-rounded ones, which round to themselves."""
    from whoosh.reading import SegmentReader

    size = segment.doc_count_all()
    reader = SegmentReader(store.storage, store.schema, segment)
    try:
        word_ids: dict[bytes, int] = {}
        postings, lengths = {}, {}
        for name in ranking.FIELD_WEIGHTS:
            wids, docs, weights = [], [], []
            for text in reader.lexicon(name):
                text = text if isinstance(text, bytes) else text.encode("utf-8")
                wid = word_ids.setdefault(text, len(word_ids))
                ids, found = term_postings(reader, name, text)
                weights.append(found)
                wids.append(np.full(len(ids), wid, np.int32))
                docs.append(ids.astype(np.int32))
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
    return SegmentPart(list(word_ids), postings, lengths, stored)


def _save(
    folder: Path,
    generation: str,
    n: int,
    words: list[str],
    indptr: np.ndarray,
    col: np.ndarray,
    tf: np.ndarray,
    terms: Terms,
    columns: Columns,
) -> None:
    ids = columns.ids
    id_rank = np.empty(n, np.int32)
    id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n, dtype=np.int32)

    for old in folder.glob(f"{PREFIX}*"):
        old.unlink()
    arrays = {
        "words": np.array(words, dtype=str) if words else np.zeros(0, "U1"),
        "indptr": indptr,
        "docs": col.astype(np.int32, copy=False),
        "tf": tf.astype(np.float64, copy=False),
        "dates": columns.dates,
        "id_rank": id_rank,
        "deleted": columns.deleted,
    }
    arrays["terms_indptr"], arrays["terms_words"], arrays["terms_counts"] = terms.arrays()
    for kind in ENTITY_KINDS:
        arrays[f"{kind}_docs"] = np.array(columns.pairs[kind][0], np.int32)
        arrays[f"{kind}_names"] = np.array(columns.pairs[kind][1], np.int32)
    for key, array in arrays.items():
        np.save(folder / f"{PREFIX}{key}.npy", array, allow_pickle=False)
    header = {
        "format": FORMAT,
        "generation": generation,
        "docs": n,
        "exact_dates": columns.exact_dates,
        "article_terms": ARTICLE_TERMS,
        "feedback_max_df": ranking.PARAMS.feedback_max_df,
        "names": {kind: list(columns.raw[kind]) for kind in ENTITY_KINDS},
        **_signature(),
    }
    # Renamed into place: a half-written header never passes for a sidecar.
    tmp = folder / f".{HEADER}.tmp"
    tmp.write_text(json.dumps(header, ensure_ascii=False), "utf-8")
    tmp.rename(folder / HEADER)


@dataclass
class SegmentPart:
    """What the sidecar needs of one segment: its postings in the sidecar's fields (word ids
    into ``vocabulary``, articles counted from the segment's first, weights as Whoosh stores
    them), the exact field lengths and the stored fields of each article."""

    vocabulary: list[bytes]
    postings: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    lengths: dict[str, list[int]]
    stored: list[Mapping[str, Any]]


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
        self._stored: list[Mapping[str, Any]] = []

    def add(self, stored: Mapping[str, Any], postings: Mapping[str, Iterable[Any]]) -> None:
        """One article as written: its stored fields (those of :data:`COLUMN_FIELDS` are
        used) and, for each field of the sidecar, the ``(bytes, freq, weight, value)``
        postings given to Whoosh."""
        docnum = len(self._stored)
        word_ids = self._word_ids
        for name in self._fields:
            wids, docs, weights = self._pending[name]
            length = 0
            count = 0
            for text, freq, weight, _ in postings.get(name, ()):
                wid = word_ids.get(text)
                if wid is None:
                    wid = word_ids[text] = len(word_ids)
                wids.append(wid)
                weights.append(weight)
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
        return SegmentPart(list(self._word_ids), postings, self._lengths, self._stored)


def _add_counts(totals: np.ndarray, ids: np.ndarray, size: int) -> np.ndarray:
    """``totals`` (grown to ``size``) plus how many times each id occurs in ``ids``."""
    counts = np.bincount(ids, minlength=size)
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
            arrays = (global_ids[wids], docs + np.int32(base), weights)
            for array in arrays:
                parts.append((array.dtype, len(array)))
                array.tofile(self._spill)
            keys.append(arrays[0].astype(np.int64) * size + docs)
            self._lengths[name].append(np.asarray(part.lengths[name], np.int64))
            # A field's postings hold each (word, article) once.
            self._field_df[name] = _add_counts(self._field_df[name], arrays[0], len(word_ids))
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

    def matrix(
        self, avgfl: Mapping[str, float]
    ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, Terms]:
        """The ``tf~`` matrix (words, indptr, docs, tf) of the collected postings, and the
        articles' terms (see :func:`heaviest_terms`)."""
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
            exact = self._lengths[name]
            values, inverse = np.unique(
                np.concatenate(exact) if exact else np.zeros(0, np.int64), return_inverse=True
            )
            rounded = [byte_to_length(length_to_byte(int(x))) if x else None for x in values]
            lengths = np.array(rounded, float)[inverse]
            norms[name] = 1 - params.b + params.b * lengths / avgfl[name]
        field_df = {name: df[order] for name, df in self._field_df.items()}
        candidates = candidate_rows(words, field_df, self._docnum)
        terms = Terms()
        self._spill.seek(0)
        for base, size, parts in self._segments:
            chunks = iter(parts)
            rows, cols, vals, weighted = [], [], [], []
            for name in self._fields:
                wids, docs, weights = (
                    np.fromfile(self._spill, dtype, count)
                    for dtype, count in itertools.islice(chunks, 3)
                )
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
        return words, indptr, docs_out, tf_out, terms

    def close(self) -> None:
        """Remove the temporary file."""
        self._spill.close()
        self._spill_path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Sidecar:
    """A loaded sidecar: the ``tf~`` matrix and the per-article columns (all read-only)."""

    docs_all: int
    exact_dates: bool
    words: np.ndarray
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    dates: np.ndarray
    id_rank: np.ndarray
    deleted: np.ndarray
    #: Per entity kind: (article, raw name id) pairs and the raw names.
    entities: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]
    #: Each article's heaviest feedback candidates: indptr, word rows and weighted counts
    #: (see :func:`heaviest_terms`), at most ``kept_terms`` of each, for feedback that leaves
    #: out words in over ``feedback_max_df`` of the articles.
    terms: tuple[np.ndarray, np.ndarray, np.ndarray]
    kept_terms: int
    feedback_max_df: float
    #: Rows of words looked up lately (a binary search of the words costs more than the rest
    #: of a lookup); cleared when full.
    _rows: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def article_terms(self, docnum: int) -> ranking.ArticleTerms:
        """What :func:`ranking.article_terms` gives of the article's stored fields, without
        reading them and without the words that can never be feedback terms: the first
        :data:`ARTICLE_TERMS` terms, and whether those are all."""
        indptr, rows, counts = self.terms
        lo, hi = int(indptr[docnum]), int(indptr[docnum + 1])
        words = self.words[rows[lo:hi]].tolist()
        return list(zip(words, counts[lo:hi].tolist(), strict=True)), hi - lo < self.kept_terms

    def _row(self, word: str) -> int:
        """The row of ``word``, or -1 if no article holds it."""
        if len(word) * 4 > self.words.itemsize:
            return -1  # longer than any word here (and searchsorted would widen them all to it)
        row = self._rows.get(word)
        if row is None:
            row = int(np.searchsorted(self.words, word))
            if row == len(self.words) or self.words[row] != word:
                row = -1
            if len(self._rows) >= 1 << 16:
                self._rows.clear()
            self._rows[word] = row
        return row

    def document_frequency(self, word: str) -> int:
        """How many articles hold ``word`` in title or body (deleted ones included, as in
        Whoosh's own counts)."""
        row = self._row(word)
        return 0 if row < 0 else int(self.indptr[row + 1] - self.indptr[row])

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The articles holding ``word`` in title or body, and its ``tf~`` in each."""
        row = self._row(word)
        if row < 0:
            return np.zeros(0, np.int32), np.zeros(0)
        lo, hi = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.docs[lo:hi], self.tf[lo:hi]


def _header(folder: Path) -> dict[str, Any] | None:
    try:
        header = json.loads((folder / HEADER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def is_current(folder: Path, generation: str) -> bool:
    """Whether generation folder ``folder`` has a sidecar of this version of searchlib (its
    format and ranking parameters): a build writes a new generation when not."""
    return _is_current(_header(folder), generation)


def _is_current(header: Mapping[str, Any] | None, generation: str) -> bool:
    return (
        header is not None
        and header.get("format") == FORMAT
        and header.get("generation") == generation
        and {k: header.get(k) for k in _signature()} == _signature()
    )


def load(folder: Path, generation: str, docs_all: int) -> Sidecar | None:
    """The sidecar of generation folder ``folder``, or ``None`` when it is missing, unreadable
    or written for another generation, article count or ranking."""
    header = _header(folder)
    if header is None or not _is_current(header, generation) or header.get("docs") != docs_all:
        return None
    try:

        def array(key: str) -> np.ndarray:
            # A plain array over the mapped file: np.memmap's Python-level indexing hooks cost
            # more than a search's arithmetic.
            mapped = np.load(folder / f"{PREFIX}{key}.npy", mmap_mode="r", allow_pickle=False)
            return np.asarray(mapped)

        entities = {
            kind: (array(f"{kind}_docs"), array(f"{kind}_names"), list(header["names"][kind]))
            for kind in ENTITY_KINDS
        }
        sidecar = Sidecar(
            docs_all=docs_all,
            exact_dates=bool(header["exact_dates"]),
            words=array("words"),
            indptr=array("indptr"),
            docs=array("docs"),
            tf=array("tf"),
            dates=array("dates"),
            id_rank=array("id_rank"),
            deleted=array("deleted"),
            entities=entities,
            terms=(array("terms_indptr"), array("terms_words"), array("terms_counts")),
            kept_terms=int(header["article_terms"]),
            feedback_max_df=float(header["feedback_max_df"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    columns = (sidecar.dates, sidecar.id_rank, sidecar.deleted)
    if (
        any(len(c) != docs_all for c in columns)
        or len(sidecar.indptr) != len(sidecar.words) + 1
        or len(sidecar.terms[0]) != docs_all + 1
    ):
        return None
    return sidecar


def word_scores(tf: np.ndarray, df: int, docs_all: int, boost: float) -> np.ndarray:
    """BM25F scores of one word group from its ``tf~`` column, with the operations (and so the
    rounding) of :meth:`ranking.FieldsTerm.scores`."""
    k1 = ranking.PARAMS.k1
    weight = boost * ranking.idf(docs_all, df)
    return weight * tf * (k1 + 1) / (tf + k1)
