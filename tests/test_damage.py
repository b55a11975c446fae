"""Damage is detected, named and repaired: each file of a generation against the size and
SHA-256 its build recorded (``index check``, ``--deep``, every build), the manifest's generation
confined to its own folder, and a rebuild hint that works for every kind of index.

Every test damages a real copy of a built index on disk the way the red-team pass of issue 14
did, then uses the real library and command line on it.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli
from searchlib.store.manifest import LEDGER, MANIFEST

from .conftest import SEED_IDS, SEEDS

QUERIES = ["Astana", "summit declaration", "Vatican Pope", "Kazakhstan religious leaders", "war"]


@pytest.fixture
def index(seeds_index_path: Path, tmp_path: Path) -> Path:
    """A copy of the session's built seeds index, to damage."""
    path = tmp_path / "one" / "ix"
    shutil.copytree(seeds_index_path, path)
    return path


def generation(path: Path) -> Path:
    return path / json.loads((path / MANIFEST).read_text())["generation"]


def observe(path: Path, engine: str = "auto") -> list:
    """What searches see: hits with their scores, and the person filter through the aliases."""
    with searchlib.open(path, engine=engine) as ix:
        seen = [[(h.id, round(h.score, 9)) for h in ix.search(q, limit=10).hits] for q in QUERIES]
        return [*seen, ix.search("", person="Ashimbaev").total]


def cli_run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_repaired_by_a_build(path: Path, damaged_file: str, expected: list) -> None:
    """``index build`` (no --rebuild) names the damage, builds afresh, and the index is whole."""
    report = searchlib.build(path)
    warnings = [str(p) for p in report.problems]
    assert report.full and report.skipped == 0
    assert any(damaged_file in w and "building it afresh" in w for w in warnings), warnings
    assert searchlib.check(path).damaged == []
    assert not searchlib.check(path, deep=True).damaged
    assert observe(path) == expected


def test_random_values_in_a_sidecar_array_are_found_and_repaired(index):
    before = observe(index, engine="sidecar")
    tf = generation(index) / "impacts-tf.npy"
    values = np.load(tf)
    table = np.load(tf.with_name("impacts-tf_values.npy"))
    assert values.dtype == np.uint16  # (codes into the table of the distinct values)
    size = tf.stat().st_size
    other = np.random.default_rng(1).integers(0, len(table), values.shape).astype(np.uint16)
    np.save(tf, other, allow_pickle=False)
    assert tf.stat().st_size == size  # the same size: only the content tells
    assert observe(index, engine="sidecar") != before  # silently wrong rankings, unchecked

    report = searchlib.check(index)
    assert report.damaged == [
        f"{tf.parent.name}/impacts-tf.npy differs from what its build wrote (SHA-256)"
    ]
    shown = cli_run("index", "check", "--index", str(index))
    assert shown.exit_code == 1
    assert "Damaged: 1 problem." in shown.output and "impacts-tf.npy" in shown.output
    assert f"Repair it with: searchlib index build --index {index} --rebuild" in shown.output
    assert (
        json.loads(cli_run("index", "check", "--index", str(index), "--json").output)["damaged"]
        == report.damaged
    )
    assert_repaired_by_a_build(index, "impacts-tf.npy", before)


def test_a_deleted_entity_table_is_an_error_not_lost_aliases(index):
    before = observe(index)
    assert before[-1] == 5  # "Ashimbaev" finds every spelling of the name through the table
    (generation(index) / "entities.json").unlink()
    with pytest.raises(searchlib.IndexDamagedError, match=r"entities\.json is missing") as caught:
        observe(index)
    assert caught.value.hint == f"rebuild it with: searchlib index build --index {index} --rebuild"
    assert searchlib.check(index).damaged == [f"{generation(index).name}/entities.json is missing"]
    assert_repaired_by_a_build(index, "entities.json", before)


