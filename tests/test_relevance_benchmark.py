"""Smoke tests for benchmarks/relevance.py: query sanitising, and every engine, on a tiny corpus
written to a temporary folder, finding the one obviously right document."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "relevance.py"
_spec = importlib.util.spec_from_file_location("relevance_benchmark", _PATH)
relevance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relevance)

DOCS = [
    {"id": "1", "title": "Jet engines", "text": "Turbine blades of jet engines run hot."},
    {"id": "2", "title": "", "text": "Rocket propulsion needs oxidiser as well as fuel."},
    {"id": "3", "title": "Pasta", "text": "Cooking pasta with salted water."},
    {"id": "10", "title": "Gardens", "text": "Roses and tulips in spring gardens."},
]
# Capital operators, quotes, a field-like colon, brackets, wildcards: all must reach the engines
# as plain words.
NASTY = 'WHAT ABOUT "JET" ENGINES: (TURBINE* AND BLADES) OR NOT IN [hot]? -x +y ~z ^2'


def test_strip_syntax():
    assert relevance.strip_syntax(NASTY) == (
        "WHAT ABOUT JET ENGINES TURBINE AND BLADES OR NOT IN hot x y z 2"
    )
    assert relevance.strip_syntax("?! ()") == ""


def test_fts5_query_quotes_every_word():
    assert relevance.fts5_query('say "near" (x)') == '"say" OR "near" OR "x"'
    assert relevance.fts5_query("?!") == ""


@pytest.mark.parametrize("engine", sorted(relevance.ENGINES))
def test_engine_finds_the_right_document(engine, tmp_path):
    jsonl = tmp_path / "collection" / "docs.jsonl"
    jsonl.parent.mkdir()
    jsonl.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()
    try:
        search = relevance.ENGINES[engine](DOCS, workdir, jsonl.parent)
    except relevance.Skip as e:
        pytest.skip(str(e))

    hits = search(NASTY)
    assert hits, "no results"
    assert hits[0][0] == "1"
    assert all(isinstance(docid, str) and isinstance(score, float) for docid, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert "3" not in {docid for docid, _ in hits}  # shares no word with the query

    assert search("spring ROSES")[0][0] == "10"  # title-less ids and upper case work too
    assert search("?!") == []
