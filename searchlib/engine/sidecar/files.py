"""Impacts: a BM25F sidecar beside each Whoosh generation, for fast exact bag-of-words search.

A build writes ``impacts-*`` files into every new generation folder: for each word of the title and
body vocabulary, the ``tf~`` of :mod:`searchlib.ranking` in every article that holds it (a
terms × articles CSR matrix of float64, from the same postings, field lengths and average
lengths that the scorer reads; each kept as a 2-byte code into a table of the distinct values,
see :class:`Weights`), and per-article columns for filters and facets (date, id order,
deletions, entity names). :func:`word_scores` turns a row into the BM25F scores with the same
floating-point operations as :meth:`ranking.FieldsTerm.scores`, so a query scored from the
sidecar gets the scores Whoosh gives.

Everything is plain ``.npy`` files (read memory-mapped, never pickled) and a JSON header that
names the generation, the article count and the ranking parameters: a sidecar that does not
match its index is never used (:func:`load` returns ``None`` and search falls back to Whoosh).

**Pruning.** Each word's highest ``tf~`` is kept too (``impacts-tf_max.npy``), from which
:mod:`.prune` bounds the feedback terms' scores and scores only the matches that can rank.

**Phrases.** For the title and body fields the sidecar also keeps each word's postings with
their frequencies and positions, and each article's length byte (:mod:`.positions`), from which
phrases and one-field words are matched and scored as Whoosh's matchers do. Whoosh keeps no
positions of these fields (indexes written before did, and are read as written): its own
matchers take their phrases from here too (see ``engine/whoosh/patches.py``).

**Segment parts** (:mod:`.parts`) keep what the sidecar needs of each Whoosh segment beside it,
so that an incremental build combines them instead of reading every segment back.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import index as whoosh_index

from ..whoosh import ranking
from . import positions as phrases
from .matrix import (
    ARTICLE_TERMS,
    ENTITY_KINDS,
    Columns,
    Matrix,
    read_columns,
    read_matrix,
    row_maxima,
)
from .parts import (
    COLUMN_FIELDS,
    KEPT_FIELDS,
    PART_FORMAT,
    PART_PREFIX,
    Collector,
    SegmentPart,
    SegmentPostings,
    load_part,
    read_part,
    save_part,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "COLUMN_FIELDS",
    "KEPT_FIELDS",
    "PART_FORMAT",
    "PART_PREFIX",
    "Collector",
    "SegmentPart",
    "SegmentPostings",
    "load_part",
    "read_part",
    "save_part",
]

#: The sidecar's files in a generation folder: ``impacts-NAME.npy`` and the header (written
#: last, so a sidecar without one is incomplete). Builds never hard-link them into the next
#: generation.
PREFIX = "impacts-"
HEADER = f"{PREFIX}header.json"
FORMAT = 4


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
        avgfl = _average_lengths(segments, n)
        _save(folder, generation, n, lambda: collected.matrix(avgfl), collected.columns, avgfl)
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
        avgfl = _average_lengths(segments, n)
        _save(folder, generation, n, lambda: combined.matrix(avgfl), combined.columns, avgfl)
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
        columns = read_columns(reader, n)
        _save(folder, generation, n, lambda: read_matrix(reader, n, avgfl), columns, avgfl)


def _average_lengths(segments: list[Any], n: int) -> dict[str, float]:
    """As Searcher.avg_field_length: the total length over all articles, from the table of
    contents."""
    return {
        name: sum(segment._fieldlengths.get(name, 0) for segment in segments) / (n or 1) or 1
        for name in ranking.FIELD_WEIGHTS
    }


def _save(
    folder: Path,
    generation: str,
    n: int,
    make_matrix: Callable[[], Matrix],
    columns: Columns,
    avgfl: Mapping[str, float],
) -> None:
    """Write the sidecar's files. Each array is saved as soon as it is made and let go: the
    matrix (``make_matrix()``) first, then each field's postings and positions (see
    :class:`.parts.Collector`), so that the largest are never all held at once."""
    for old in folder.glob(f"{PREFIX}*"):
        old.unlink()

    def put(key: str, array: np.ndarray) -> None:
        np.save(folder / f"{PREFIX}{key}.npy", array, allow_pickle=False)

    # (Unpacked from the call: no reference to the matrix outlives these names.)
    words, indptr, col, tf, terms, fields = make_matrix()
    # UTF-8 (sorted as the words are: UTF-8 keeps the order of code points), a quarter of
    # numpy's four bytes a character.
    put("words", np.array([w.encode("utf-8") for w in words]) if words else np.zeros(0, "S1"))
    put("indptr", indptr)
    put("docs", col.astype(np.int32, copy=False))
    tf = tf.astype(np.float64, copy=False)
    put("tf_max", row_maxima(indptr, tf))
    coded = table_codes(tf)
    if coded is None:
        put("tf", tf)
    else:
        put("tf", coded[1])
        put("tf_values", coded[0])
    del col, tf, coded
    terms_arrays = terms.arrays()
    for key, array in zip(
        ("terms_indptr", "terms_words", "terms_counts"), terms_arrays, strict=True
    ):
        put(key, array)
    del terms_arrays
    del terms
    for name, kept in fields:
        for key, array in kept.items():
            put(f"{name}_{key}", array)
        del kept
    # The columns last: making the matrix sizes them to the articles collected.
    ids = columns.ids
    id_rank = np.empty(n, np.int32)
    id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n, dtype=np.int32)
    put("dates", columns.dates)
    put("id_rank", id_rank)
    put("deleted", columns.deleted)
    for kind in ENTITY_KINDS:
        put(f"{kind}_docs", np.array(columns.pairs[kind][0], np.int32))
        put(f"{kind}_names", np.array(columns.pairs[kind][1], np.int32))
    header = {
        "format": FORMAT,
        "generation": generation,
        "docs": n,
        "exact_dates": columns.exact_dates,
        "article_terms": ARTICLE_TERMS,
        "feedback_max_df": ranking.PARAMS.feedback_max_df,
        "names": {kind: list(columns.raw[kind]) for kind in ENTITY_KINDS},
        # The per-field average lengths phrases are scored with (exact: JSON keeps every bit).
        "avgfl": {name: avgfl[name] for name in phrases.FIELDS},
        **_signature(),
    }
    # Renamed into place: a half-written header never passes for a sidecar.
    tmp = folder / f".{HEADER}.tmp"
    tmp.write_text(json.dumps(header, ensure_ascii=False), "utf-8")
    tmp.rename(folder / HEADER)


#: The most distinct ``tf~`` values kept as a table with a code for each posting (7,644 in
#: Reuters-21578 and in 1M articles of it): past it, each posting keeps its ``tf~`` whole.
TABLE_VALUES = 1 << 16
#: Postings coded at once (a chunk's sort and codes are the memory a build adds).
_CODE_CHUNK = 1 << 22


def table_codes(tf: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct values of ``tf`` (sorted) and each element's index among them (uint16),
    or ``None`` when there are more than :data:`TABLE_VALUES`.

    ``tf~`` is a function of two small frequencies and two length bytes, so a collection has
    few distinct values: a code of 2 bytes stands for the 8 of a float64, exactly."""
    values = np.zeros(0)
    for start in range(0, len(tf), _CODE_CHUNK):
        values = np.union1d(values, tf[start : start + _CODE_CHUNK])
        if len(values) > TABLE_VALUES:
            return None
    codes = np.empty(len(tf), np.uint16)
    for start in range(0, len(tf), _CODE_CHUNK):
        chunk = tf[start : start + _CODE_CHUNK]
        codes[start : start + len(chunk)] = np.searchsorted(values, chunk)
    return values, codes


