"""Hostile source files: bad input loses only itself, is reported with file and line, and
never hangs a build or takes unbounded memory (issue 14, item 2).

Each test builds a real index from hostile files made in ``tmp_path`` and checks that the
good records are searchable, that each problem names its file and line, and the exit code.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import searchlib
from searchlib.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def build(index: Path, *sources: Path) -> tuple[Result, dict[str, Any]]:
    """``searchlib index build --index INDEX SOURCES --json``: its result and JSON report."""
    args = ["index", "build", "--index", str(index), *map(str, sources), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    return result, json.loads(result.stdout)


def found(index: Path, query: str) -> set[str]:
    with searchlib.open(index) as ix:
        return {hit.id for hit in ix.search(query, limit=100).hits}


def problems_of(report: dict[str, Any]) -> dict[tuple[str, int | None], dict[str, Any]]:
    """The report's problems by (file name, line)."""
    return {(Path(p["source"]).name, p["line"]): p for p in report["problems"]}


def jsonl(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n")
    return path


def record(article_id: str, title: str, text: str, ascii: bool = False, **more: str) -> str:
    fields = {"id": article_id, "title": title, "text": text, **more}
    return json.dumps(fields, ensure_ascii=ascii)


def test_lone_surrogate_is_replaced_and_reported(tmp_path):
    # "\ud800" is valid JSON but no text can hold it: every build used to stop with a
    # traceback naming no file.
    src = jsonl(
        tmp_path / "news.jsonl",
        [
            record("a", "Harvest report", "Wheat prices fell in Kansas."),
            record(
                "b", "Broken \ud800 title", "Copper \udfff mines reopened in Chile.", ascii=True
            ),
            record("c", "Port strike", "Dockers walked out in Rotterdam."),
        ],
    )
    assert "\\ud800" in src.read_text()
    result, report = build(tmp_path / "ix", src)
    assert result.exit_code == 0, result.output
    assert report["articles"] == 3
    problem = problems_of(report)[("news.jsonl", 2)]
    assert not problem["skipped"] and "surrogate" in problem["reason"]
    assert f"{src}:2: " in result.stderr
    assert found(tmp_path / "ix", "copper") == {"b"}
    assert found(tmp_path / "ix", "wheat OR dockers") == {"a", "c"}
    with searchlib.open(tmp_path / "ix") as ix:
        article = ix.get("b")
        assert article is not None
        assert article.title == "Broken \ufffd title"
        assert article.body == "Copper \ufffd mines reopened in Chile."


def test_nul_byte_loses_only_its_line(tmp_path):
    # One raw NUL byte used to make the whole file "look binary" and skip it.
    src = jsonl(
        tmp_path / "news.jsonl",
        [
            record("a", "Harvest report", "Wheat prices fell in Kansas."),
            b'{"id": "b", "title": "Copper", "text": "Copper mines\x00 reopened in Chile."}',
            b'{"id": "x", "title": "Cut off", "text": "Half a rec\x00',
            record("c", "Port strike", "Dockers walked out in Rotterdam."),
        ],
    )
    result, report = build(tmp_path / "ix", src)
    assert result.exit_code == 1, result.output  # line 3 is lost
    assert report["articles"] == 3
    problems = problems_of(report)
    assert not problems[("news.jsonl", 2)]["skipped"]
    assert "NUL" in problems[("news.jsonl", 2)]["reason"]
    assert problems[("news.jsonl", 3)]["skipped"]
    assert ("news.jsonl", None) not in problems  # the file as a whole is read
    assert found(tmp_path / "ix", "wheat OR copper OR dockers") == {"a", "b", "c"}


def test_one_bad_byte_is_decoded_on_its_line_only(tmp_path):
    # One Windows-1252 line in a UTF-8 file used to turn every line into mojibake ("ZÃ¼rich").
    lines: list[str | bytes] = [
        record("a", "Zürich bank", "A Zürich bank raised its rates."),
        record("b", "Geneva talks", "Talks in Genève ended.")
        .encode("utf-8")
        .replace("è".encode(), "è".encode("cp1252")),
        record("c", "Café society", "Crème brûlée sales soared in Zürich."),
    ]
    src = jsonl(tmp_path / "news.jsonl", lines)
    text = tmp_path / "note.txt"
    text.write_bytes(
        "Zürich weather\n\nSnow in Zürich.\n".encode() + "Then sun in Genève.\n".encode("cp1252")
    )
    result, report = build(tmp_path / "ix", src, text)
    assert result.exit_code == 0, result.output
    problems = problems_of(report)
    assert set(problems) == {("news.jsonl", 2), ("note.txt", 4)}
    assert all("Windows-1252" in p["reason"] and not p["skipped"] for p in problems.values())
    assert found(tmp_path / "ix", "Zürich") == {"a", "c", "note"}
    assert found(tmp_path / "ix", "Genève") == {"b", "note"}
    with searchlib.open(tmp_path / "ix") as ix:
        assert "Zürich" in ix.get("a").body  # type: ignore[union-attr]
        assert "Genève" in ix.get("b").body  # type: ignore[union-attr]
        assert ix.get("note").body == "Snow in Zürich.\nThen sun in Genève."  # type: ignore[union-attr]


def test_unterminated_csv_quote_loses_only_its_row(tmp_path):
    src = tmp_path / "news.csv"
    src.write_text(
        "id,title,text\n"
        "1,Harvest,Wheat prices fell in Kansas.\n"
        '2,Broken,"This quote is never closed\n'
        "3,Copper,Copper mines reopened in Chile.\n"
        '4,"Port strike",Dockers walked out in Rotterdam.\n'
        '5,Multi,"A quoted text\nover two lines, about tin."\n',
        encoding="utf-8",
    )
    result, report = build(tmp_path / "ix", src)
    assert result.exit_code == 1, result.output
    problems = problems_of(report)
    assert list(problems) == [("news.csv", 3)]
    assert problems[("news.csv", 3)]["skipped"] and "quote" in problems[("news.csv", 3)]["reason"]
    assert found(tmp_path / "ix", "wheat OR copper OR dockers OR tin") == {"1", "3", "4", "5"}


def test_impossible_and_implausible_dates_are_warnings(tmp_path):
    src = jsonl(
        tmp_path / "news.jsonl",
        [
            record("good", "Harvest", "Wheat prices fell.", date="2024-02-29"),
            record("impossible", "Copper", "Copper mines reopened.", date="2025-02-30"),
            record("ancient", "Tin", "Tin prices rose.", date="0201-05-01"),
            record("future", "Zinc", "Zinc stocks fell.", date="2999-01-01"),
            record("words", "Lead", "Lead was mined.", date="last Tuesday"),
        ],
    )
    header = tmp_path / "header.txt"
    header.write_text(" date 2025-02-30 \nNickel report\n\nNickel output doubled.\n")
    result, report = build(tmp_path / "ix", src, header)
    assert result.exit_code == 0, result.output  # every article is kept
    assert report["articles"] == 6
    problems = problems_of(report)
    assert set(problems) == {
        ("news.jsonl", 2),
        ("news.jsonl", 3),
        ("news.jsonl", 4),
        ("news.jsonl", 5),
        ("header.txt", 1),
    }
    assert not any(p["skipped"] for p in problems.values())
    assert "2025-02-30" in problems[("news.jsonl", 2)]["reason"]
    assert "2025-02-30" in problems[("header.txt", 1)]["reason"]
    assert "implausible" in problems[("news.jsonl", 3)]["reason"]
    assert "implausible" in problems[("news.jsonl", 4)]["reason"]
    with searchlib.open(tmp_path / "ix") as ix:
        dates = {a.id: a.date for a in ix.articles()}
    assert dates == {
        "good": "2024-02-29",
        "impossible": None,
        "ancient": "0201-05-01",
        "future": "2999-01-01",
        "words": None,
        "header": None,
    }
    assert found(tmp_path / "ix", "copper OR nickel") == {"impossible", "header"}


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The CLI in a real process, killed (failing the test) if it hangs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "searchlib", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_special_files_are_skipped_never_opened(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("Harvest report\n\nWheat prices fell in Kansas.\n")
    os.mkfifo(src / "pipe.txt")  # opening it would wait for a writer forever
    os.mkfifo(src / "pipe.jsonl")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(src / "socket.csv"))
    (src / "null.txt").symlink_to(os.devnull)  # a character device
    ix = tmp_path / "ix"
    built = _cli("index", "build", "--index", str(ix), str(src), "--json")
    assert built.returncode == 1, built.stderr
    report = json.loads(built.stdout)
    assert report["articles"] == 1
    problems = problems_of(report)
    assert set(problems) == {
        ("pipe.txt", None),
        ("pipe.jsonl", None),
        ("socket.csv", None),
        ("null.txt", None),
    }
    assert "FIFO" in problems[("pipe.txt", None)]["reason"]
    assert "socket" in problems[("socket.csv", None)]["reason"]
    assert "device" in problems[("null.txt", None)]["reason"]
    assert all(p["skipped"] for p in problems.values())
    assert found(ix, "wheat") == {"good"}
    checked = _cli("index", "check", "--index", str(ix), "--json")
    assert "pipe.txt" in checked.stdout + checked.stderr
    # A FIFO named on the command line is refused as well.
    alone = _cli("index", "build", "--index", str(tmp_path / "ix2"), str(src / "pipe.txt"))
    assert "pipe.txt" in alone.stderr and "FIFO" in alone.stderr
    server.close()


@pytest.mark.slow
def test_huge_single_line_is_cut_in_bounded_memory(tmp_path):
    # A 5 MB one-line text used to take 2.3 GB (named-entity tagging of the whole text at once).
    src = tmp_path / "src"
    src.mkdir()
    sentence = "the oil price rose as markets in London and Paris heard from Reuters "
    body = (sentence * 30_000).strip()
    (src / "huge.txt").write_text("aardvark " + body + " zebrafinch")
    (src / "small.txt").write_text("Harvest report\n\nWheat prices fell in Kansas.\n")
    script = textwrap.dedent(
        f"""
        import json, resource, searchlib
        report = searchlib.build({str(tmp_path / "ix")!r}, [{str(src)!r}])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"peak_mb": peak, **report.to_dict()}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["articles"] == 2
    problems = problems_of(report)
    assert list(problems) == [("huge.txt", 1)]
    assert not problems[("huge.txt", 1)]["skipped"] and "cut" in problems[("huge.txt", 1)]["reason"]
    assert found(tmp_path / "ix", "aardvark") == {"huge"}
    assert found(tmp_path / "ix", "zebrafinch") == set()  # beyond the limit
    assert found(tmp_path / "ix", "wheat") == {"small"}
    assert report["peak_mb"] < 500, report["peak_mb"]


def test_title_only_records_are_indexed(tmp_path):
    src = jsonl(
        tmp_path / "news.jsonl",
        [
            record("a", "Harvest report", "Wheat prices fell in Kansas."),
            json.dumps({"id": "t1", "title": "Grain silo fire in Kansas"}),
            record("t2", "Copper strike ends in Chile", ""),
        ],
    )
    table = tmp_path / "news.csv"
    table.write_text("id,title,text\nt3,Dockers strike in Rotterdam,\n", encoding="utf-8")
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        "<item><guid>t4</guid><title>Tin prices soar in Bolivia</title></item>"
        "</channel></rss>"
    )
    nothing = jsonl(tmp_path / "empty.jsonl", [json.dumps({"id": "n", "title": " "})])
    result, report = build(tmp_path / "ix", src, table, feed, nothing)
    assert result.exit_code == 1, result.output  # the record with neither title nor text
    assert list(problems_of(report)) == [("empty.jsonl", 1)]
    assert report["articles"] == 4 + 1
    assert found(tmp_path / "ix", "grain") == {"t1"}
    assert found(tmp_path / "ix", "copper") == {"t2"}
    assert found(tmp_path / "ix", "title:dockers") == {"t3"}
    assert found(tmp_path / "ix", "tin") == {"t4"}
    assert found(tmp_path / "ix", "kansas") == {"a", "t1"}
    with searchlib.open(tmp_path / "ix") as ix:
        article = ix.get("t2")
        assert article is not None and article.body == "" and "Chile" in article.place
    shown = CliRunner().invoke(cli, ["search", "Chile", "--index", str(tmp_path / "ix"), "--json"])
    assert shown.exit_code == 0, shown.output
    assert [hit["id"] for hit in json.loads(shown.stdout)["hits"]] == ["t2"]
    shown = CliRunner().invoke(cli, ["show", "t1", "--index", str(tmp_path / "ix")])
    assert shown.exit_code == 0 and "Grain silo fire" in shown.output