def test_out_of_range_sidecar_ids_are_damage_not_an_index_error(index):
    before = observe(index)
    docs_file = generation(index) / "impacts-docs.npy"
    docs = np.load(docs_file)
    np.save(docs_file, docs + np.int32(1_000_000), allow_pickle=False)

    with pytest.raises(searchlib.IndexDamagedError, match="IndexError") as caught:
        observe(index, engine="sidecar")
    assert "--rebuild" in caught.value.hint
    assert searchlib.check(index).damaged == [
        f"{docs_file.parent.name}/impacts-docs.npy differs from what its build wrote (SHA-256)"
    ]
    # An index whose build recorded no checksums: the deep check still reads the ids.
    manifest = json.loads((index / MANIFEST).read_text())
    del manifest["files"]
    (index / MANIFEST).write_text(json.dumps(manifest))
    assert searchlib.check(index).damaged == []
    assert searchlib.check(index, deep=True).damaged == [
        f"{docs_file.parent.name}/impacts-docs.npy holds ids outside 0..{len(SEED_IDS) - 1}"
    ]
    searchlib.build(index, rebuild=True)
    assert observe(index) == before


def test_garbage_inside_a_segment_is_found_and_repaired(index):
    before = observe(index)
    segment = max(generation(index).glob("*.seg"), key=lambda p: p.stat().st_size)
    with segment.open("r+b") as handle:
        handle.seek(segment.stat().st_size // 2)
        handle.write(np.random.default_rng(2).bytes(4096))
    found = searchlib.check(index).damaged
    assert found == [
        f"{segment.parent.name}/{segment.name} differs from what its build wrote (SHA-256)"
    ]
    assert searchlib.check(index, deep=True).damaged == found
    assert_repaired_by_a_build(index, segment.name, before)


def test_a_manifest_never_serves_a_generation_outside_its_folder(index, seeds_index_path, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(seeds_index_path, other)
    (other / "gen-000001").rename(other / "gen-000002")
    other_files = sorted(str(p.relative_to(other)) for p in other.rglob("*"))
    manifest = json.loads((index / MANIFEST).read_text())
    manifest["generation"] = "../../other/gen-000002"
    (index / MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(searchlib.IndexDamagedError, match="not a generation folder"):
        searchlib.open(index).search("Astana")
    with pytest.raises(searchlib.IndexDamagedError, match="not a generation folder"):
        searchlib.check(index)
    report = searchlib.build(index)
    assert report.full
    assert any("../../other/gen-000002" in str(p) for p in report.problems)
    assert generation(index).parent == index
    assert sorted(str(p.relative_to(other)) for p in other.rglob("*")) == other_files
    assert len(searchlib.open(index)) == len(SEED_IDS)


def test_the_rebuild_hint_of_a_damaged_manifest_works_for_an_ad_hoc_index(index):
    (index / MANIFEST).write_bytes(b"\x00garbage{")
    with pytest.raises(searchlib.IndexDamagedError) as caught:
        searchlib.open(index)
    hint = caught.value.hint.removeprefix("rebuild it with: ")
    assert hint == f"searchlib index build --index {index} --rebuild"
    done = cli_run(*shlex.split(hint)[1:])  # exactly the command the user is told to run
    assert done.exit_code == 0, done.output
    assert len(searchlib.open(index)) == len(SEED_IDS)


def test_without_manifest_and_ledger_the_hint_asks_for_the_sources(index):
    (index / MANIFEST).write_bytes(b"{")
    (index / LEDGER).unlink()
    with pytest.raises(searchlib.IndexDamagedError) as caught:
        searchlib.open(index)
    assert caught.value.hint == (
        f"rebuild it with: searchlib index build --index {index} --rebuild FILES... "
        "(the files and folders it was built from)"
    )
    done = cli_run("index", "build", "--index", str(index), "--rebuild", str(SEEDS))
    assert done.exit_code == 0, done.output
    assert len(searchlib.open(index)) == len(SEED_IDS)


def test_the_manifest_records_every_file_of_each_generation(index, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    for rebuild in (True, False):  # a full build, then an incremental one over links
        if not rebuild:
            (src / "extra.txt").write_text("Extra report\n\nA harbour strike in Astana.")
        searchlib.build(index, [src], rebuild=rebuild)
        recorded = json.loads((index / MANIFEST).read_text())["files"]
        folder = generation(index)
        on_disk = {
            p.name for p in folder.iterdir() if not p.name.startswith(".") and "LOCK" not in p.name
        }
        assert set(recorded) == on_disk
        for name, (size, digest) in recorded.items():
            assert (folder / name).stat().st_size == size
            assert searchlib.store.integrity.file_digest(folder / name) == digest
        assert searchlib.check(index, deep=True).damaged == []