@dataclass(frozen=True)
class Weights:
    """A word's ``tf~`` in each article that holds it: codes into the sidecar's table of its
    distinct values, or the values themselves (``table`` is ``None``)."""

    held: np.ndarray
    table: np.ndarray | None

    def __len__(self) -> int:
        return len(self.held)

    def __getitem__(self, index: Any) -> np.ndarray:
        """The ``tf~`` of the postings ``index`` (a slice, positions or a mask)."""
        picked = self.held[index]
        return picked if self.table is None else self.table[picked]

    def scores(self, df: int, docs_all: int, boost: float) -> np.ndarray:
        """:func:`word_scores` of every posting. With a table and more postings than a quarter
        of its values, each distinct value is scored once and the scores looked up: the same
        operations on the same values, so the same floats."""
        if self.table is None:
            return word_scores(self.held, df, docs_all, boost)
        if len(self.held) * 4 < len(self.table):
            return word_scores(self.table[self.held], df, docs_all, boost)
        return word_scores(self.table, df, docs_all, boost)[self.held]


@dataclass(frozen=True)
class Sidecar:
    """A loaded sidecar: the ``tf~`` matrix and the per-article columns (all read-only)."""

    docs_all: int
    exact_dates: bool
    #: The words in order, UTF-8 encoded.
    words: np.ndarray
    indptr: np.ndarray
    docs: np.ndarray
    #: Each posting's ``tf~`` (see :class:`Weights`).
    tf: np.ndarray
    tf_table: np.ndarray | None
    #: Each row's highest ``tf~``, for pruning (see :mod:`.prune`).
    tf_max: np.ndarray
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
    #: The title's and body's postings with positions, for phrases (see :mod:`.positions`).
    fields: dict[str, phrases.Field]
    #: Rows of words looked up lately (a binary search of the words costs more than the rest
    #: of a lookup); cleared when full.
    _rows: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def article_terms(self, docnum: int) -> ranking.ArticleTerms:
        """What :func:`ranking.article_terms` gives of the article's stored fields, without
        reading them and without the words that can never be feedback terms: the first
        :data:`ARTICLE_TERMS` terms, and whether those are all."""
        indptr, rows, counts = self.terms
        lo, hi = int(indptr[docnum]), int(indptr[docnum + 1])
        words = [word.decode("utf-8") for word in self.words[rows[lo:hi]].tolist()]
        return list(zip(words, counts[lo:hi].tolist(), strict=True)), hi - lo < self.kept_terms

    def row(self, word: str) -> int:
        """The row of ``word``, or -1 if no article holds it."""
        text = word.encode("utf-8")
        if len(text) > self.words.itemsize:
            return -1  # longer than any word here (and searchsorted would widen them all to it)
        row = self._rows.get(word)
        if row is None:
            row = int(np.searchsorted(self.words, text))
            if row == len(self.words) or self.words[row] != text:
                row = -1
            if len(self._rows) >= 1 << 16:
                self._rows.clear()
            self._rows[word] = row
        return row

    def document_frequency(self, word: str) -> int:
        """How many articles hold ``word`` in title or body (deleted ones included, as in
        Whoosh's own counts)."""
        row = self.row(word)
        return 0 if row < 0 else int(self.indptr[row + 1] - self.indptr[row])

    def highest(self, word: str) -> float:
        """The highest ``tf~`` of ``word`` in any article (0 if none holds it)."""
        row = self.row(word)
        return 0.0 if row < 0 else float(self.tf_max[row])

    def postings(self, word: str) -> tuple[np.ndarray, Weights]:
        """The articles holding ``word`` in title or body, and its ``tf~`` in each."""
        row = self.row(word)
        if row < 0:
            return np.zeros(0, np.int32), Weights(np.zeros(0), None)
        lo, hi = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.docs[lo:hi], Weights(self.tf[lo:hi], self.tf_table)


