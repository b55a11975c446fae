"""A build touches only what it made, Ctrl-C ends it in one line with the previous index
intact, and its worker processes end with it, however it ends.

Builds interrupted or killed run as real ``searchlib index build`` subprocesses in a session of
their own (as a terminal's Ctrl-C reaches a whole process group), paused at a phase through
``build(on_phase=…)`` (see ``tests.conftest.PAUSING_CLI``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli
from searchlib.store.manifest import MANIFEST

from .conftest import PAUSE_VARIABLE, PAUSING_CLI, ROOT, SEEDS


def foreign_files(folder: Path) -> dict[str, str]:
    """Files a user keeps in ``folder``, named like a build's own (gen-*, .*.tmp)."""
    made = {
        "gen-2024-photos/important.txt": "holiday photos",
        "gen-000777/notes.txt": "not a generation of any index",
        ".draft.tmp": "unsaved draft",
    }
    for name, text in made.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return made


def test_a_build_refuses_a_folder_that_is_not_an_index(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    kept = foreign_files(folder)
    before = sorted(p.name for p in folder.iterdir())
    done = CliRunner().invoke(cli, ["index", "build", "--index", str(folder), str(SEEDS)])
    assert done.exit_code == 2
    assert f"Error: {folder} is not a searchlib index and is not empty" in done.output
    assert "build into a new or empty folder" in done.output
    with pytest.raises(searchlib.NotAnIndexError):
        searchlib.build(folder, [SEEDS])
    assert sorted(p.name for p in folder.iterdir()) == before  # not even a lock file
    assert all((folder / name).read_text() == text for name, text in kept.items())


def test_a_build_removes_only_the_generations_it_made(seeds_index_path, tmp_path):
    path = tmp_path / "ix"
    shutil.copytree(seeds_index_path, path)
    kept = foreign_files(path)
    for _ in range(3):  # each build switches to a new generation and removes its own old ones
        searchlib.build(path, rebuild=True)
    current = json.loads((path / MANIFEST).read_text())["generation"]
    ours = {p.name for p in path.glob("gen-*")} - {"gen-2024-photos", "gen-000777"}
    assert current in ours and len(ours) == 2  # the current and the previous one
    assert "gen-000001" not in ours
    assert all((path / name).read_text() == text for name, text in kept.items())
    assert len(searchlib.open(path)) == 5


# -- real build processes ----------------------------------------------------------------------


def start_build(path: Path, *args: str, pause: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(PAUSE_VARIABLE, None)
    if pause:
        env[PAUSE_VARIABLE] = pause
    command = [sys.executable, "-c", PAUSING_CLI, "index", "build", "--index", str(path), "-q"]
    return subprocess.Popen(
        [*command, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # and Ctrl-C delivered as there, even when these tests run as a background job (whose
        # shell ignores SIGINT, which Python would then never turn into KeyboardInterrupt)
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_pause(process: subprocess.Popen, point: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if f"paused at {point}" in line:
            return
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"the build never paused at {point}")


def group_members(group: int) -> list[int]:
    """The live processes of process group ``group`` (the build and what it started)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def wait_until_gone(group: int, timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := group_members(group)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def end_group(group: int) -> None:
    """Kill what is left of a test's own build (so that a failing test leaves nothing)."""
    for pid in group_members(group):
        os.kill(pid, signal.SIGKILL)


def write_corpus(folder: Path, count: int) -> None:
    """Short articles of random words: enough for several segments of a full build."""
    rng = random.Random(3)
    words = [
        "harbour",
        "river",
        "grain",
        "cocoa",
        "oil",
        "talks",
        "peace",
        "market",
        "rates",
        "bank",
        "storm",
        "port",
    ]
    folder.mkdir()
    with (folder / "wire.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(count):
            text = " ".join(rng.choice(words) for _ in range(12)) + "."
            handle.write(json.dumps({"id": f"w{n}", "title": f"Wire {n}", "text": text}) + "\n")


def observe(path: Path) -> tuple:
    results = searchlib.open(path).search("peace river", limit=20)
    return results.total, [(h.id, round(h.score, 9)) for h in results.hits]


@pytest.fixture
def big_rebuild(seeds_index_path: Path, tmp_path: Path) -> tuple[Path, Path, tuple]:
    """An index of the seeds, and 2,500 other articles to rebuild it from (three segments)."""
    path = tmp_path / "ix"
    shutil.copytree(seeds_index_path, path)
    src = tmp_path / "src"
    write_corpus(src, 2500)
    return path, src, observe(path)


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_during_the_write_phase_is_one_line_and_changes_nothing(big_rebuild, workers):
    path, src, old = big_rebuild
    process = start_build(path, str(src), "--rebuild", "--workers", workers, pause="writing:3")
    try:
        wait_for_pause(process, "writing")  # a segment written, the next ones under way
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 130, err
        assert err.splitlines() == ["Interrupted: the index is as the last finished build left it."]
        assert wait_until_gone(process.pid) == []
    finally:
        end_group(process.pid)
    assert observe(path) == old
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000001"]
    assert searchlib.check(path).damaged == []


@pytest.mark.slow
def test_workers_exit_with_a_killed_build(big_rebuild):
    path, src, old = big_rebuild
    process = start_build(path, str(src), "--rebuild", "--workers", "2", pause="writing")
    try:
        wait_for_pause(process, "writing")
        assert len(group_members(process.pid)) >= 4  # the build, 2 workers, their servers
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert wait_until_gone(process.pid) == []
    finally:
        end_group(process.pid)
    assert observe(path) == old
    # The next build removes the killed one's generation (its ledger names it), nothing else.
    (path / "gen-2024-photos").mkdir()
    done = start_build(path)
    assert done.wait(300) == 0, done.stderr.read() if done.stderr else ""
    assert sorted(p.name for p in path.glob("gen-*")) == ["gen-000001", "gen-2024-photos"]
