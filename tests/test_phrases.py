"""Phrases from the sidecar's positions give exactly the results of Whoosh's phrase matcher:
same top ids, scores, totals and facets, for hundreds of random phrases (exact and with slop,
in both fields or one, with filters, sorting and pages), without Whoosh matching them."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import searchlib
import searchlib.engine.sidecar.scorer
import searchlib.engine.whoosh.writer
from searchlib import Index
from searchlib.engine.sidecar import positions

from .test_impacts import (
    assert_same,
    both,
    build_with_entities,
    random_filters,
    synthetic,
    synthetic_ix,
    write_jsonl,
)

__all__ = ["synthetic_ix"]  # (a fixture shared with test_impacts)


class WhooshCalls:
    """Counts the searches whose matches Whoosh's own matchers stepped through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = searchlib.engine.sidecar.scorer._whoosh_scores

        def counted(*args: Any) -> Any:
            self.count += 1
            return original(*args)

        monkeypatch.setattr(searchlib.engine.sidecar.scorer, "_whoosh_scores", counted)


def article_runs(ix: Index, rng: random.Random, count: int) -> list[list[str]]:
    """Runs of 2 to 4 consecutive words as written in the articles (so most match)."""
    texts = [f"{a.title}\n{a.body}" for a in list(ix.articles())[:400]]
    runs: list[list[str]] = []
    while len(runs) < count:
        words = re.findall(r"[A-Za-z]{2,}", rng.choice(texts))
        size = rng.randint(2, 4)
        if len(words) > size:
            start = rng.randrange(len(words) - size)
            runs.append([w.lower() for w in words[start : start + size]])
    return runs


def phrase_queries(ix: Index, count: int, seed: int) -> list[str]:
    """Random phrases: runs from the articles, with and without slop, some in the title only,
    some of words taken apart (rarely adjacent), some repeating a word."""
    rng = random.Random(seed)
    runs = article_runs(ix, rng, count)
    vocabulary = sorted({w for run in runs for w in run})
    queries = []
    for number, run in enumerate(runs):
        kind = number % 6
        if kind == 3:
            run = rng.sample(vocabulary, len(run))
        elif kind == 4:
            run = [run[0], *run]
        text = '"' + " ".join(run) + '"'
        if kind in (1, 3):
            text += f"~{rng.randint(2, 4)}"
        if kind == 5:
            text = "title:" + text
        queries.append(text)
    return queries


def run_phrases(ix: Index, count: int, seed: int) -> int:
    rng = random.Random(seed)
    matched = 0
    for number, query in enumerate(phrase_queries(ix, count, seed)):
        whoosh, fast = both(ix, query)
        assert_same(whoosh, fast)
        matched += whoosh.total > 0
        options: dict[str, Any] = random_filters(ix, rng) if number % 2 else {}
        if number % 3 == 0:
            options.update(sort="date", page=2, limit=5)
        assert_same(*both(ix, query, **options))
    return matched


@pytest.mark.slow
def test_synthetic_phrases_give_the_whoosh_results(
    synthetic_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = WhooshCalls(monkeypatch)
    matched = run_phrases(synthetic_ix, 240, seed=31)
    assert matched > 150  # most phrases match something: the comparison is not of empties
    assert calls.count == 0  # and Whoosh matched none of them


def test_phrase_shapes_give_the_whoosh_results(
    synthetic_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted single words, one-field words, phrases with stop words, phrases joined with
    words and operators; those whose scores Whoosh adds along its own tree go to Whoosh."""
    calls = WhooshCalls(monkeypatch)
    from_arrays = [
        '"oil"',
        "title:oil",
        "title:oil^3",
        '"oil of the price"',
        '"oil price" -bank',
        '"oil price" AND "price rate"',
        '+"oil price" bank',
        '"oil price"^2.5',
        '"price price"',
        '"oil nosuchword"',
    ]
    for query in from_arrays:
        assert_same(*both(synthetic_ix, query))
        assert_same(*both(synthetic_ix, query, page=2, limit=5, place="Lima"))
        assert_same(*both(synthetic_ix, query, sort="date", date_from="1987"))
    assert calls.count == 0
    # ('"oil price"~0' is the phrase or the word "0": no slop Whoosh knows.)
    to_whoosh = [
        '"oil price" bank rate',
        'title:"oil price" gold "bank rate"',
        '"oil price"~0',
        "(oil OR gold) AND bank",
    ]
    for query in to_whoosh:
        assert_same(*both(synthetic_ix, query))
    assert calls.count == len(to_whoosh)


@pytest.mark.slow
def test_phrases_over_segments_and_incremental_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positions gathered per segment, combined from kept parts and read back agree: the
    phrases of an index of many segments, changed by incremental builds, are Whoosh's."""
    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 40)
    records, entities = synthetic(200, seed=41)
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", records[:150])
    build_with_entities(tmp_path / "ix", src, entities)
    write_jsonl(src / "a.jsonl", records[5:150])  # 5 deleted
    write_jsonl(src / "b.jsonl", records[150:])  # 50 added
    build_with_entities(tmp_path / "ix", src, entities)
    ix = searchlib.open(tmp_path / "ix")
    sidecar = ix._engine.accel.sidecar
    assert sidecar.docs_all == 195
    calls = WhooshCalls(monkeypatch)
    for query in phrase_queries(ix, 60, seed=42):
        assert_same(*both(ix, query))
        assert_same(*both(ix, query, person="Ann Lee"))
    assert calls.count == 0


def test_field_arrays_hold_every_position_once() -> None:
    """Postings given group after group, each in any order, land by word row and article,
    with their positions beside them."""
    rng = np.random.default_rng(5)
    rows, docs, freqs = [], [], []
    for doc in range(30):
        for row in rng.choice(8, rng.integers(1, 6), replace=False):
            rows.append(row)
            docs.append(doc)
            freqs.append(int(rng.integers(1, 4)))
    row, doc, freq = np.array(rows), np.array(docs, np.int32), np.array(freqs)
    places = [sorted(rng.choice(500, f, replace=False).tolist()) for f in freqs]
    flat = np.array([p for held in places for p in held], np.uint32)
    arrays = positions.FieldArrays(
        np.bincount(row, minlength=8),
        np.bincount(row, freq, minlength=8).astype(int),
        np.full(30, 7),
        int(freq.max()),
        int(flat.max()),
    )
    cut = int(np.searchsorted(doc, 15))  # two groups: articles 0-14, then 15-29
    at = int(freq[:cut].sum())
    shuffled = rng.permutation(cut)  # a group's postings come in any order
    starts = np.concatenate([[0], np.cumsum(freq[:cut])])
    first_flat = np.concatenate([flat[starts[i] : starts[i + 1]] for i in shuffled])
    arrays.add(row[shuffled], doc[shuffled], freq[shuffled], first_flat)
    arrays.add(row[cut:], doc[cut:], freq[cut:], flat[at:])
    out = arrays.arrays()
    expected = sorted(zip(rows, docs, freqs, places, strict=True))
    got = []
    for r in range(8):
        lo, hi = out["indptr"][r], out["indptr"][r + 1]
        p = int(out["pos_indptr"][r])
        for d, f in zip(out["docs"][lo:hi], out["freqs"][lo:hi], strict=True):
            got.append((r, int(d), int(f), out["positions"][p : p + f].tolist()))
            p += int(f)
    assert got == expected
    # (The smallest types that hold them: frequencies under 4, positions under 500.)
    assert (out["freqs"].dtype, out["positions"].dtype) == (np.uint8, np.uint16)
