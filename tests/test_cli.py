"""The command line, through Click's runner and once as the installed `search` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from searchlib.cli import cli, search_command

from .conftest import SEED_IDS, SEEDS

DECLARATION = "000_0802c507da2f2354"


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
