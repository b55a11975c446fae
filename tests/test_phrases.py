"""Phrases from the sidecar's positions give exactly the results of Whoosh's phrase matcher:
same top ids, scores, totals and facets, for hundreds of random phrases (exact and with slop,
in both fields or one, with filters, sorting and pages), without Whoosh matching them.

Indexes keep the title's and body's positions in the sidecar alone, and Whoosh's matchers take
their phrases from it too. Whoosh's own phrase matching, the reference, is that of a twin
index written with Whoosh's positions (``conftest.whoosh_positions``): every search is run on
both indexes, through the sidecar and through Whoosh, and all four answers must agree."""

from __future__ import annotations

import contextlib
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import query as wq

import searchlib
import searchlib.engine.sidecar.scorer
import searchlib.engine.whoosh.writer
from searchlib import Index
from searchlib.engine.sidecar import positions

from .conftest import has_whoosh_positions, whoosh_positions
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


@pytest.fixture(scope="module")
def synthetic_twin(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """``synthetic_ix`` written with Whoosh's own positions."""
    folder = tmp_path_factory.mktemp("phrases-twin")
    records, entities = synthetic(600, seed=7)
    with whoosh_positions():
        build_with_entities(folder / "ix", write_jsonl(folder / "a.jsonl", records), entities)
    return searchlib.open(folder / "ix")


def compared(ix: Index, twin: Index, query: str, **options: Any) -> Any:
    """Whoosh's answer on ``twin`` (its own positions), checked to be the sidecar's on it and
    the answers of the sidecar and of Whoosh's matchers on ``ix`` (the sidecar's positions)."""
    assert has_whoosh_positions(twin) and not has_whoosh_positions(ix)
    reference, twin_fast = both(twin, query, **options)
    whoosh, fast = both(ix, query, **options)
    for answer in (twin_fast, whoosh, fast):
        assert_same(reference, answer)
    return reference


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


def run_phrases(ix: Index, twin: Index, count: int, seed: int) -> int:
    rng = random.Random(seed)
    matched = 0
    for number, query in enumerate(phrase_queries(ix, count, seed)):
        matched += compared(ix, twin, query).total > 0
        options: dict[str, Any] = random_filters(ix, rng) if number % 2 else {}
        if number % 3 == 0:
            options.update(sort="date", page=2, limit=5)
        compared(ix, twin, query, **options)
    return matched


@pytest.mark.slow
def test_synthetic_phrases_give_the_whoosh_results(
    synthetic_ix: Index, synthetic_twin: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = WhooshCalls(monkeypatch)
    matched = run_phrases(synthetic_ix, synthetic_twin, 240, seed=31)
    assert matched > 150  # most phrases match something: the comparison is not of empties
    assert calls.count == 0  # and Whoosh matched none of them


def test_phrase_shapes_give_the_whoosh_results(
    synthetic_ix: Index, synthetic_twin: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted single words, one-field words, phrases with stop words, phrases joined with
    words and operators; those whose scores Whoosh adds along its own tree go to Whoosh."""
    calls = WhooshCalls(monkeypatch)
    indexes = (synthetic_ix, synthetic_twin)
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
        compared(synthetic_ix, synthetic_twin, query)
        compared(synthetic_ix, synthetic_twin, query, page=2, limit=5, place="Lima")
        compared(synthetic_ix, synthetic_twin, query, sort="date", date_from="1987")
    assert calls.count == 0
    # ('"oil price"~0' is the phrase or the word "0": no slop Whoosh knows.)
    to_whoosh = [
        '"oil price" bank rate',
        'title:"oil price" gold "bank rate"',
        '"oil price"~0',
        "(oil OR gold) AND bank",
    ]
    for query in to_whoosh:  # (Whoosh's matchers with the sidecar's phrases on the index)
        compared(synthetic_ix, synthetic_twin, query)
        compared(synthetic_ix, synthetic_twin, query, sort="date", person="Ann Lee")
    assert calls.count == 4 * len(to_whoosh)  # (twice on each index)
    # Shapes the query language does not make, asked of Whoosh's matchers directly.
    sizes = []
    for phrase in (
        wq.Phrase("body", ["oil", "price"], slop=0),
        wq.Phrase("title", ["oil", "price"], slop=3, boost=2.0),
        wq.Phrase("body", ["oil", "nosuchword"]),
    ):
        found = [sorted(ix._engine.searcher().docs_for_query(phrase)) for ix in indexes]
        assert found[0] == found[1], phrase
        sizes.append(len(found[0]))
    assert sizes[0] == sizes[2] == 0 < sizes[1]


@pytest.mark.slow
def test_phrases_over_segments_and_incremental_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positions gathered per segment, combined from kept parts and read back agree: the
    phrases of an index of many segments, changed by incremental builds, are Whoosh's; and
    an index written with Whoosh's positions keeps them when this version builds it again."""
    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 40)
    records, entities = synthetic(200, seed=41)
    indexes = []
    for name in ("ix", "twin"):
        src = tmp_path / f"src-{name}"
        src.mkdir()
        with whoosh_positions() if name == "twin" else contextlib.nullcontext():
            write_jsonl(src / "a.jsonl", records[:150])
            build_with_entities(tmp_path / name, src, entities)
        write_jsonl(src / "a.jsonl", records[5:150])  # 5 deleted
        write_jsonl(src / "b.jsonl", records[150:])  # 50 added
        # (An index written with Whoosh's positions keeps them in incremental builds.)
        build_with_entities(tmp_path / name, src, entities)
        indexes.append(searchlib.open(tmp_path / name))
    ix, twin = indexes
    sidecar = ix._engine.accel.sidecar
    assert sidecar.docs_all == 195
    calls = WhooshCalls(monkeypatch)
    for query in phrase_queries(ix, 60, seed=42):
        compared(ix, twin, query)
        compared(ix, twin, query, person="Ann Lee")
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


def test_positions_read_back_from_the_stored_text_are_whooshs(tmp_path: Path) -> None:
    """Without Whoosh's positions, a segment's part and a whole sidecar are read back from
    the stored text analysed again: the same positions Whoosh keeps in the twin, and the
    same as the build kept."""
    from whoosh import index as whoosh_index

    from searchlib.engine.sidecar import files as impacts

    from .test_impacts import assert_same_arrays, read_back_arrays, sidecar_arrays

    records, entities = synthetic(80, seed=12)
    folders, parts = {}, {}
    for name in ("ix", "twin"):
        with whoosh_positions() if name == "twin" else contextlib.nullcontext():
            source = write_jsonl(tmp_path / f"{name}.jsonl", records)
            build_with_entities(tmp_path / name, source, entities)
        folder = tmp_path / name / searchlib.open(tmp_path / name).manifest["generation"]
        store = whoosh_index.open_dir(str(folder))
        assert store.schema["body"].format.supports("positions") == (name == "twin")
        (segment,) = store._segments()
        parts[name] = (impacts.read_part(store, segment), impacts.load_part(folder, segment))
        folders[name] = folder
    (read, saved), (twin_read, _) = parts["ix"], parts["twin"]
    assert saved is not None

    def postings(part: Any, field: str) -> set[tuple[bytes, int, tuple[int, ...]]]:
        """Each posting of ``part`` with its positions (a build keeps them in its own order)."""
        wids, docs, freqs = part.postings[field]
        ends = np.cumsum(freqs.astype(np.int64))
        held = part.positions[field].tolist()
        return {
            (part.vocabulary[w], int(d), tuple(held[end - int(f) : end]))
            for w, d, f, end in zip(wids, docs, freqs, ends, strict=True)
        }

    for field in ("title", "body"):
        held = read.positions[field].tolist()
        assert held == twin_read.positions[field].tolist()
        assert len(held) > (2_000 if field == "body" else 200)
        assert postings(read, field) == postings(saved, field)
    whole = read_back_arrays(folders["ix"], tmp_path / "check")
    assert_same_arrays(whole, read_back_arrays(folders["twin"], tmp_path / "check-twin"))
    assert_same_arrays(whole, sidecar_arrays(folders["ix"]))


def test_a_phrase_without_the_sidecar_says_the_index_is_damaged(tmp_path: Path) -> None:
    """Whoosh keeps no positions of its own now: with the sidecar gone, a phrase names the
    damage and the way out, words are still answered; an index with Whoosh's positions still
    answers phrases from them."""
    from searchlib.engine.sidecar import files as impacts
    from searchlib.errors import IndexDamagedError

    records, entities = synthetic(60, seed=3)
    totals = {}
    for name in ("ix", "twin"):
        with whoosh_positions() if name == "twin" else contextlib.nullcontext():
            source = write_jsonl(tmp_path / "a.jsonl", records)
            build_with_entities(tmp_path / name, source, entities)
        built = searchlib.open(tmp_path / name)
        totals[name] = built.search('"oil price"').total
        (tmp_path / name / built.manifest["generation"] / impacts.HEADER).unlink()
    ix, twin = searchlib.open(tmp_path / "ix"), searchlib.open(tmp_path / "twin")
    assert ix.engine == twin.engine == "whoosh"
    assert totals["ix"] == totals["twin"] == twin.search('"oil price"').total > 0
    assert ix.search("oil price").total > 0
    with pytest.raises(IndexDamagedError, match="sidecar") as raised:
        ix.search('"oil price"')
    assert "index build" in str(raised.value)
