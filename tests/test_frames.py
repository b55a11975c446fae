"""DataFrames of results and of a whole index (pandas is an optional extra)."""

from __future__ import annotations

import sys

import pytest

import searchlib

from .conftest import SEED_IDS

pd = pytest.importorskip("pandas")


def test_results_to_pandas_is_the_page_of_hits(ix):
    results = ix.search("Astana Declaration", limit=3)
    frame = results.to_pandas()
    assert list(frame.columns) == [
        "rank", "id", "title", "date", "score", "snippet", "person", "org", "place",
    ]  # fmt: skip
    assert list(frame["id"]) == [hit.id for hit in results.hits]
    assert list(frame["rank"]) == [1, 2, 3]
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    undated = frame[frame["id"] == "000_0802c507da2f2354"]
    assert undated["date"].isna().all()
    assert frame["score"].is_monotonic_decreasing


def test_index_to_pandas_has_every_article(ix):
    frame = ix.to_pandas()
    assert sorted(frame["id"]) == SEED_IDS
    row = frame.set_index("id").loc["004_776b0de49483b812"]
    assert row["date"] == pd.Timestamp("2021-03-01")
    assert row["dateline"] == "NUR-SULTAN (KAZINFORM)"
    assert row["body"].startswith("Last week,")
    assert "Bulat Sarsenbayev" in row["person"] and pd.isna(row["line"])


def test_entities_are_lists_per_kind(entity_ix):
    frame = entity_ix.to_pandas().set_index("id")
    assert frame.loc["xss-1", "person"] == ["<b>Eve</b>", "Kassym-Jomart Tokayev"]
    assert frame.loc["plain-2", "place"] == ["Almaty"]
    assert frame.loc["plain-2", "line"] == 2  # the JSON Lines line it came from
    people = entity_ix.to_pandas().explode("person")["person"].value_counts()
    assert people["Kassym-Jomart Tokayev"] == 2
    hits = entity_ix.search("summit", person="Kassym-Jomart Tokayev").to_pandas()
    assert sorted(hits["id"]) == ["plain-2", "xss-1"]


def test_empty_results_still_have_the_columns(ix):
    frame = ix.search("nothingmatchesthis").to_pandas()
    assert frame.empty and "title" in frame.columns


def test_without_pandas_the_error_says_what_to_install(ix, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(searchlib.MissingExtraError, match=r"pip install 'searchlib\[pandas\]'"):
        ix.search("Astana").to_pandas()
    with pytest.raises(ImportError, match=r"Index\.to_pandas\(\) needs pandas"):
        ix.to_pandas()
