"""The command line, through Click's runner and once as the installed `search` command."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from searchlib.cli import cli, search_command

from .conftest import PAUSING_CLI, ROOT, SEED_IDS, SEEDS

DECLARATION = "000_0802c507da2f2354"
CLI_MAIN = "from searchlib.cli import main; main()"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_search_human_output(runner, seeds_index_path):
    result = runner.invoke(search_command, ["Astana Declaration", "--index", str(seeds_index_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith('4 articles for "Astana Declaration"')
    assert lines[2].startswith("  1. Senate Speaker Ashimbayev received in audience")
    assert DECLARATION in lines[3] and "undated" in lines[3] and "score" in lines[3]
    assert "Declaration" in result.output and "\x1b[" not in result.output  # no colour in a pipe


def test_search_words_without_quotes_are_one_query(runner, seeds_index_path):
    result = runner.invoke(
        search_command, ["Astana", "Declaration", "--json", "-i", str(seeds_index_path)]
    )
    assert json.loads(result.output)["query"] == "Astana Declaration"


def test_search_json_through_the_group(runner, seeds_index_path):
    result = runner.invoke(
        cli,
        [
            "search",
            "Congress",
            "--json",
            "--limit",
            "2",
            "--from",
            "2023",
            "-i",
            str(seeds_index_path),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 3 and len(data["hits"]) == 2
    assert all(hit["date"] >= "2023-01-01" for hit in data["hits"])
    assert sum(v["count"] for v in data["facets"]["year"]) == 3


def test_search_builds_a_missing_index_first(runner, project):
    result = runner.invoke(search_command, ["Astana Declaration", "--json"])
    assert result.exit_code == 0, result.output
    assert "not built yet" in result.stderr
    assert json.loads(result.stdout)["hits"][0]["id"] == DECLARATION


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (['"Astana Declaration'], "unbalanced quote"),
        (["Astana", "--from", "2023-13"], "invalid date '2023-13'"),
        (["Astana", "--index", "nope"], "no index named 'nope'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(runner, project, args, message):
    result = runner.invoke(search_command, args)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.output


def test_damaged_index_is_a_failure_with_a_hint(runner, tmp_path):
    path = tmp_path / "ix"
    runner.invoke(cli, ["index", "build", "--index", str(path), str(SEEDS)])
    manifest = json.loads((path / "searchlib.json").read_text())
    for segment in (path / manifest["generation"]).iterdir():
        segment.write_bytes(b"")
    result = runner.invoke(search_command, ["Astana", "--index", str(path)])
    assert result.exit_code == 1
    assert "damaged" in result.stderr and "searchlib index build" in result.stderr


def test_index_build_named_and_adhoc(runner, project, tmp_path):
    named = runner.invoke(cli, ["index", "build", "seeds"])
    assert named.exit_code == 0, named.output
    assert f"Indexed {len(SEED_IDS)} articles" in named.output
    target = tmp_path / "adhoc"
    adhoc = runner.invoke(cli, ["index", "build", "--index", str(target), str(SEEDS), "--json"])
    assert adhoc.exit_code == 0
    report = json.loads(adhoc.output)
    assert report["articles"] == len(SEED_IDS) and report["skipped"] == 0


def test_index_build_reports_skipped_files_and_exits_1(runner, tmp_path):
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "good.txt").write_text("A good article about Astana.", encoding="utf-8")
    (sources / "bad.jsonl").write_text('{"id": "1", "text": "fine"}\n{broken\n', encoding="utf-8")
    result = runner.invoke(cli, ["index", "build", "--index", str(tmp_path / "ix"), str(sources)])
    assert result.exit_code == 1
    assert f"skipped: {sources / 'bad.jsonl'}:2: malformed JSON" in result.stderr
    assert "Indexed 2 articles" in result.stdout


def test_index_build_of_a_missing_path_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(
        cli, ["index", "build", "--index", str(tmp_path / "ix"), str(tmp_path / "nothing")]
    )
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_show_and_stats(runner, seeds_index_path):
    shown = runner.invoke(cli, ["show", "004_776b0de49483b812", "-i", str(seeds_index_path)])
    assert shown.exit_code == 0
    assert "2021-03-01" in shown.output and "Museum of Peace and Reconciliation" in shown.output
    as_json = json.loads(
        runner.invoke(cli, ["show", DECLARATION, "--json", "-i", str(seeds_index_path)]).output
    )
    assert as_json["date"] is None and as_json["text"].startswith("The Kazakh Senate Speaker")
    missing = runner.invoke(cli, ["show", "nope", "-i", str(seeds_index_path)])
    assert missing.exit_code == 2 and "no article with id 'nope'" in missing.stderr
    stats = json.loads(runner.invoke(cli, ["stats", "--json", "-i", str(seeds_index_path)]).output)
    assert (stats["articles"], stats["dated"], stats["undated"]) == (5, 4, 1)
    assert (stats["first_date"], stats["last_date"]) == ("2021-03-01", "2025-09-16")


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_has_help(runner):
    for name, command in _commands(cli):
        assert command.help or command.short_help, name
        result = runner.invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name


@pytest.mark.slow
def test_installed_search_command_in_a_fresh_checkout(project):
    """The README's first command: `search "Astana Declaration"` at the root, nothing built."""
    executable = Path(sys.executable).parent / "search"
    assert executable.exists(), "install the package first: pip install -e ."
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("SEARCHLIB_INDEX", None)
    done = subprocess.run(
        [str(executable), "Astana Declaration"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "not built yet" in done.stderr
    first = next(line for line in done.stdout.splitlines() if line.strip().startswith("1."))
    assert "Senate Speaker Ashimbayev" in first
    assert DECLARATION in done.stdout.split("2.")[0]
    assert (project / "indexes" / "seeds" / "searchlib.json").is_file()


# -- incremental builds, check, strict, progress, bad input, damage -----------------------------


def _backdated_copy_of_seeds(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    old = time.time() - 3600
    for path in src.iterdir():
        os.utime(path, (old, old))
    return src


def test_build_reports_counts_and_check_exit_codes(runner, tmp_path):
    src, path = _backdated_copy_of_seeds(tmp_path), tmp_path / "ix"
    first = runner.invoke(cli, ["index", "build", "--index", str(path), str(src)])
    assert first.exit_code == 0, first.output
    assert "5 added, 0 updated, 0 deleted, 0 unchanged; 0 skipped" in first.stdout
    assert "s (full build): 5 added" in first.stdout  # five articles make no rate
    ok = runner.invoke(cli, ["index", "check", "--index", str(path)])
    assert ok.exit_code == 0 and "Up to date: 5 articles." in ok.stdout
    (src / "new.txt").write_text("A new article.", encoding="utf-8")
    (src / f"{SEED_IDS[0]}.txt").unlink()
    stale = runner.invoke(cli, ["index", "check", "--index", str(path)])
    assert stale.exit_code == 1
    assert "Stale: 1 file added, 0 changed, 1 removed; 1 article to add" in stale.stdout
    assert f"added file: {src / 'new.txt'}" in stale.stdout
    assert f"removed article: {SEED_IDS[0]}" in stale.stdout
    assert f"Update it with: searchlib index build --index {path}" in stale.stdout
    as_json = json.loads(runner.invoke(cli, ["index", "check", "-i", str(path), "--json"]).stdout)
    assert as_json["stale"] is True and as_json["articles_changed"]["added"] == ["new"]
    again = runner.invoke(cli, ["index", "build", "--index", str(path), "--json"])
    report = json.loads(again.stdout)
    assert (report["added"], report["deleted"], report["unchanged"], report["full"]) == (
        1,
        1,
        4,
        False,
    )
    assert runner.invoke(cli, ["index", "check", "--index", str(path)]).exit_code == 0
    rebuilt = json.loads(
        runner.invoke(cli, ["index", "build", "-i", str(path), "--rebuild", "--json"]).stdout
    )
    assert rebuilt["full"] is True and rebuilt["files_parsed"] == 5


def test_check_of_a_named_index(runner, project):
    assert runner.invoke(cli, ["index", "build", "seeds"]).exit_code == 0
    result = runner.invoke(cli, ["index", "check", "seeds"])
    assert result.exit_code == 0, result.output
    (project / "seeds" / "extra.txt").write_text("Extra.", encoding="utf-8")
    stale = runner.invoke(cli, ["index", "check", "seeds"])
    assert stale.exit_code == 1 and "Update it with: searchlib index build seeds" in stale.stdout


def test_strict_build_fails_with_the_problem_and_changes_nothing(runner, tmp_path):
    src, path = _backdated_copy_of_seeds(tmp_path), tmp_path / "ix"
    runner.invoke(cli, ["index", "build", "--index", str(path), str(src)])
    (src / "bad.jsonl").write_text('{"id": "1", "text": "fine"}\n{broken\n', encoding="utf-8")
    result = runner.invoke(cli, ["index", "build", "--index", str(path), "--strict"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: stopped at the first problem: {src / 'bad.jsonl'}:2: malformed JSON"
    )
    assert "the index was not changed" in result.stderr
    assert runner.invoke(cli, ["index", "check", "--index", str(path)]).exit_code == 1


def test_field_option_maps_csv_columns(runner, tmp_path):
    news = tmp_path / "news.csv"
    news.write_text("doc_id,headline,body\nn1,Rates rise,The bank raised rates.\n")
    path = tmp_path / "ix"
    args = ["index", "build", "--index", str(path), str(news), "--field", "id=doc_id"]
    result = runner.invoke(cli, [*args, "--field", "title=headline", "--field", "text=body"])
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, ["show", "n1", "-i", str(path), "--json"]).stdout)
    assert (shown["title"], shown["line"]) == ("Rates rise", 2)
    bad = runner.invoke(cli, [*args, "--field", "body"])
    assert bad.exit_code == 2 and "is not NAME=KEY" in bad.stderr
    unknown = runner.invoke(cli, [*args, "--field", "summary=body"])
    assert unknown.exit_code == 2 and "unknown article field 'summary'" in unknown.stderr


def test_bad_input_is_reported_once_each_and_the_rest_indexed(runner, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("A good article about the harbour.", encoding="utf-8")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text")
    (src / "latin.txt").write_bytes("Caf\xe9 by the harbour.".encode("latin-1"))
    (src / "empty.md").write_text("", encoding="utf-8")
    with (src / "huge.txt").open("wb") as handle:
        for _ in range(50):
            handle.write(b"harbour " * 131072)  # 50 MB in all
    (src / "lines.jsonl").write_text(
        '{"id": "j1", "text": "Harbour line one."}\n{oops\n{"id": "j3", "text": "Three."}\n'
    )
    (src / "rows.csv").write_text("id,title,text\nc1,Fine,Harbour row.\nc2,Short\n")
    (src / "broken.rss").write_text("<rss><channel><item><title>x", encoding="utf-8")
    (src / "loop").symlink_to(src)
    (src / "self.txt").symlink_to(src / "self.txt")
    result = runner.invoke(cli, ["index", "build", "--index", str(tmp_path / "ix"), str(src)])
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    expected = {
        f"{src / 'binary.txt'}: looks like a binary file",
        f"{src / 'empty.md'}: empty file",
        f"{src / 'huge.txt'}: 50.0 MB, over the 10 MB limit",
        f"{src / 'lines.jsonl'}:2: malformed JSON",
        f"{src / 'rows.csv'}:3: row has 2 columns",
        f"{src / 'broken.rss'}: not a readable RSS or Atom feed",
        f"{src / 'loop'}: symlink loop",
        f"{src / 'self.txt'}: cannot read: Too many levels of symbolic links",
    }
    assert len(reported) == len(expected)
    assert all(sum(line.startswith(f"skipped: {e}") for line in reported) == 1 for e in expected), (
        reported
    )
    assert f"warning: {src / 'latin.txt'}:1: not valid UTF-8" in result.stderr
    assert "Indexed 5 articles" in result.stdout and "8 skipped" in result.stdout
    found = runner.invoke(search_command, ["harbour", "--json", "-i", str(tmp_path / "ix")])
    assert {hit["id"] for hit in json.loads(found.stdout)["hits"]} == {"good", "latin", "j1", "c1"}


def _damage_stored_fields(path: Path) -> None:
    """Overwrite the stored fields inside the current segments, leaving the files' size and
    directory intact, so the index opens and fails only when articles are read."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    generation = path / json.loads((path / "searchlib.json").read_text())["generation"]
    for segment in generation.glob("*.seg"):
        compound = CompoundStorage(FileStorage(str(generation)).open_file(segment.name), "")
        data = bytearray(segment.read_bytes())
        for name, entry in compound._dir.items():
            if name.endswith("_stored.col"):
                start, length = entry["offset"], entry["length"]
                data[start : start + length] = b"\xff" * length
        segment.write_bytes(bytes(data))


@pytest.mark.slow
def test_damaged_index_after_an_incremental_build_for_every_command(runner, tmp_path):
    src, path = _backdated_copy_of_seeds(tmp_path), tmp_path / "ix"
    runner.invoke(cli, ["index", "build", "--index", str(path), str(src)])
    (src / "new.txt").write_text("Astana hosts a new congress.", encoding="utf-8")
    assert runner.invoke(cli, ["index", "build", "--index", str(path)]).exit_code == 0
    _damage_stored_fields(path)
    commands = [
        [sys.executable, "-c", "from searchlib.cli import search_main; search_main()", "Astana"],
        [sys.executable, "-c", CLI_MAIN, "search", "Astana", "--sort", "date"],
        [sys.executable, "-c", CLI_MAIN, "show", "new"],
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        done = subprocess.run(
            [*command, "--index", str(path)], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 1, (command, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"Error: index '{path}' is damaged:")
        assert f"rebuild it with: searchlib index build --index {path} --rebuild" in done.stderr
    rebuilt = runner.invoke(cli, ["index", "build", "--index", str(path), "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    hits = json.loads(runner.invoke(search_command, ["Astana", "-i", str(path), "--json"]).stdout)
    assert "new" in {hit["id"] for hit in hits["hits"]}


@pytest.mark.slow
def test_progress_bar_only_on_a_terminal(tmp_path):
    src, path = _backdated_copy_of_seeds(tmp_path), tmp_path / "ix"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEARCHLIB_TEST_PAUSE": "writing:2.5"}
    env.pop("CI", None)
    command = [sys.executable, "-c", PAUSING_CLI, "index", "build", "--index", str(path), str(src)]
    done, drawn = _on_a_terminal(command, env)
    assert done.returncode == 0
    # tqdm's bar with count, rate and time left, and it reached the end.
    assert b"Indexing: 100%|" in drawn and b" 5/5 [" in drawn and b" articles/s]" in drawn
    # Redrawn while the build is paused (no count changes), so the clock keeps running.
    assert len(set(re.findall(rb" 5/5 \[(\d\d:\d\d)<", drawn))) >= 2
    assert b"Indexed 5 articles" in done.stdout
    unpaused = {k: v for k, v in env.items() if k != "SEARCHLIB_TEST_PAUSE"}
    piped = subprocess.run(
        [*command[:-1], "--rebuild"], capture_output=True, env=unpaused, timeout=120, check=False
    )
    assert piped.returncode == 0 and b"\r" not in piped.stderr
    in_ci, drawn = _on_a_terminal([*command[:-1], "--rebuild"], {**unpaused, "CI": "true"})
    assert in_ci.returncode == 0 and b"Indexing" not in drawn and b"%|" not in drawn


def _on_a_terminal(
    command: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    """Run ``command`` with stderr on a pseudo-terminal; return it and what it drew there."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120, check=False
        )
        os.close(follower)
        drawn = b""
        while select.select([leader], [], [], 0.5)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    return done, drawn
