"""Pruned feedback gives exactly the exhaustive results: the same top ids with the same float64
scores (bit for bit), totals, facets and dates as the sidecar scoring every match and as Whoosh;
a bound that is too low is caught."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import numpy as np
import pytest

import searchlib
from searchlib import Index
from searchlib.engine.sidecar import matrix, prune
from searchlib.engine.sidecar.scorer import _Accelerator

_WHOOSH: dict[str, Index] = {}


class Counted:
    """Counts the searches pruning answered, and those that scored the feedback terms in
    fewer than all their matches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answered = self.offered = self.fewer = 0
        self._sizes: list[int] = []
        best, added = prune.best, prune.added

        def counted_best(docnums: np.ndarray, scores: np.ndarray, *args: Any) -> Any:
            self._sizes = []
            found = best(docnums, scores, *args)
            self.offered += 1
            if found is not None and len(docnums) > args[1]:  # (more matches than wanted)
                self.answered += 1
                self.fewer += self._sizes[-1] < len(docnums)  # (the last: those that can rank)
            return found

        def counted_added(words: Any, docs: np.ndarray, docs_all: int) -> Any:
            self._sizes.append(len(docs))
            return added(words, docs, docs_all)

        monkeypatch.setattr(prune, "best", counted_best)
        monkeypatch.setattr(prune, "added", counted_added)


def three_ways(ix: Index, query: str, monkeypatch: pytest.MonkeyPatch, **options: Any) -> list:
    """What one search shows (hits with scores, total, facets, dates): pruned, by the sidecar
    scoring every match, and by Whoosh alone."""
    if str(ix.path) not in _WHOOSH:
        _WHOOSH[str(ix.path)] = searchlib.open(ix.path, engine="whoosh")

    def seen(results: Any) -> tuple:
        hits = [(h.id, h.score) for h in results]
        return hits, results.total, results.facets, results.dates

    options = {"snippets": False, "correct": False, **options}
    pruned = seen(ix.search(query, **options))
    with monkeypatch.context() as off:
        off.setattr(_Accelerator, "feedback_words", lambda accel, query: None)
        exhaustive = seen(ix.search(query, **options))
    return [pruned, exhaustive, seen(_WHOOSH[str(ix.path)].search(query, **options))]


def random_searches(ix: Index, count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """1-, 2- and 5-10-word queries of the index's own words, with pages, facets, filters."""
    rng = random.Random(seed)
    words: set[str] = set()
    for article in list(ix.articles())[:400]:
        text = f"{article.title} {article.body}"
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}", text))
    vocabulary = sorted(words)
    searches = []
    for number in range(count):
        size = (1, 2, rng.randint(5, 10))[number % 3]
        options: dict[str, Any] = {
            "page": rng.choice((1, 1, 1, 3)),
            "facet_limit": rng.choice((0, 0, 5)),
        }
        if rng.random() < 0.2:
            options["date_from"] = "1987-03"
        searches.append((" ".join(rng.choices(vocabulary, k=size)), options))
    return searches


def test_row_maxima_are_each_rows_highest_tf() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(0, 6, 200)  # empty rows too, between others and at both ends
    sizes[0] = sizes[-1] = 0
    indptr = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=indptr[1:])
    tf = rng.random(int(indptr[-1])) * 3
    highest = matrix.row_maxima(indptr, tf)
    expected = [tf[lo:hi].max() if hi > lo else 0.0 for lo, hi in itertools.pairwise(indptr)]
    assert highest.tolist() == expected
