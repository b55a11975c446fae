"""Phrases from positions: word positions kept with the sidecar, phrases matched from them.

Per-field postings and word positions are kept with the sidecar, and phrases and one-field
words are matched and scored from them exactly as Whoosh does.

For each field of :data:`FIELDS` the sidecar keeps, by word row (the rows of the sidecar's
words), the articles holding the word there, its frequency in each (Whoosh's stored weight)
and its positions, posting after posting; and each article's field length as Whoosh's length
byte. That is all Whoosh's phrase matcher reads:

* ``Phrase(field, words, slop)`` (Whoosh's ``SpanNear2``, ordered, ``mindist=1``) matches an
  article where each word follows a match of the words before it 1 to ``slop`` positions
  after that match's last word;
* its score is the sum of its words' per-field BM25 scores (:class:`ranking.BM25`'s
  ``_FieldScorer``) added along Whoosh's ``make_binary_tree`` of intersection matchers, times
  the phrase's boost; a ``Term`` in one field is the phrase of one word.

Positions are checked article by article with sorted 64-bit keys (article << 32 | position)
and binary searches, never a Python step per posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length, length_to_byte

from ..facets import distinct
from ..whoosh import ranking
from ..whoosh.analysis import stored_positions

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

#: The fields whose postings and positions the sidecar keeps: those scored by BM25F.
FIELDS = tuple(ranking.FIELD_WEIGHTS)
#: The arrays kept of each field (files ``impacts-FIELD_KEY.npy``).
KEYS = ("indptr", "docs", "freqs", "pos_indptr", "positions", "lengths")
#: Whoosh's field length of each length byte.
_LENGTH_OF_BYTE = np.array([byte_to_length(code) for code in range(256)], np.float64)
_decode_positions = Positions().decode_positions


def decode(value: bytes) -> list[int]:
    """The positions in a posting's value as Whoosh's positions format writes it."""
    return _decode_positions(value)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's length byte of each exact field length (0 for none)."""
    values, inverse = np.unique(np.asarray(lengths, np.int64), return_inverse=True)
    codes = np.array([length_to_byte(int(x)) for x in values], np.uint8)
    return codes[inverse.reshape(-1)] if len(values) else np.zeros(0, np.uint8)


def _smallest(top: int) -> np.dtype:
    """The smallest unsigned integer type holding every value up to ``top`` (the data's
    highest, so a full build and a read back choose the same)."""
    return np.dtype(next(t for t in (np.uint8, np.uint16, np.uint32) if top <= np.iinfo(t).max))


class FieldArrays:
    """One field's postings and positions in word-row order, filled by groups of articles
    given in article order (each a segment, or the whole index read back).

    Frequencies and positions are held in the type they are saved in, chosen from the field's
    highest of each (``top_freq``, ``top_position``): at 1M articles a build holds a field's
    arrays in full, and 32-bit ones with their narrower copies cost it gigabytes."""

    def __init__(
        self,
        counts: np.ndarray,
        position_counts: np.ndarray,
        lengths: np.ndarray,
        top_freq: int,
        top_position: int,
    ) -> None:
        self.indptr = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.pos_indptr = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(position_counts, out=self.pos_indptr[1:])
        self.docs = np.empty(int(self.indptr[-1]), np.int32)
        self.freqs = np.empty(int(self.indptr[-1]), _smallest(top_freq))
        self.positions = np.empty(int(self.pos_indptr[-1]), _smallest(top_position))
        self._filled = self.indptr[:-1].copy()
        self._pos_filled = self.pos_indptr[:-1].copy()
        self.lengths = length_bytes(lengths)

    def add(
        self, rows: np.ndarray, docs: np.ndarray, freqs: np.ndarray, positions: np.ndarray
    ) -> None:
        """Postings of articles after all those added before: word rows, articles,
        frequencies and the positions of each posting in turn."""
        freqs = freqs.astype(np.int64)
        starts = np.zeros(len(freqs) + 1, np.int64)
        np.cumsum(freqs, out=starts[1:])
        order = np.lexsort((docs, rows))
        rows, docs, freqs, starts = rows[order], docs[order], freqs[order], starts[:-1][order]
        positions = positions[_ragged(starts, freqs)]
        # Each row's run goes after what the groups before put there.
        first = np.ones(len(rows), bool)
        first[1:] = rows[1:] != rows[:-1]
        heads = np.flatnonzero(first)
        runs = np.diff(np.append(heads, len(rows)))
        within = np.arange(len(rows)) - np.repeat(heads, runs)
        where = self._filled[rows] + within
        self.docs[where], self.freqs[where] = docs, freqs
        # Positions within a run, counted from the run's first posting.
        before = np.zeros(len(freqs) + 1, np.int64)
        np.cumsum(freqs, out=before[1:])
        run_start = np.repeat(before[heads], runs)
        pos_where = self._pos_filled[rows] + before[:-1] - run_start
        self.positions[_ragged(pos_where, freqs)] = positions
        self._filled[rows[heads]] += runs
        self._pos_filled[rows[heads]] += np.add.reduceat(freqs, heads) if len(heads) else 0

    def arrays(self) -> dict[str, np.ndarray]:
        """The field's arrays, as :func:`load_field` reads them."""
        if not (
            np.array_equal(self._filled, self.indptr[1:])
            and np.array_equal(self._pos_filled, self.pos_indptr[1:])
        ):
            raise RuntimeError("positions: collected postings do not add up")  # pragma: no cover
        return {
            "indptr": self.indptr,
            "docs": self.docs,
            "freqs": self.freqs,
            "pos_indptr": self.pos_indptr,
            "positions": self.positions,
            "lengths": self.lengths,
        }