def read_header(path: Path) -> dict[str, Any] | None:
    """The JSON object of a header file (the sidecar's, the spelling index's), or ``None`` when
    it is missing or unreadable."""
    try:
        header = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def _header(folder: Path) -> dict[str, Any] | None:
    return read_header(folder / HEADER)


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

        def field_array(name: str, key: str) -> np.ndarray:
            return array(f"{name}_{key}")

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
            tf=(tf := array("tf")),
            tf_table=array("tf_values") if tf.dtype == np.uint16 else None,
            tf_max=array("tf_max"),
            dates=array("dates"),
            id_rank=array("id_rank"),
            deleted=array("deleted"),
            entities=entities,
            terms=(array("terms_indptr"), array("terms_words"), array("terms_counts")),
            kept_terms=int(header["article_terms"]),
            feedback_max_df=float(header["feedback_max_df"]),
            fields={
                name: phrases.load_field(
                    functools.partial(field_array, name), float(header["avgfl"][name])
                )
                for name in phrases.FIELDS
            },
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    columns = (sidecar.dates, sidecar.id_rank, sidecar.deleted)
    if (
        any(len(c) != docs_all for c in columns)
        or sidecar.words.dtype.kind != "S"
        or len(sidecar.indptr) != len(sidecar.words) + 1
        or len(sidecar.tf) != len(sidecar.docs)
        or sidecar.tf.dtype not in (np.uint16, np.float64)
        or (sidecar.tf_table is not None and sidecar.tf_table.dtype != np.float64)
        or len(sidecar.tf_max) != len(sidecar.words)
        or len(sidecar.terms[0]) != docs_all + 1
        or not all(f.valid(len(sidecar.words), docs_all) for f in sidecar.fields.values())
    ):
        return None
    return sidecar


def word_scores(tf: np.ndarray, df: int, docs_all: int, boost: float) -> np.ndarray:
    """BM25F scores of one word group from its ``tf~`` column, with the operations (and so the
    rounding) of :meth:`ranking.FieldsTerm.scores`."""
    k1 = ranking.PARAMS.k1
    weight = boost * ranking.idf(docs_all, df)
    return weight * tf * (k1 + 1) / (tf + k1)
