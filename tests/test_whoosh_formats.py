"""Whoosh as searchlib writes and patches it: the title and body postings keep their
frequencies as weights only (``Counts``), with the answers of an index written with them in
the posting values too (``Frequency``, indexes of earlier versions), which are read and grown
as written; and ``AndNotMatcher`` checks its first match."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.formats import Frequency
from whoosh.matching import ListMatcher
from whoosh.matching.binary import AndNotMatcher

import searchlib
import searchlib.engine.whoosh.writer
from searchlib.engine.whoosh import patches
from searchlib.engine.whoosh.analysis import Counts

from .conftest import whoosh_frequency_values
from .test_impacts import (
    assert_same,
    both,
    build_with_entities,
    random_queries,
    synthetic,
    write_jsonl,
)
from .test_phrases import phrase_queries


def _format(ix: searchlib.Index, field: str) -> type:
    return type(ix._engine.searcher().schema[field].format)


def _segments_mb(ix: searchlib.Index) -> float:
    folder = Path(ix.path) / ix.manifest["generation"]
    return sum(f.stat().st_size for f in folder.glob("*.seg")) / 1e6


def test_weights_only_give_the_answers_of_frequency_values_through_incremental_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 60)
    records, entities = synthetic(300, seed=23)
    indexes = []
    for name in ("ix", "old"):
        src = tmp_path / f"src-{name}"
        src.mkdir()
        write_jsonl(src / "a.jsonl", records[:240])
        if name == "old":
            with whoosh_frequency_values():
                build_with_entities(tmp_path / name, src, entities)
        else:
            build_with_entities(tmp_path / name, src, entities)
        with searchlib.open(tmp_path / name) as first:
            expected = Counts if name == "ix" else Frequency
            assert _format(first, "body") is _format(first, "title") is expected
            indexes.append(_segments_mb(first))
        write_jsonl(src / "a.jsonl", records[7:240])  # 7 deleted
        write_jsonl(src / "b.jsonl", records[240:])  # 60 added
        build_with_entities(tmp_path / name, src, entities)  # (as written: see the format)
    new_mb, old_mb = indexes
    assert new_mb < old_mb  # the values are gone
    ix, old = searchlib.open(tmp_path / "ix"), searchlib.open(tmp_path / "old")
    assert _format(ix, "body") is Counts and _format(old, "body") is Frequency
    assert len(ix) == len(old) == 293
    queries = random_queries(ix, 40, seed=3) + phrase_queries(ix, 20, seed=4)
    queries += ["oil*", "title:oil", "oil~", '"oil price"~3', "oil -price"]
    frequencies = []
    for query in queries:
        new_whoosh, new_fast = both(ix, query, explain=True)
        old_whoosh, old_fast = both(old, query, explain=True)
        assert_same(new_whoosh, old_whoosh)
        assert_same(new_fast, old_fast)
        assert_same(new_whoosh, new_fast)  # ("oil -price": see the AndNot test below)
        # Explanations give each word's frequency: from the weight now, the value before.
        assert [h.explanation for h in new_whoosh] == [h.explanation for h in old_whoosh]
        frequencies += [c.frequency for h in new_whoosh for c in h.explanation or ()]
    assert max(f for f in frequencies if f) > 1  # (not every frequency taken as 1)
    assert not searchlib.check(tmp_path / "ix", deep=True).damaged
    assert not searchlib.check(tmp_path / "old", deep=True).damaged


@pytest.mark.parametrize(
    ("required", "excluded", "kept"),
    [
        ([5, 7, 9], [3, 5], [7, 9]),  # the excluded postings start earlier: 5 still goes
        ([5, 7], [5], [7]),
        ([5, 7], [1, 2], [5, 7]),
        ([5], [3, 5], []),
        ([2, 5], [3, 4], [2, 5]),
        ([1, 4, 6, 8], [0, 4, 8, 9], [1, 6]),
    ],
)
def test_and_not_skips_a_first_match_the_excluded_postings_hold(
    required: list[int], excluded: list[int], kept: list[int]
) -> None:
    patches.apply()
    matcher = AndNotMatcher(ListMatcher(required), ListMatcher(excluded))
    assert list(matcher.all_ids()) == kept
