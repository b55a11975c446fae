"""Reading files into source records; problems are reported with file and line, not raised."""

from __future__ import annotations

import json

import pytest

from searchlib.errors import SourceError
from searchlib.sources import Problem, SourceRecord, find_files, read_sources

from .conftest import SEED_IDS, SEEDS


def test_seed_ids_are_file_stems():
    records = [r for r in read_sources([SEEDS]) if isinstance(r, SourceRecord)]
    assert [r.id for r in records] == SEED_IDS
    assert SEED_IDS[0] == "000_0802c507da2f2354"
    assert all(len(r.content_hash) == 64 for r in records)


def test_jsonl_records_and_bad_lines(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"id": 1, "title": "One", "date": "1987-03-01", "text": "first"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": "3", "title": "No text"}),
        "",
        json.dumps({"id": "4", "title": None, "date": None, "text": "fourth"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_sources([path]))
    records = [i for i in items if isinstance(i, SourceRecord)]
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(r.id, r.title, r.date, r.line) for r in records] == [
        ("1", "One", "1987-03-01", 1),
        ("4", None, None, 6),
    ]
    assert [(p.line, p.skipped) for p in problems] == [(2, True), (3, True), (4, True)]
    assert str(problems[0]).startswith(f"{path}:2: malformed JSON")


def test_binary_empty_and_misencoded_files(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 PNG")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Café in Zürich".encode("cp1252"))
    items = {
        getattr(i, "id", None) or i.source.rsplit("/", 1)[-1]: i for i in read_sources([tmp_path])
    }
    assert "binary" in items["binary.txt"].reason
    assert "empty" in items["empty.txt"].reason
    latin = items["latin"]
    assert isinstance(latin, SourceRecord) and latin.text == "Café in Zürich"
    warnings = [i for i in read_sources([tmp_path / "latin.txt"]) if isinstance(i, Problem)]
    assert len(warnings) == 1 and not warnings[0].skipped


def test_folders_are_walked_in_order_and_unknown_files_ignored(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Z text", encoding="utf-8")
    (tmp_path / "a.md").write_text("A text", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    assert [p.name for p in find_files([tmp_path])] == ["a.md", "z.txt"]


def test_missing_path_and_empty_glob_are_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        find_files([tmp_path / "missing"])
    with pytest.raises(SourceError, match="matches no files"):
        find_files([str(tmp_path / "*.txt")])
