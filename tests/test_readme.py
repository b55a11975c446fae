"""The README runs: its Python blocks are executed and its commands run as real subprocesses.

Everything runs in a temporary copy of the project (see ``copy_project``), with searchlib
imported from the copy; paths under /tmp in the README are redirected into a temporary folder.
Shown output is compared where ranking cannot change it: the header, the top hit (scores
masked), facets and timelines. Hits ranked second and lower may move as ranking is tuned.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import tomllib

from .conftest import ROOT, copy_project

#: Runs every command and code block of the README: over a minute.
pytestmark = pytest.mark.slow

README = (ROOT / "README.md").read_text("utf-8")
BIN = Path(sys.executable).parent
# Commands the README shows but the tests must not run (patterns searched in each command of
# an `a && b` chain), and why.
NOT_RUN = {
    r"^pip ": "installs packages",
    r"^pytest": "is the test suite itself",
    r"^(ruff|mypy) ": "is checked by CI, not by the tests",
    r"^bash \.ci/run": "creates a virtual environment and installs",
    r"\.\./shared/data": "needs the evaluation data kept outside the repository",
    r"^python benchmarks/": "takes minutes and needs the evaluation data",
    r"^searchlib serve": "serves until stopped; tests/test_serve_cli.py runs it",
    r"^jupyter ": "opens the notebook in a browser; tests/test_notebook.py runs the tour",
}


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


@dataclass
class Command:
    """A command from a console block and the output the README shows for it, if any."""

    line: str
    shown: list[str] = field(default_factory=list)


def console_blocks() -> list[list[Command]]:
    """The commands of each console block: its ``$`` lines with the output shown under them,
    or, in a block without ``$``, every line."""
    result = []
    for block in blocks("console"):
        lines = block.splitlines()
        if not any(line.startswith("$ ") for line in lines):
            result.append([Command(line) for line in lines if line.strip()])
            continue
        commands: list[Command] = []
        for line in lines:
            if line.startswith("$ "):
                commands.append(Command(line[2:]))
            elif commands:
                commands[-1].shown.append(line)
        result.append(commands)
    return result


def runnable(command: str) -> str:
    """The parts of an ``a && b`` chain that the tests run."""
    parts = [part.strip() for part in command.split("&&")]
    return " && ".join(p for p in parts if not any(re.search(skip, p) for skip in NOT_RUN))


def redirect_tmp(text: str, tmp: Path) -> str:
    return text.replace("/tmp/", f"{tmp}/")


def environment(project: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(project), "NO_COLOR": "1", "COLUMNS": "100"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"  # no display: plot into memory
    env.pop("SEARCHLIB_INDEX", None)
    return env


def masked(line: str) -> str:
    """A line with what varies from run to run (scores, timings) masked."""
    line = re.sub(r"score \d+\.\d+", "score #", line.rstrip())
    return re.sub(r"\d+\.\d+ s\b", "# s", line)


HIT_START = re.compile(r"^\s*(\d+)\. ")


def stable_lines(shown: list[str]) -> list[str]:
    """The shown lines that ranking cannot change: all but those of hits ranked 2 and lower."""
    kept, rank = [], None
    for line in shown:
        if start := HIT_START.match(line):
            rank = int(start[1])
        elif not line.strip():
            rank = None
        if rank is None or rank == 1:
            kept.append(masked(line))
    return kept


def hit_count(lines: list[str]) -> int:
    return sum(1 for line in lines if HIT_START.match(line))


def test_readme_has_what_these_tests_check():
    commands = [command for block in console_blocks() for command in block]
    assert any(c.line.startswith("search ") for c in commands)
    assert any(c.line.startswith("searchlib timeline") for c in commands)
    assert sum(1 for c in commands if c.shown) >= 2
    assert len(blocks("python")) >= 2


def run_block(commands: list[Command], folder: Path) -> tuple[int, list[str]]:
    """Run one console block's commands in order, in a fresh project copy; return how many
    ran and what failed."""
    project = copy_project(folder / "project")
    scratch = folder / "scratch"
    scratch.mkdir()
    env = environment(project)
    ran, failures = 0, []
    for command in commands:
        line = redirect_tmp(runnable(command.line), scratch)
        if not line:
            continue
        done = subprocess.run(
            line,
            shell=True,
            executable="/bin/bash",
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        ran += 1
        if done.returncode != 0:
            failures.append(f"$ {command.line}\nexit {done.returncode}\n{done.stderr}")
            continue
        if command.shown:
            real = [masked(x) for x in done.stderr.splitlines() + done.stdout.splitlines()]
            missing = [x for x in stable_lines(command.shown) if x.strip() and x not in real]
            if missing or hit_count(command.shown) != hit_count(real):
                failures.append(
                    f"$ {command.line}\nshown but not printed: {missing}\n"
                    f"real output:\n{done.stderr}{done.stdout}"
                )
    return ran, failures


def test_console_commands_run_and_show_their_real_output(tmp_path):
    assert (BIN / "search").exists(), "install the package first: pip install -e ."
    # Each block starts from a fresh, unbuilt copy, as the README tells it; blocks run side by
    # side because each command pays the interpreter's start-up.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(
            pool.map(
                run_block,
                console_blocks(),
                [tmp_path / f"block{n}" for n in range(len(console_blocks()))],
            )
        )
    failures = [failure for _, block_failures in outcomes for failure in block_failures]
    assert failures == [], "\n\n".join(failures)
    assert sum(ran for ran, _ in outcomes) >= 10


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_python_blocks_run(number, tmp_path):
    project = copy_project(tmp_path / "project")
    (tmp_path / "scratch").mkdir()
    code = redirect_tmp(blocks("python")[number], tmp_path / "scratch")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{code}\n{done.stderr}"


def test_json_example_has_the_real_shape(ix):
    shown = json.loads(blocks("json")[0])
    real = ix.search("Astana Declaration").to_dict()
    assert set(shown) == set(real)
    assert set(shown["hits"][0]) == set(real["hits"][0])
    assert set(shown["hits"][0]["entities"]) == set(real["hits"][0]["entities"])
    assert set(shown["facets"]) == set(real["facets"])


def test_index_definition_example_matches_the_real_file():
    shown = tomllib.loads(blocks("toml")[0])
    real = tomllib.loads((ROOT / "indexes" / "seeds.toml").read_text("utf-8"))
    assert shown == real
