"""Incremental builds: only what changed is read and indexed, and the result equals a full build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

import searchlib
from searchlib.engine.whoosh import writer as store
from searchlib.store.manifest import MANIFEST, SOURCES_STATE

from .conftest import SEED_IDS, SEEDS

QUERIES = ["Astana Declaration", "interreligious dialogue", "*", "peace", '"Pope Leo"', "river"]


def backdate(*paths: Path, seconds: float = 3600) -> None:
    """Give files an old modification time, as files not touched since the last build have."""
    stamp = time.time() - seconds
    for path in paths:
        os.utime(path, (stamp, stamp))


def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    shutil.copytree(SEEDS, folder)
    lines = [
        {"id": f"wire-{n}", "title": f"Wire story {n}", "date": f"2020-01-{n + 1:02d}",
         "text": f"Story {n} about the river port and its peace talks, number {n}."}
        for n in range(6)
    ]  # fmt: skip
    (folder / "wire.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    backdate(*folder.iterdir())
    return folder


def snapshot(path: Path) -> dict:
    """Everything a reader can observe: stored articles and rankings with scores."""
    ix = searchlib.open(path)
    ids = sorted(hit.id for hit in ix.search("*", limit=1000).hits)
    return {
        "articles": {i: ix.get(i) for i in ids},
        "rankings": {
            (query, sort): [
                (h.id, round(h.score, 9)) for h in ix.search(query, limit=50, sort=sort)
            ]
            for query in QUERIES
            for sort in ("relevance", "date")
        },
        "facets": ix.search("*").to_dict()["facets"],
    }


def generation(path: Path) -> str:
    return json.loads((path / MANIFEST).read_text())["generation"]


def test_no_change_build_reads_nothing_and_writes_no_generation(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    first = searchlib.build(path, [src])
    assert (first.full, first.added, first.articles) == (True, len(SEED_IDS) + 6, len(SEED_IDS) + 6)
    again = searchlib.build(path)
    assert again.full is False
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 11)
    assert again.files_parsed == 0 and again.files == 6
    assert generation(path) == first.generation == again.generation


def test_added_changed_and_removed_files(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    (src / "new.txt").write_text("A new article about the river.", encoding="utf-8")
    (src / f"{SEED_IDS[1]}.txt").write_text("Rewritten: the river rose.", encoding="utf-8")
    (src / f"{SEED_IDS[2]}.txt").unlink()
    report = searchlib.build(path)
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    assert report.unchanged == 11 - 2 and report.files_parsed == 2
    ix = searchlib.open(path)
    assert ix.get(SEED_IDS[2]) is None
    assert ix.get(SEED_IDS[1]).body == "Rewritten: the river rose."
    assert {h.id for h in ix.search("river", limit=20).hits} >= {"new", SEED_IDS[1]}


def test_one_changed_line_updates_one_article(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    wire = src / "wire.jsonl"
    lines = wire.read_text().splitlines()
    story = json.loads(lines[3])
    story["text"] = "Story 3 was corrected: the harbour, not the river."
    lines[3] = json.dumps(story)
    wire.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = searchlib.build(path)
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 0, 10)
    assert searchlib.open(path).get("wire-3").body.startswith("Story 3 was corrected")


def test_touched_files_are_hashed_not_parsed_and_then_trusted(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    backdate(*src.iterdir(), seconds=60)  # new times, same content
    touched = searchlib.build(path)
    assert (touched.files_parsed, touched.unchanged, touched.generation) == (0, 11, "gen-000001")
    state = json.loads((path / "gen-000001" / SOURCES_STATE).read_text())
    assert (
        state["files"][str(src / "wire.jsonl")]["stat"][1]
        == (src / "wire.jsonl").stat().st_mtime_ns
    )


def test_recently_modified_files_are_not_trusted_by_their_stat(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    (src / "fresh.txt").write_text("Written just now.", encoding="utf-8")
    searchlib.build(path, [src])
    state = json.loads((path / generation(path) / SOURCES_STATE).read_text())
    assert state["files"][str(src / "fresh.txt")]["stat"] is None
    assert state["files"][str(src / "wire.jsonl")]["stat"] is not None


def test_rebuild_reads_everything(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    report = searchlib.build(path, rebuild=True)
    assert (report.full, report.files_parsed, report.added) == (True, 6, 11)
    assert generation(path) == "gen-000002"


def test_a_changed_field_mapping_reads_the_files_again(tmp_path):
    src, path = tmp_path / "src", tmp_path / "ix"
    src.mkdir()
    (src / "a.jsonl").write_text(
        json.dumps({"id": "1", "text": "Body one.", "summary": "Summary one."}) + "\n"
    )
    backdate(src / "a.jsonl")
    searchlib.build(path, [src])
    report = searchlib.build(path, fields={"text": "summary"})
    assert (report.files_parsed, report.updated) == (1, 1)
    assert searchlib.open(path).get("1").body == "Summary one."
    # The mapping is remembered for the next build of this ad-hoc index.
    assert searchlib.build(path).updated == 0


def test_a_duplicate_id_takes_over_when_the_first_copy_goes(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    (src / "zz.jsonl").write_text(
        json.dumps({"id": "wire-2", "title": "Other copy", "text": "The later copy."}) + "\n"
    )
    backdate(src / "zz.jsonl")
    first = searchlib.build(path, [src])
    assert first.skipped == 1 and "duplicate id 'wire-2'" in first.problems[0].reason
    wire = src / "wire.jsonl"
    # A blank line in place of wire-2 keeps the other stories on their lines.
    wire.write_text(
        "".join(("" if "wire-2" in line else line) + "\n" for line in wire.read_text().splitlines())
    )
    report = searchlib.build(path)  # zz.jsonl is unchanged, yet its copy must now be indexed
    assert (report.updated, report.skipped) == (1, 0)
    assert searchlib.open(path).get("wire-2").body == "The later copy."
    assert snapshot(path) == snapshot_of_full_build(tmp_path, src)


def snapshot_of_full_build(tmp_path: Path, src: Path, aliases: Path | None = None) -> dict:
    fresh = tmp_path / f"fresh-{time.monotonic_ns()}"
    if aliases is not None:  # the same user aliases as the index compared with
        fresh.mkdir()
        shutil.copy(aliases, fresh / "aliases.toml")
    searchlib.build(fresh, [src])
    return snapshot(fresh)


def test_incremental_builds_equal_a_full_build(tmp_path, monkeypatch):
    # Tiny segments, so that updates and deletions hit several of them and merges happen.
    monkeypatch.setattr(store, "SEGMENT_DOCS", 3)
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    (src / f"{SEED_IDS[0]}.txt").unlink()
    (src / "added.md").write_text("Peace talks by the river, added later.", encoding="utf-8")
    wire = src / "wire.jsonl"
    wire.write_text(wire.read_text().replace("number 4", "number four, revised"))
    searchlib.build(path)
    (src / "wire.jsonl").write_text(wire.read_text().replace("peace talks", "trade"))
    searchlib.build(path)
    assert snapshot(path) == snapshot_of_full_build(tmp_path, src)


def test_incremental_build_leaves_the_previous_generation_untouched(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    old = path / generation(path)
    digests = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in old.iterdir()}
    before = snapshot(path)
    (src / f"{SEED_IDS[3]}.txt").unlink()
    (src / "x.txt").write_text("Another river article.", encoding="utf-8")
    searchlib.build(path)
    assert generation(path) == "gen-000002" and old.is_dir()
    assert {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in old.iterdir()} == digests
    # The old generation still answers exactly as before.
    manifest = json.loads((path / MANIFEST).read_text())
    (path / MANIFEST).write_text(json.dumps({**manifest, "generation": old.name}))
    assert snapshot(path) == before


def test_strict_stops_at_the_first_problem_and_changes_nothing(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    manifest = (path / MANIFEST).read_text()
    (src / "new.txt").write_text("A good new article.", encoding="utf-8")
    (src / "wire.jsonl").write_text((src / "wire.jsonl").read_text() + "{broken\n")
    with pytest.raises(searchlib.SourceProblemError, match=r"wire.jsonl:7: malformed JSON"):
        searchlib.build(path, strict=True)
    assert (path / MANIFEST).read_text() == manifest
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000001"]
    assert searchlib.open(path).get("new") is None
    assert searchlib.build(path).skipped == 1  # without --strict: reported, the rest indexed


def test_damaged_index_is_rebuilt_in_full_with_a_warning(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    (src / "new.txt").write_text("A new article.", encoding="utf-8")
    for segment in (path / generation(path)).glob("*.seg"):
        segment.write_bytes(segment.read_bytes()[:100])
    with pytest.raises(searchlib.IndexDamagedError):
        searchlib.open(path)
    report = searchlib.build(path)
    assert report.full and report.articles == 12 and report.skipped == 0
    assert any("cannot be updated" in p.reason and not p.skipped for p in report.problems)
    assert snapshot(path) == snapshot_of_full_build(tmp_path, src)


def test_check_lists_what_is_stale_and_changes_nothing(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    assert not searchlib.check(path).stale
    (src / "new.txt").write_text("New.", encoding="utf-8")
    (src / f"{SEED_IDS[0]}.txt").write_text("Changed.", encoding="utf-8")
    (src / f"{SEED_IDS[1]}.txt").unlink()
    report = searchlib.check(path)
    assert report.stale
    assert report.files_added == [str(src / "new.txt")]
    assert report.files_changed == [str(src / f"{SEED_IDS[0]}.txt")]
    assert report.files_removed == [str(src / f"{SEED_IDS[1]}.txt")]
    assert (report.changes.added, report.changes.updated, report.changes.deleted) == (
        ["new"],
        [SEED_IDS[0]],
        [SEED_IDS[1]],
    )
    assert searchlib.check(path).to_dict() == report.to_dict()  # checking changed nothing
    searchlib.build(path)
    assert not searchlib.check(path).stale


def test_check_of_a_damaged_index_says_so(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    segment = next((path / generation(path)).glob("*.seg"))
    segment.unlink()
    report = searchlib.check(path)
    assert report.damaged == [f"{generation(path)}/{segment.name} is missing"]
    assert report.update_command == f"searchlib index build --index {path} --rebuild"


def test_named_index_with_a_field_mapping(project):
    (project / "feeds").mkdir()
    (project / "feeds" / "news.csv").write_text(
        "doc_id,headline,published,body\nc1,Harbour news,2022-02-02,The harbour reopened.\n"
    )
    (project / "indexes" / "csv.toml").write_text(
        'name = "csv"\nsources = ["../feeds/*.csv"]\n\n[fields]\n'
        'id = "doc_id"\ntitle = "headline"\ndate = "published"\ntext = "body"\n'
    )
    report = searchlib.build("csv")
    assert (report.articles, report.skipped) == (1, 0)
    article = searchlib.open("csv").get("c1")
    assert (article.title, article.date, article.line) == ("Harbour news", "2022-02-02", 2)


def test_strict_also_stops_at_a_duplicate_id(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    (src / "copy.jsonl").write_text(json.dumps({"id": "wire-1", "text": "Again."}) + "\n")
    with pytest.raises(searchlib.SourceProblemError, match="duplicate id 'wire-1'"):
        searchlib.build(path, strict=True)
    assert generation(path) == "gen-000001"


def test_new_user_aliases_give_a_new_generation_without_reindexing(tmp_path):
    src, path = sources(tmp_path), tmp_path / "ix"
    searchlib.build(path, [src])
    table_before = (path / "gen-000001" / "entities.json").read_text()
    # A name the articles do not already join (they define "MWL" themselves).
    (path / "aliases.toml").write_text('[person]\n"Kassym-Jomart Tokayev" = ["K. Tokayev"]\n')
    report = searchlib.build(path)
    assert (report.generation, report.files_parsed, report.unchanged) == ("gen-000002", 0, 11)
    table_after = (path / "gen-000002" / "entities.json").read_text()
    assert table_after != table_before and "K. Tokayev" in table_after
    full = snapshot_of_full_build(tmp_path, src, path / "aliases.toml")
    assert snapshot(path)["articles"] == full["articles"]
    assert searchlib.build(path).generation == "gen-000002"  # and then nothing to do


def test_one_changed_line_of_a_large_file_analyses_one_article(tmp_path):
    lines = [
        json.dumps({"id": f"n{i}", "title": f"Note {i}", "text": f"Astana report number {i}."})
        for i in range(300)
    ]
    source = tmp_path / "news.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = searchlib.build(tmp_path / "ix", [source])
    assert first.analysed == 300
    lines[150] = json.dumps({"id": "n150", "title": "Note 150", "text": "Changed in Almaty."})
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = searchlib.build(tmp_path / "ix")
    assert (second.analysed, second.updated, second.unchanged) == (1, 1, 299)
    assert searchlib.build(tmp_path / "full", [source]).articles == 300
    assert snapshot(tmp_path / "ix")["articles"] == snapshot(tmp_path / "full")["articles"]


def test_stats_are_the_same_from_the_sidecar_and_from_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``stats()`` counts from the sidecar's columns (Whoosh's merged lexicons of 100
    segments took 8 s at 1M): Whoosh's counts, also when the only article with a word or a
    date goes, and those of the articles themselves."""
    monkeypatch.setattr(store, "SEGMENT_DOCS", 8)
    rows = [
        {"id": str(i), "title": f"t{i}", "text": f"common words here number {i} sugar"}
        | ({"date": f"1987-03-{1 + i % 28:02d}"} if i % 3 else {})
        for i in range(30)
    ]
    rows.append(
        {"id": "x", "title": "odd", "date": "2001-01-05", "text": "zebrawords quagganite common"}
    )
    source = tmp_path / "a.jsonl"
    keys = ("articles", "dated", "undated", "first_date", "last_date", "terms")

    def counts() -> dict[str, object]:
        whoosh, fast = (
            searchlib.open(tmp_path / "ix", engine="whoosh"),
            searchlib.open(tmp_path / "ix"),
        )
        with whoosh, fast:
            assert fast.engine == "sidecar"
            slow, quick = whoosh.stats(), fast.stats()
            assert {k: slow[k] for k in keys} == {k: quick[k] for k in keys}
            dates = sorted(a.date for a in fast.articles() if a.date)
            assert (quick["articles"], quick["dated"]) == (len(fast), len(dates))
            assert (quick["first_date"], quick["last_date"]) == (dates[0], dates[-1])
            return quick

    source.write_text("".join(json.dumps(row) + "\n" for row in rows), "utf-8")
    searchlib.build(tmp_path / "ix", [source])
    before = counts()
    source.write_text("".join(json.dumps(row) + "\n" for row in rows[:-1]), "utf-8")
    report = searchlib.build(tmp_path / "ix", [source])
    assert report.deleted == 1 and not report.full
    after = counts()
    assert after["terms"] == before["terms"] - 2  # (zebraword, quagganit)
    assert (before["last_date"], after["last_date"]) == ("2001-01-05", "1987-03-27")
    assert (after["articles"], after["dated"], after["undated"]) == (30, 20, 10)
