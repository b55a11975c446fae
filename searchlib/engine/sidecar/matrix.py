"""The sidecar's arrays from postings: the tf~ matrix, feedback terms, per-article columns."""

from __future__ import annotations

import re
from array import array as typed_array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ...fields import ENTITY_FIELDS
from ..documents import split_names
from ..whoosh import ranking
from . import positions as phrases

if TYPE_CHECKING:
    from collections.abc import Mapping

#: How many of each article's heaviest feedback candidates the sidecar keeps (see
#: :func:`heaviest_terms`): feedback takes 20 of them (see :func:`ranking.with_feedback`).
ARTICLE_TERMS = 24
ENTITY_KINDS = ENTITY_FIELDS
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Columns:
    """The per-article columns of the sidecar, in docnum order."""

    ids: list[str]
    dates: np.ndarray
    deleted: np.ndarray
    exact_dates: bool = True
    raw: dict[str, dict[str, int]] = field(default_factory=lambda: {k: {} for k in ENTITY_KINDS})
    # Machine integers (4 bytes a number), not lists of Python ints (36): a build holds them
    # for every entity name of every article until the sidecar is written.
    pairs: dict[str, tuple[typed_array[int], typed_array[int]]] = field(
        default_factory=lambda: {k: (typed_array("i"), typed_array("i")) for k in ENTITY_KINDS}
    )

    def add(self, docnum: int, stored: Mapping[str, Any]) -> None:
        """Record the stored fields of live article ``docnum``."""
        self.deleted[docnum] = False
        self.ids[docnum] = stored["id"]
        date = stored.get("date")
        if date is not None:
            if _ISO_DATE.fullmatch(date):
                self.dates[docnum] = int(date.replace("-", ""))
            else:
                self.exact_dates = False
        for kind in ENTITY_KINDS:
            raw, (docs, names) = self.raw[kind], self.pairs[kind]
            for name in split_names(stored.get(kind, "")):
                docs.append(docnum)
                names.append(raw.setdefault(name, len(raw)))

    def entities(self) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
        """Per entity kind: the (article, raw name id) pairs and the raw names, as the sidecar
        keeps them."""
        return {
            kind: (
                np.array(self.pairs[kind][0], np.int32),
                np.array(self.pairs[kind][1], np.int32),
                list(self.raw[kind]),
            )
            for kind in ENTITY_KINDS
        }

    def resize(self, n: int) -> None:
        """Hold ``n`` articles (those added now marked deleted until :meth:`add`)."""
        extra = n - len(self.ids)
        self.ids.extend([""] * extra)
        if extra > 0 and n > len(self.dates):  # amortised: grow by doubling
            capacity = max(n, 2 * len(self.dates))
            self.dates = np.concatenate(
                [self.dates, np.zeros(capacity - len(self.dates), np.int32)]
            )
            self.deleted = np.concatenate(
                [self.deleted, np.ones(capacity - len(self.deleted), bool)]
            )
        elif n < len(self.dates):
            del self.ids[n:]
            self.dates, self.deleted = self.dates[:n].copy(), self.deleted[:n].copy()


