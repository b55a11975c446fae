"""Building indexes: locations, generations, atomic switch, locking, damage."""

from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest

import searchlib
from searchlib.store.definitions import locate
from searchlib.store.lock import LOCK
from searchlib.store.manifest import MANIFEST

from .conftest import SEED_IDS, SEEDS


def test_named_index_builds_next_to_its_definition(project):
    location = locate("seeds")
    assert location.definition is not None
    assert location.path == project / "indexes" / "seeds"
    assert not location.is_built
    report = searchlib.build("seeds")
    assert (report.articles, report.skipped) == (len(SEED_IDS), 0)
    manifest = json.loads((location.path / MANIFEST).read_text())
    assert manifest["articles"] == len(SEED_IDS)
    assert (location.path / manifest["generation"]).is_dir()


def test_definitions_are_found_from_subfolders(project, monkeypatch):
    (project / "notes").mkdir()
    monkeypatch.chdir(project / "notes")
    assert locate("seeds").path == project / "indexes" / "seeds"


def test_rebuild_switches_generation_and_drops_old_ones(tmp_path):
    path = tmp_path / "ix"
    for _ in range(4):
        searchlib.build(path, [SEEDS], rebuild=True)
    generations = sorted(p.name for p in path.glob("gen-*"))
    current = json.loads((path / MANIFEST).read_text())["generation"]
    assert current == "gen-000004"
    assert generations == ["gen-000003", "gen-000004"]  # the previous one stays for readers


def test_adhoc_index_rebuilds_from_its_recorded_sources(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS])
    report = searchlib.build(path)
    assert report.articles == len(SEED_IDS)


def test_failed_build_leaves_previous_index_intact(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS])
    before = (path / MANIFEST).read_text()

    def explode(done: int, total: int) -> None:
        raise RuntimeError("interrupted")

    extra = tmp_path / "more"
    extra.mkdir()
    for i in range(150):
        (extra / f"{i:03}.txt").write_text(f"Article number {i} about Astana.", encoding="utf-8")
    with pytest.raises(RuntimeError, match="interrupted"):
        searchlib.build(path, [extra], progress=explode)
    assert (path / MANIFEST).read_text() == before
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000001"]
    assert len(searchlib.open(path)) == len(SEED_IDS)


def test_duplicate_ids_are_skipped_and_reported(tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / f"{SEED_IDS[0]}.txt").write_text("Same id, other text.", encoding="utf-8")
    report = searchlib.build(tmp_path / "ix", [SEEDS, copy])
    assert report.articles == len(SEED_IDS)
    assert report.skipped == 1
    assert "duplicate id" in report.problems[0].reason


def _hold_lock(path: str, ready, release) -> None:
    import fcntl

    with open(os.path.join(path, LOCK), "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        ready.set()
        release.wait(30)


def test_concurrent_build_fails_with_the_lock_holder(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS])
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(path), ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with pytest.raises(searchlib.IndexLockedError) as caught:
            searchlib.build(path, [SEEDS], lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
        assert f"locked by process {holder.pid}" in str(caught.value)
    finally:
        release.set()
        holder.join(10)
    # Once the holder is gone, building works again.
    assert searchlib.build(path, [SEEDS], lock_timeout=0.5).articles == len(SEED_IDS)


def test_truncated_segment_is_reported_as_damage(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS])
    generation = json.loads((path / MANIFEST).read_text())["generation"]
    for segment in (path / generation).glob("*.seg"):
        segment.write_bytes(segment.read_bytes()[:20])
    for toc in (path / generation).glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:10])
    with pytest.raises(searchlib.IndexDamagedError, match="damaged") as caught:
        searchlib.open(path).search("Astana")
    assert "searchlib index build" in str(caught.value)


def test_missing_generation_is_reported_as_damage(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS])
    generation = json.loads((path / MANIFEST).read_text())["generation"]
    os.rename(path / generation, path / "moved")
    with pytest.raises(searchlib.IndexDamagedError, match="generation folder is missing"):
        searchlib.open(path)


