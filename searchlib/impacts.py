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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index

from . import ranking

#: The sidecar's files in a generation folder: ``impacts-NAME.npy`` and the header (written
#: last, so a sidecar without one is incomplete). Builds never hard-link them into the next
#: generation.
PREFIX = "impacts-"
HEADER = f"{PREFIX}header.json"
FORMAT = 1
ENTITY_KINDS = ("person", "org", "place")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _signature() -> dict[str, Any]:
    # tf~ depends on b and the field weights; a sidecar written with others is stale.
    return {"b": ranking.PARAMS.b, "fields": dict(ranking.FIELD_WEIGHTS)}


def write(folder: Path, generation: str) -> None:
    """Build the sidecar of the Whoosh index in ``folder`` (generation ``generation``)."""
    params = ranking.PARAMS
    store = whoosh_index.open_dir(str(folder))
    with store.searcher() as searcher:
        reader = searcher.reader()
        n = reader.doc_count_all()
        fields = list(ranking.FIELD_WEIGHTS)
        words = sorted(
            {
                text.decode("utf-8") if isinstance(text, bytes) else text
                for name in fields
                for text in reader.lexicon(name)
            }
        )
        row_of = {word: i for i, word in enumerate(words)}
        rows, cols, vals = [], [], []
        for name in fields:
            avgfl = searcher.avg_field_length(name) or 1
            # The lengths the scorer divides by: Whoosh's byte-rounded ones, as it reads them.
            lengths = np.array([reader.doc_field_length(d, name, 1) for d in range(n)], float)
            norm = 1 - params.b + params.b * lengths / avgfl
            boost = ranking.FIELD_WEIGHTS[name]
            for text in reader.lexicon(name):
                postings = reader.postings(name, text)
                docs = np.fromiter(postings.all_ids(), np.int64)
                postings = reader.postings(name, text)
                weights = np.fromiter((w for _, w in postings.items_as("weight")), float)
                word = text.decode("utf-8") if isinstance(text, bytes) else text
                rows.append(np.full(len(docs), row_of[word], np.int64))
                cols.append(docs)
                vals.append(boost * weights / norm[docs])
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        val = np.concatenate(vals) if vals else np.zeros(0)
        # Sorted by (word, article): a word in both fields gets its two shares added, which is
        # exact whatever the order (IEEE addition of two numbers commutes).
        order = np.lexsort((col, row))
        row, col, val = row[order], col[order], val[order]
        first = np.ones(len(row), bool)
        first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        starts = np.flatnonzero(first)
        tf = np.add.reduceat(val, starts) if len(val) else val
        row, col = row[starts], col[starts]
        indptr = np.searchsorted(row, np.arange(len(words) + 1)).astype(np.int64)

        dates = np.zeros(n, np.int32)
        ids = [""] * n
        deleted = np.ones(n, bool)
        exact_dates = True
        raw: dict[str, dict[str, int]] = {kind: {} for kind in ENTITY_KINDS}
        pairs: dict[str, tuple[list[int], list[int]]] = {k: ([], []) for k in ENTITY_KINDS}
        for docnum, stored in reader.iter_docs():  # live articles only
            deleted[docnum] = False
            ids[docnum] = stored["id"]
            date = stored.get("date")
            if date is not None:
                if _ISO_DATE.fullmatch(date):
                    dates[docnum] = int(date.replace("-", ""))
                else:
                    exact_dates = False
            for kind in ENTITY_KINDS:
                # As search._stored_entities reads them: comma-separated, stripped.
                for name in (v.strip() for v in stored.get(kind, "").split(",")):
                    if name:
                        pairs[kind][0].append(docnum)
                        pairs[kind][1].append(raw[kind].setdefault(name, len(raw[kind])))
    id_rank = np.empty(n, np.int32)
    id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n, dtype=np.int32)

    for old in folder.glob(f"{PREFIX}*"):
        old.unlink()
    arrays = {
        "words": np.array(words, dtype=str) if words else np.zeros(0, "U1"),
        "indptr": indptr,
        "docs": col.astype(np.int32),
        "tf": tf.astype(np.float64),
        "dates": dates,
        "id_rank": id_rank,
        "deleted": deleted,
    }
    for kind in ENTITY_KINDS:
        arrays[f"{kind}_docs"] = np.array(pairs[kind][0], np.int32)
        arrays[f"{kind}_names"] = np.array(pairs[kind][1], np.int32)
    for key, array in arrays.items():
        np.save(folder / f"{PREFIX}{key}.npy", array, allow_pickle=False)
    header = {
        "format": FORMAT,
        "generation": generation,
        "docs": n,
        "exact_dates": exact_dates,
        "names": {kind: list(raw[kind]) for kind in ENTITY_KINDS},
        **_signature(),
    }
    # Renamed into place: a half-written header never passes for a sidecar.
    tmp = folder / f".{HEADER}.tmp"
    tmp.write_text(json.dumps(header, ensure_ascii=False), "utf-8")
    tmp.rename(folder / HEADER)


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

    def document_frequency(self, word: str) -> int:
        """How many articles hold ``word`` in title or body (deleted ones included, as in
        Whoosh's own counts)."""
        row = int(np.searchsorted(self.words, word))
        if row == len(self.words) or self.words[row] != word:
            return 0
        return int(self.indptr[row + 1] - self.indptr[row])

    def postings(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """The articles holding ``word`` in title or body, and its ``tf~`` in each."""
        row = int(np.searchsorted(self.words, word))
        if row == len(self.words) or self.words[row] != word:
            return np.zeros(0, np.int32), np.zeros(0)
        lo, hi = int(self.indptr[row]), int(self.indptr[row + 1])
        return self.docs[lo:hi], self.tf[lo:hi]


def load(folder: Path, generation: str, docs_all: int) -> Sidecar | None:
    """The sidecar of generation folder ``folder``, or ``None`` when it is missing, unreadable
    or written for another generation, article count or ranking."""
    try:
        header = json.loads((folder / HEADER).read_text("utf-8"))
        if (
            header.get("format") != FORMAT
            or header.get("generation") != generation
            or header.get("docs") != docs_all
            or {k: header.get(k) for k in _signature()} != _signature()
        ):
            return None

        def array(key: str) -> np.ndarray:
            return np.load(folder / f"{PREFIX}{key}.npy", mmap_mode="r", allow_pickle=False)

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
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    columns = (sidecar.dates, sidecar.id_rank, sidecar.deleted)
    if any(len(c) != docs_all for c in columns) or len(sidecar.indptr) != len(sidecar.words) + 1:
        return None
    return sidecar


def word_scores(tf: np.ndarray, df: int, docs_all: int, boost: float) -> np.ndarray:
    """BM25F scores of one word group from its ``tf~`` column, with the operations (and so the
    rounding) of :meth:`ranking.FieldsTerm.scores`."""
    k1 = ranking.PARAMS.k1
    weight = boost * ranking.idf(docs_all, df)
    return weight * tf * (k1 + 1) / (tf + k1)
