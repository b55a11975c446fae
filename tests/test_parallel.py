"""Parallel analysis: local worker processes and a real Dask cluster build the same index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli
from searchlib.store.parallel import Runner, runner

from .conftest import SEEDS


def _square(batch: list[int]) -> list[int]:
    return [n * n for n in batch]


@pytest.mark.parametrize("workers", [1, 2])
def test_runner_keeps_order_and_bounds_batches(workers):
    with runner(workers) as run:
        assert run.parallel == (workers > 1)
        assert list(run.map(_square, range(1000), batch=7)) == [n * n for n in range(1000)]


def _worker_pid(batch: list[int]) -> list[int]:
    import os

    return [os.getpid() for _ in batch]


def test_released_workers_end_and_later_work_runs_here():
    import os
    import time

    with runner(2) as run:
        pids = set(run.map(_worker_pid, range(64), batch=1)) - {os.getpid()}
        assert pids
        run.release()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
            time.sleep(0.05)
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
        assert not run.parallel
        assert list(run.map(_worker_pid, range(3))) == [os.getpid()] * 3


def test_serial_runner_is_lazy():
    seen = []

    def record(batch: list[int]) -> list[int]:
        seen.extend(batch)
        return batch

    results = Runner().map(record, range(100), batch=10)
    assert next(results) == 0 and seen == list(range(10))


def _corpus(tmp_path, count: int = 120):
    path = tmp_path / "docs.jsonl"
    words = ["astana", "congress", "peace", "dialogue", "vatican", "religions", "summit"]
    with path.open("w") as handle:
        for i in range(count):
            text = " ".join(words[(i * k) % len(words)] for k in range(1, 30)) + f" article {i}"
            record = {
                "id": f"a{i:04}",
                "title": f"Report {i} on {words[i % 7]}",
                "text": text,
                "date": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
            }
            handle.write(json.dumps(record) + "\n")
    return [path, SEEDS]


def _snapshot(path):
    ix = searchlib.open(path)
    stored = {i: ix.get(i) for i in sorted(a.id for a in ix.articles())}
    ranked = {
        q: [(h.id, h.score) for h in ix.search(q, limit=20).hits]
        for q in ["astana peace", '"congress peace"', "vatican -summit", "Report 7"]
    }
    return stored, ranked, ix.search("*").facets


@pytest.mark.slow
def test_two_workers_build_the_same_index_as_one(tmp_path):
    sources = _corpus(tmp_path)
    one = searchlib.build(tmp_path / "one", sources, workers=1)
    two = searchlib.build(tmp_path / "two", sources, workers=2)
    assert one.articles == two.articles == 125
    assert _snapshot(tmp_path / "one") == _snapshot(tmp_path / "two")


@pytest.mark.slow
def test_dask_cluster_builds_the_same_index(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    sources = _corpus(tmp_path, 60)
    searchlib.build(tmp_path / "local", sources)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = searchlib.build(tmp_path / "dask", sources, scheduler=cluster.scheduler_address)
    assert report.articles == 65
    assert _snapshot(tmp_path / "local") == _snapshot(tmp_path / "dask")


@pytest.mark.slow
def test_cli_workers_option(tmp_path):
    sources = [str(s) for s in _corpus(tmp_path, 30)]
    runner_ = CliRunner()
    result = runner_.invoke(
        cli,
        ["index", "build", "--index", str(tmp_path / "ix"), *sources, "--workers", "2", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["articles"] == 35
    bad = runner_.invoke(cli, ["index", "build", "--index", str(tmp_path / "ix"), "--workers", "0"])
    assert bad.exit_code == 2 and "--workers" in bad.output


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv("SEARCHLIB_DASK_TIMEOUT", "1s")
    with pytest.raises(searchlib.SearchlibError, match="cannot reach the Dask scheduler"):
        searchlib.build(tmp_path / "ix", [SEEDS], scheduler="tcp://127.0.0.1:9")


def _segment_sizes(path) -> list[int]:
    from whoosh import index as whoosh_index

    ix = searchlib.open(path)
    store = whoosh_index.open_dir(str(path / ix.manifest["generation"]))
    return [segment.doc_count_all() for segment in store._segments()]


@pytest.mark.slow
def test_large_full_builds_write_fewer_larger_segments(tmp_path, monkeypatch):
    import searchlib.engine.whoosh.writer as store

    # As a build of a million articles would, in miniature: a hundred-odd articles in four
    # segments rather than one per five articles.
    monkeypatch.setattr(store, "SEGMENT_DOCS", 5)
    monkeypatch.setattr(store, "SEGMENTS_WANTED", 4)
    assert [store.segment_docs(n) for n in (3, 20, 125, 10**9)] == [
        5,
        5,
        32,
        store.MAX_SEGMENT_DOCS,
    ]
    sources = _corpus(tmp_path)
    searchlib.build(tmp_path / "one", sources, workers=1)
    searchlib.build(tmp_path / "two", sources, workers=2)
    assert _segment_sizes(tmp_path / "one") == _segment_sizes(tmp_path / "two") == [32] * 3 + [29]
    assert _snapshot(tmp_path / "one") == _snapshot(tmp_path / "two")
