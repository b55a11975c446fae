"""Property: any sequence of added, changed and removed articles, built incrementally, leaves
an index equal to a fresh full build of the same sources (documents, rankings and scores)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searchlib
from searchlib.engine.whoosh import writer as store

WORDS = [
    "river",
    "port",
    "peace",
    "talks",
    "grain",
    "harbour",
    "storm",
    "market",
    "council",
    "strike",
    "bank",
    "rates",
]
QUERIES = ["river", "peace talks", '"grain harbour"', "*", "storm OR bank"]

text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
operation = st.one_of(
    st.tuples(st.just("write_file"), st.integers(0, 5), text),
    st.tuples(st.just("remove_file"), st.integers(0, 5)),
    st.tuples(st.just("write_line"), st.integers(0, 5), text),
    st.tuples(st.just("remove_line"), st.integers(0, 5)),
    st.tuples(st.just("build")),
)


class Sources:
    """A folder of .txt files and one .jsonl file, with distinct modification times."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines: dict[int, str] = {}
        self.clock = time.time() - 100_000  # in the past, so stats are trusted

    def _touch(self, path: Path) -> None:
        self.clock += 1
        os.utime(path, (self.clock, self.clock))

    def apply(self, op: tuple) -> None:
        kind, *args = op
        if kind == "write_file":
            path = self.folder / f"f{args[0]}.txt"
            path.write_text(args[1] + ".", encoding="utf-8")
            self._touch(path)
        elif kind == "remove_file":
            (self.folder / f"f{args[0]}.txt").unlink(missing_ok=True)
        elif kind in ("write_line", "remove_line"):
            if kind == "write_line":
                self.lines[args[0]] = args[1]
            else:
                self.lines.pop(args[0], None)
            path = self.folder / "wire.jsonl"
            path.write_text(
                "".join(
                    json.dumps({"id": f"w{n}", "title": f"Wire {n}", "text": self.lines[n]}) + "\n"
                    if n in self.lines
                    else "\n"
                    for n in range(6)
                ),
                encoding="utf-8",
            )
            self._touch(path)


def observe(path: Path) -> dict:
    ix = searchlib.open(path)
    everything = ix.search("*", limit=100)
    return {
        "articles": {hit.id: ix.get(hit.id) for hit in everything.hits},
        "rankings": {
            query: [(hit.id, round(hit.score, 9)) for hit in ix.search(query, limit=100).hits]
            for query in QUERIES
        },
    }


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(operation, min_size=1, max_size=12))
def test_incremental_builds_equal_a_fresh_full_build(operations):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        # Segments of two documents: deletions and rewrites happen in almost every build.
        patch.setattr(store, "SEGMENT_DOCS", 2)
        patch.setattr(store, "MAX_SMALL_SEGMENTS", 2)
        folder = Path(tmp) / "src"
        folder.mkdir()
        sources = Sources(folder)
        sources.apply(("write_file", 0, "river port"))
        incremental = Path(tmp) / "incremental"
        searchlib.build(incremental, [folder])
        for op in operations:
            if op[0] == "build":
                searchlib.build(incremental)
            else:
                sources.apply(op)
        searchlib.build(incremental)
        full = Path(tmp) / "full"
        searchlib.build(full, [folder])
        assert observe(incremental) == observe(full)
        shutil.rmtree(full)