def term_postings(reader: Any, name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The articles holding ``text`` in field ``name`` and its weight in each, in one pass over
    its postings."""
    found = ranking.weights_of(reader.postings(name, text))
    pairs = np.array(list(found), float).reshape(-1, 2)
    return pairs[:, 0].astype(np.int64), pairs[:, 1]


def read_matrix(reader: Any, n: int, avgfl: Mapping[str, float]) -> Matrix:
    """The ``tf~`` matrix, the articles' terms (see :func:`heaviest_terms`) and the fields'
    postings with positions read back from the postings of every segment (any index)."""
    params = ranking.PARAMS
    fields = list(ranking.FIELD_WEIGHTS)
    words = sorted(
        {
            text.decode("utf-8") if isinstance(text, bytes) else text
            for name in fields
            for text in reader.lexicon(name)
        }
    )
    row_of = {word: i for i, word in enumerate(words)}
    rows, cols, vals, counts = [], [], [], []
    for name in fields:
        # The lengths the scorer divides by: Whoosh's byte-rounded ones, as it reads them.
        lengths = np.array([reader.doc_field_length(d, name, 1) for d in range(n)], float)
        norm = 1 - params.b + params.b * lengths / avgfl[name]
        boost = ranking.FIELD_WEIGHTS[name]
        for text in reader.lexicon(name):
            docs, weights = term_postings(reader, name, text)
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            rows.append(np.full(len(docs), row_of[word], np.int64))
            cols.append(docs)
            vals.append(boost * weights / norm[docs])
            counts.append(boost * weights)
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    val = np.concatenate(vals) if vals else np.zeros(0)
    field_df = {
        name: np.array([reader.doc_frequency(name, word) for word in words], np.int64)
        for name in fields
    }
    candidates = candidate_rows(words, field_df, n)
    weighted = np.concatenate(counts) if counts else val
    terms = heaviest_terms(row, col, weighted, 0, n, candidates)
    row, col, tf = sum_shares(row, col, val)
    indptr = np.searchsorted(row, np.arange(len(words) + 1)).astype(np.int64)
    kept = ((name, phrases.read_field(reader, name, row_of, len(words), n)) for name in fields)
    return words, indptr, col, tf, terms, kept


@dataclass
class Terms:
    """Each article's :data:`ARTICLE_TERMS` heaviest feedback candidates (row numbers into the
    sidecar's words) with their weighted counts, article after article: ``sizes`` says how many
    each has."""

    sizes: list[np.ndarray] = field(default_factory=list)
    words: list[np.ndarray] = field(default_factory=list)
    counts: list[np.ndarray] = field(default_factory=list)

    def extend(self, other: Terms) -> None:
        """Append the terms of the articles after these."""
        self.sizes += other.sizes
        self.words += other.words
        self.counts += other.counts

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, words, counts)``: article ``d``'s terms are ``indptr[d]:indptr[d+1]``."""
        sizes = np.concatenate(self.sizes) if self.sizes else np.zeros(0, np.int64)
        indptr = np.zeros(len(sizes) + 1, np.int64)
        np.cumsum(sizes, out=indptr[1:])
        words = np.concatenate(self.words) if self.words else np.zeros(0, np.int32)
        counts = np.concatenate(self.counts) if self.counts else np.zeros(0, np.float32)
        return indptr, words, counts


#: What the sidecar's matrix is made of: its words (sorted), the ``tf~`` matrix by word row
#: (indptr, articles, tf~), the articles' feedback terms, and each field of
#: :data:`positions.FIELDS` with its arrays (see :class:`positions.FieldArrays`), made as
#: they are iterated.
Matrix = tuple[
    list[str],
    np.ndarray,
    np.ndarray,
    np.ndarray,
    Terms,
    Iterable[tuple[str, dict[str, np.ndarray]]],
]


def candidate_rows(words: list[str], field_df: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Which words may be feedback terms in an index of ``n`` articles (deleted ones
    included, as Whoosh counts): plain words (:func:`ranking.plain_word`) in no more than
    :attr:`ranking.Params.feedback_max_df` of the articles in each field, by their document
    frequency ``field_df`` there. A word left out can never be one; feedback checks the others
    against the searcher's own counts."""
    most = ranking.PARAMS.feedback_max_df * n
    candidates = np.array([ranking.plain_word(word) for word in words], bool)
    for df in field_df.values():
        candidates &= df <= most
    return candidates


def heaviest_terms(
    row: np.ndarray,
    col: np.ndarray,
    count: np.ndarray,
    base: int,
    size: int,
    candidates: np.ndarray,
) -> Terms:
    """The feedback candidates (``candidates``: a mask over word rows) of articles ``base``…
    ``base + size - 1`` in the order of :func:`ranking.article_terms` (by weighted count, then
    alphabetically: rows are in alphabetical order), the first :data:`ARTICLE_TERMS` of each,
    from their postings in every field: word rows, article numbers and field weight ×
    frequency."""
    keep = candidates[row] if len(row) else np.zeros(0, bool)
    row, col, count = row[keep], col[keep].astype(np.int64), count[keep].astype(np.float64)
    row, col, count = sum_shares(row, col, count)  # one share per (word, article)
    order = np.lexsort((row, -count, col))
    row, col, count = row[order], col[order], count[order]
    starts = np.searchsorted(col, np.arange(base, base + size))
    within = np.arange(len(col)) - starts[col - base]
    first = within < ARTICLE_TERMS
    sizes = np.minimum(np.diff(np.append(starts, len(col))), ARTICLE_TERMS)
    return Terms([sizes], [row[first].astype(np.int32)], [count[first].astype(np.float32)])


def sum_shares(
    row: np.ndarray, col: np.ndarray, val: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort the shares by (word, article) and add those of one word in one article.

    A word in both fields gets its two shares added, which is exact whatever the order (IEEE
    addition of two numbers commutes)."""
    order = np.lexsort((col, row))
    row, col, val = row[order], col[order], val[order]
    first = np.ones(len(row), bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    starts = np.flatnonzero(first)
    tf = np.add.reduceat(val, starts) if len(val) else val
    return row[starts], col[starts], tf


def row_maxima(indptr: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """Each row's highest ``tf~`` (0 for a row without postings): what pruning bounds a word's
    scores with (see :mod:`.prune`)."""
    highest = np.zeros(len(indptr) - 1)
    full = np.flatnonzero(np.diff(indptr) > 0)
    if len(full):
        # (Rows without postings between two others add nothing to the one before them.)
        highest[full] = np.maximum.reduceat(tf, indptr[full])
    return highest


def read_columns(reader: Any, n: int) -> Columns:
    """The per-article columns of every live article, from the stored fields of ``reader``."""
    columns = Columns([""] * n, np.zeros(n, np.int32), np.ones(n, bool))
    for docnum, stored in reader.iter_docs():  # live articles only
        columns.add(docnum, stored)
    return columns