def _ragged(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The indices ``starts[i] … starts[i] + sizes[i] - 1`` of every ``i`` in turn."""
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(sizes)
    offsets = np.repeat(starts - (ends - sizes), sizes)
    return np.arange(total, dtype=np.int64) + offsets


def read_field(
    reader: Any, name: str, row_of: Mapping[str, int], words: int, n: int
) -> dict[str, np.ndarray]:
    """A field's arrays read back from the postings of every segment of ``reader``."""
    rows, docs, freqs, positions = [], [], [], []
    positions_of = stored_positions(reader, name)
    for text in reader.lexicon(name):
        word = text.decode("utf-8") if isinstance(text, bytes) else text
        for docnum, found in positions_of(text):
            rows.append(row_of[word])
            docs.append(docnum)
            freqs.append(len(found))
            positions.extend(found)
    row = np.array(rows, np.int64)
    freq = np.array(freqs, np.int64)
    lengths = np.array([reader.doc_field_length(d, name, 0) or 0 for d in range(n)], np.int64)
    places = np.array(positions, np.int64)
    arrays = FieldArrays(
        np.bincount(row, minlength=words),
        np.bincount(row, freq, minlength=words),
        lengths,
        int(freq.max()) if len(freq) else 0,
        int(places.max()) if len(places) else 0,
    )
    arrays.add(row, np.array(docs, np.int32), freq, places)
    return arrays.arrays()


@dataclass(frozen=True)
class Field:
    """One field's postings and positions, loaded (see :class:`FieldArrays`)."""

    indptr: np.ndarray
    docs: np.ndarray
    freqs: np.ndarray
    pos_indptr: np.ndarray
    positions: np.ndarray
    lengths: np.ndarray
    avgfl: float

    def valid(self, words: int, docs_all: int) -> bool:
        """Whether the arrays fit together and fit the sidecar's words and articles."""
        return (
            len(self.indptr) == len(self.pos_indptr) == words + 1
            and len(self.lengths) == docs_all
            and int(self.indptr[-1]) == len(self.docs) == len(self.freqs)
            and int(self.pos_indptr[-1]) == len(self.positions)
            and self.lengths.dtype == np.uint8
            and all(a.dtype.kind == "u" for a in (self.freqs, self.positions))
        )


def load_field(array: Callable[[str], np.ndarray], avgfl: float) -> Field:
    """A field's arrays, ``array(key)`` giving each of :data:`KEYS`."""
    indptr, docs, freqs, pos_indptr, positions, lengths = (array(key) for key in KEYS)
    return Field(indptr, docs, freqs, pos_indptr, positions, lengths, avgfl)


class PhraseScorer:
    """Phrases and one-field words of the sidecar's fields, matched and scored from their
    positions (see the module docstring)."""

    def __init__(
        self, fields: Mapping[str, Field], row: Callable[[str], int], docs_all: int
    ) -> None:
        self.fields = fields
        self.row = row
        self.docs_all = docs_all

    def scores(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docnums, scores)`` of the articles matching a ``Phrase`` or ``Term`` in a kept
        field (in docnum order), or ``None`` for any other query."""
        if type(query) is wq.Phrase:
            words, slop = list(query.words), int(query.slop)
            if not words or slop < 1 or not all(isinstance(w, str) for w in words):
                return None
        elif type(query) is wq.Term and isinstance(query.text, str):
            words, slop = [query.text], 1
        else:
            return None
        field = self.fields.get(query.fieldname)
        if field is None:
            return None
        postings = [self._postings(field, word) for word in words]
        empty = np.zeros(0, np.int32), np.zeros(0)
        if any(p is None for p in postings):
            return empty  # (a word no article holds there: Whoosh's NullMatcher)
        found = [p for p in postings if p is not None]
        docnums = _common([docs for docs, _, _ in found])
        if len(words) > 1 and len(docnums):
            docnums = self._chained(field, found, docnums, slop)
        if not len(docnums):
            return empty
        parts = [self._word_scores(field, p, docnums) for p in found]
        scores = _tree_sum(parts)
        if query.boost != 1.0:  # (Whoosh's WrappingMatcher multiplies)
            scores = scores * query.boost
        return docnums, scores

    def _postings(self, field: Field, word: str) -> tuple[np.ndarray, int, int] | None:
        """The articles holding ``word`` in ``field`` and its row's bounds there."""
        row = self.row(word)
        if row < 0:
            return None
        lo, hi = int(field.indptr[row]), int(field.indptr[row + 1])
        if lo == hi:
            return None
        return field.docs[lo:hi], lo, row

    def _chained(
        self,
        field: Field,
        found: list[tuple[np.ndarray, int, int]],
        docnums: np.ndarray,
        slop: int,
    ) -> np.ndarray:
        """Those of ``docnums`` (holding every word) where the words follow each other."""
        ends: np.ndarray | None = None
        for docs, lo, row in found:
            keys = self._keys(field, docs, lo, row, docnums)
            if ends is None:
                ends = keys
                continue
            if slop == 1:
                at = np.searchsorted(ends, keys - 1)
                ok = ends[np.minimum(at, len(ends) - 1)] == keys - 1
            else:
                # The closest match before each position decides: Whoosh's spans reach a word
                # 1 to slop positions after their last one.
                at = np.searchsorted(ends, keys) - 1
                before = ends[np.maximum(at, 0)]
                gap = keys - before
                ok = (at >= 0) & (gap >= 1) & (gap <= slop) & ((before >> 32) == (keys >> 32))
            ends = keys[ok]
            if not len(ends):
                return np.zeros(0, np.int32)
        assert ends is not None
        return distinct((ends >> 32).astype(np.int32))

    @staticmethod
    def _keys(field: Field, docs: np.ndarray, lo: int, row: int, docnums: np.ndarray) -> np.ndarray:
        """Sorted ``article << 32 | position`` of a word's positions in the articles
        ``docnums``."""
        freqs = field.freqs[lo : lo + len(docs)].astype(np.int64)
        starts = np.zeros(len(freqs) + 1, np.int64)
        np.cumsum(freqs, out=starts[1:])
        if len(docnums) < len(docs):
            at = np.minimum(np.searchsorted(docs, docnums), len(docs) - 1)
            keep = at[docs[at] == docnums]  # (every one is there: docnums hold every word)
        else:
            keep = np.arange(len(docs))
        base = int(field.pos_indptr[row])
        positions = field.positions[_ragged(base + starts[keep], freqs[keep])]
        owners = np.repeat(docs[keep].astype(np.int64), freqs[keep])
        return (owners << 32) | positions.astype(np.int64)

    def _word_scores(
        self, field: Field, posting: tuple[np.ndarray, int, int], docnums: np.ndarray
    ) -> np.ndarray:
        """The word's BM25 scores in ``field`` for the articles ``docnums`` (which hold it),
        with the operations of ``ranking._FieldScorer``."""
        docs, lo, _ = posting
        at = np.searchsorted(docs, docnums)
        weight = field.freqs[lo + at].astype(np.float64)
        length = _LENGTH_OF_BYTE[field.lengths[docnums]]
        params = ranking.PARAMS
        idf = ranking.idf(self.docs_all, len(docs))
        k1, b = params.k1, params.b
        norm = 1 - b + b * length / field.avgfl
        return idf * weight * (k1 + 1) / (weight + k1 * norm)


def _common(lists: Iterable[np.ndarray]) -> np.ndarray:
    """The articles in every one of the sorted lists, rarest first."""
    ordered = sorted(lists, key=len)
    common = ordered[0]
    for docs in ordered[1:]:
        if not len(common):
            break
        at = np.minimum(np.searchsorted(docs, common), len(docs) - 1)
        common = common[docs[at] == common]
    return common


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """``parts`` added as Whoosh's ``make_binary_tree`` nests its matchers: halves first."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])
