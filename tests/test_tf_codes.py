"""The sidecar keeps each posting's ``tf~`` as a 2-byte code into a table of the collection's
distinct values: exactly the float64 it stands for, scored to the same bits; a collection with
too many distinct values keeps them whole, with the same results; a code outside the table is
damage that the deep check names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import searchlib
from searchlib.engine.sidecar import files
from searchlib.store.manifest import MANIFEST

from .test_impacts import (
    assert_same,
    both,
    build_with_entities,
    random_queries,
    synthetic,
    write_jsonl,
)


def test_codes_stand_for_the_values_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    values = rng.random(700) * 20
    tf = values[rng.integers(0, len(values), 50_000)]
    monkeypatch.setattr(files, "_CODE_CHUNK", 999)  # (many chunks, their ends uneven)
    coded = files.table_codes(tf)
    assert coded is not None
    table, codes = coded
    assert codes.dtype == np.uint16 and len(table) == len(np.unique(tf)) == 700
    assert table[codes].tobytes() == tf.tobytes()
    monkeypatch.setattr(files, "TABLE_VALUES", 699)
    assert files.table_codes(tf) is None


@pytest.mark.parametrize("postings", [0, 3, 150, 20_000])
def test_scores_from_the_table_are_those_of_the_values(postings: int) -> None:
    """Scored value by value (few postings) or once per distinct value and looked up (many):
    the bits of :func:`files.word_scores` of the values themselves."""
    rng = np.random.default_rng(postings)
    table = np.sort(np.unique(rng.random(1000) * 30))
    codes = rng.integers(0, len(table), postings).astype(np.uint16)
    coded, whole = files.Weights(codes, table), files.Weights(table[codes], None)
    expected = files.word_scores(table[codes], 70, 20_000, 2.0)
    assert coded.scores(70, 20_000, 2.0).tobytes() == expected.tobytes()
    assert whole.scores(70, 20_000, 2.0).tobytes() == expected.tobytes()
    mask = rng.random(postings) < 0.3
    for index in (slice(1, None, 2), np.flatnonzero(mask), mask):
        assert coded[index].tobytes() == whole[index].tobytes() == table[codes][index].tobytes()
    assert len(coded) == len(whole) == postings


def test_too_many_values_are_kept_whole_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, entities = synthetic(150, seed=5)
    source = write_jsonl(tmp_path / "a.jsonl", records)
    build_with_entities(tmp_path / "coded", source, entities)
    monkeypatch.setattr(files, "TABLE_VALUES", 8)
    build_with_entities(tmp_path / "whole", source, entities)
    indexes = {name: searchlib.open(tmp_path / name) for name in ("coded", "whole")}
    for name, ix in indexes.items():
        folder = tmp_path / name / ix.manifest["generation"]
        tf = np.load(folder / "impacts-tf.npy")
        assert tf.dtype == (np.uint16 if name == "coded" else np.float64)
        assert (folder / "impacts-tf_values.npy").exists() == (name == "coded")
        assert ix.engine == "sidecar"
    matched = 0
    for query in random_queries(indexes["coded"], 60, seed=6):
        whoosh, coded = both(indexes["coded"], query)
        assert_same(whoosh, coded)
        assert_same(whoosh, indexes["whole"].search(query))
        matched += whoosh.total > 0
    assert matched > 40


def test_a_code_outside_the_table_is_damage(seeds_index_path: Path, tmp_path: Path) -> None:
    import shutil

    index = tmp_path / "seeds"
    shutil.copytree(seeds_index_path, index)
    folder = index / searchlib.open(index).manifest["generation"]
    tf = folder / "impacts-tf.npy"
    table = np.load(folder / "impacts-tf_values.npy")
    codes = np.load(tf)
    np.save(tf, (codes + len(table)).astype(np.uint16), allow_pickle=False)
    with pytest.raises(searchlib.IndexDamagedError):
        searchlib.open(index, engine="sidecar").search("Astana Declaration")
    manifest = json.loads((index / MANIFEST).read_text())
    del manifest["files"]  # (no checksums: the deep check reads the codes themselves)
    (index / MANIFEST).write_text(json.dumps(manifest))
    assert searchlib.check(index, deep=True).damaged == [
        f"{folder.name}/impacts-tf.npy holds codes outside 0..{len(table) - 1}"
    ]