def test_unknown_index_and_unbuilt_definition(project):
    with pytest.raises(searchlib.IndexNotFoundError, match="no index named 'nope'"):
        searchlib.open("nope")
    with pytest.raises(searchlib.IndexNotFoundError, match="not built yet"):
        searchlib.open("seeds", build=False)
    # By default a defined index that was never built is built on first use.
    assert len(searchlib.open("seeds")) == len(SEED_IDS)


def test_two_full_builds_store_the_same_documents(tmp_path):
    first = searchlib.build(tmp_path / "a", [SEEDS])
    second = searchlib.build(tmp_path / "b", [SEEDS])
    assert first.articles == second.articles
    a, b = searchlib.open(tmp_path / "a"), searchlib.open(tmp_path / "b")
    for article_id in SEED_IDS:
        assert a.get(article_id) == b.get(article_id)
    query = "interreligious dialogue Kazakhstan"
    assert [(h.id, h.score) for h in a.search(query).hits] == [
        (h.id, h.score) for h in b.search(query).hits
    ]


def _big_jsonl(path, articles, size):
    """A JSON Lines file of ``articles`` articles of about ``size`` bytes each."""
    words = [
        "oil",
        "prices",
        "rose",
        "sharply",
        "in",
        "early",
        "trading",
        "on",
        "the",
        "exchange",
        "today",
    ]
    with path.open("w", encoding="utf-8") as handle:
        for number in range(articles):
            text = " ".join(words[(number + i) % len(words)] for i in range(size // 6))
            handle.write(json.dumps({"id": f"a{number}", "title": "T", "text": text}) + "\n")


def test_a_full_build_never_holds_a_whole_source_file(tmp_path):
    # The scan streams a JSON Lines file (read, hashed and parsed a chunk at a time), keeps
    # no content, and the write phase reads it again one record at a time.
    import tracemalloc

    from searchlib.prepare.sources import field_map
    from searchlib.store.state import deferred_records as _deferred_records
    from searchlib.store.state import scan_sources as _scan

    path = tmp_path / "big.jsonl"
    _big_jsonl(path, 3000, 10_000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        scan = _scan([path], {}, field_map(None), trust=False, strict=False, defer=True)
        ids = [record.id for _, _, record in _deferred_records(scan, field_map(None))]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ids == [f"a{n}" for n in range(3000)]
    assert peak < size / 4, f"peak {peak / 2**20:.1f} MB reading a {size / 2**20:.1f} MB file"


def test_a_source_changed_between_scan_and_write_fails_the_build(tmp_path, monkeypatch):
    import searchlib.store.build as index_module

    source = tmp_path / "news.jsonl"
    _big_jsonl(source, 30, 200)
    scanned = index_module.scan_sources

    def scan_then_edit(*args, **kwargs):
        scan = scanned(*args, **kwargs)
        text = source.read_text("utf-8").replace('"a7"', '"b7"')
        source.write_text(text, encoding="utf-8")  # the same size, another record
        return scan

    monkeypatch.setattr(index_module, "scan_sources", scan_then_edit)
    with pytest.raises(searchlib.SearchlibError, match="changed while the index was being built"):
        searchlib.build(tmp_path / "ix", [source])
    assert not list((tmp_path / "ix").glob("gen-*"))
    monkeypatch.setattr(index_module, "scan_sources", scanned)
    assert searchlib.build(tmp_path / "ix", [source]).articles == 30


def test_a_source_that_changes_while_scanned_is_read_again_then_fails(tmp_path, monkeypatch):
    import dataclasses

    import searchlib.store.state as state_module
    from searchlib.prepare.sources import survey_file

    source = tmp_path / "news.jsonl"
    _big_jsonl(source, 5, 200)
    wrong = iter([True])  # the first survey sees another content than the parse after it

    def survey(path):
        found = survey_file(path)
        return dataclasses.replace(found, sha256="0" * 64) if next(wrong, False) else found

    monkeypatch.setattr(state_module, "survey_file", survey)
    assert searchlib.build(tmp_path / "ix", [source]).articles == 5
    wrong = iter([True] * state_module.READ_ATTEMPTS)
    with pytest.raises(searchlib.SearchlibError, match="changed while it was being read"):
        searchlib.build(tmp_path / "ix", [source], rebuild=True)
