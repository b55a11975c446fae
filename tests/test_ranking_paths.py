"""One ranking whatever the path: prefix, fuzzy and ``title:`` queries give the same top ids,
scores, totals and facets through the Whoosh engine and the sidecar engine, on an index built
at once and on one built by several builds that each added a file (whose segments differ)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import searchlib
from searchlib import Index
from searchlib.errors import QuerySyntaxError

from .test_impacts import (
    WORDS,
    Spy,
    assert_same,
    build_with_entities,
    random_filters,
    synthetic,
    write_jsonl,
)

#: The parts of each source file, added one build after another to the incremental index.
PARTS = 4


def build_both_ways(
    folder: Path, records: list[dict[str, Any]], entities: dict[str, dict[str, list]]
) -> tuple[Path, Path]:
    """The same records built at once (one file, one build) and built incrementally (a file
    more at each of :data:`PARTS` builds)."""
    build_with_entities(folder / "full", write_jsonl(folder / "all.jsonl", records), entities)
    return folder / "full", build_incrementally(folder, records, entities)


def build_incrementally(
    folder: Path, records: list[dict[str, Any]], entities: dict[str, dict[str, list]]
) -> Path:
    """The records built by :data:`PARTS` builds, each adding a file of them."""
    source = folder / "src"
    source.mkdir()
    size = -(-len(records) // PARTS)
    for part in range(PARTS):
        write_jsonl(source / f"part{part}.jsonl", records[part * size : (part + 1) * size])
        build_with_entities(folder / "incremental", source, entities)
    return folder / "incremental"


class Paths:
    """The engines and builds compared: Whoosh on the full build is the reference."""

    def __init__(self, full: Path, incremental: Path) -> None:
        self.whoosh = searchlib.open(full, engine="whoosh")
        self.sidecar = searchlib.open(full)
        self.incremental = searchlib.open(incremental)
        self.incremental_whoosh = searchlib.open(incremental, engine="whoosh")
        assert self.sidecar.engine == self.incremental.engine == "sidecar"
        # (The incremental build's generation holds several segments, the full one's one.)
        assert segments(self.incremental) > segments(self.sidecar)

    def differing(
        self, queries: list[tuple[str, dict[str, Any]]]
    ) -> tuple[dict[str, list[str]], int, int]:
        """For each path, the queries whose results differ from the reference's; how many
        queries were compared (not refused as too costly), and how many matched something."""
        compared = matched = 0
        found: dict[str, list[str]] = {
            "sidecar": [],
            "incremental": [],
            "incremental_whoosh": [],
        }
        for query, options in queries:
            try:
                reference = self.whoosh.search(query, **options)
            except QuerySyntaxError:  # (a prefix of too many words): the same on every path
                for name in found:
                    with pytest.raises(QuerySyntaxError):
                        getattr(self, name).search(query, **options)
                continue
            compared += 1
            matched += reference.total > 0
            for name, paths in found.items():
                try:
                    assert_same(reference, getattr(self, name).search(query, **options))
                except AssertionError:
                    paths.append(f"{query} {options}")
        return found, compared, matched


def segments(ix: Index) -> int:
    return sum(1 for _ in (ix.path / ix.manifest["generation"]).glob("*.seg"))


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one letter changed, dropped or doubled (not the first: fuzzy terms keep
    it)."""
    at = rng.randrange(1, len(word))
    kind = rng.randrange(3)
    if kind == 0:
        return word[:at] + rng.choice("aeiourstn") + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at] + word[at:]


def random_queries(words: list[str], count: int, seed: int) -> list[str]:
    """Prefix, fuzzy and ``title:`` queries, alone (most) or with other words and with each
    other."""
    rng = random.Random(seed)

    def one(kind: int) -> str:
        word = rng.choice(words)
        if kind == 0:
            return word[: rng.randint(2, max(2, min(6, len(word) - 1)))] + "*"
        if kind == 1:
            return typo(word, rng) + rng.choice(["~", "~", "~2"])
        if kind == 2:
            return "title:" + rng.choice([word, typo(word, rng) + "~", word[:3] + "*"])
        return word

    queries = []
    for number in range(count):
        if number % 4 < 3:
            queries.append(one(number % 4))
        else:
            queries.append(" ".join(one(rng.randrange(4)) for _ in range(rng.randint(2, 4))))
    return queries


def with_options(ix: Index, queries: list[str], seed: int) -> list[tuple[str, dict[str, Any]]]:
    """Each query, a third of them with a filter or asked for a later page or by date."""
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, Any]]] = []
    for number, query in enumerate(queries):
        options: dict[str, Any] = {}
        if number % 3 == 1:
            options = random_filters(ix, rng)
        elif number % 6 == 2:
            options = {"page": 2, "limit": 5}
        elif number % 6 == 5:
            options = {"sort": "date"}
        out.append((query, options))
    return out


def assert_one_ranking(
    paths: Paths, queries: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    differing, compared, matched = paths.differing(queries)
    counts = {name: len(found) for name, found in differing.items()}
    assert counts == dict.fromkeys(differing, 0), (counts, {k: v[:3] for k, v in differing.items()})
    # The sidecar answered them (matched by Whoosh, ranked by numpy): no path compared Whoosh
    # with itself. (Misspelt queries run again corrected.)
    assert spy.calls >= 2 * compared and spy.fast == spy.calls
    # Few were refused, and over half matched something (filters and typos match less).
    assert compared > 0.9 * len(queries)
    assert matched > 0.5 * len(queries)


@pytest.mark.slow
def test_synthetic_prefix_fuzzy_and_title_queries_rank_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, entities = synthetic(400, seed=31)
    paths = Paths(*build_both_ways(tmp_path, records, entities))
    queries = with_options(paths.whoosh, random_queries(WORDS, 240, seed=32), seed=33)
    assert_one_ranking(paths, queries, monkeypatch)
