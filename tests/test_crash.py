"""Crash safety with real processes: a build killed (SIGKILL) at any moment leaves the previous
index intact and searchable, the next build recovers on its own, and searches keep working
while a build runs.

Builds run as real `searchlib index build` subprocesses. To kill one at a known point, the
subprocess pauses the build at a phase through ``build(on_phase=…)`` (see
``tests.conftest.PAUSING_CLI``).
"""

from __future__ import annotations

import json
import os
import random
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import searchlib
from searchlib.store.manifest import MANIFEST

from .conftest import PAUSE_VARIABLE, PAUSING_CLI, ROOT, SEEDS

#: Real build subprocesses killed at each phase: tens of seconds.
pytestmark = pytest.mark.slow

CLI = PAUSING_CLI
WORDS = [
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
    "council",
    "port",
    "election",
    "strike",
    "coffee",
    "shipping",
    "tariff",
    "drought",
    "harvest",
    "minister",
    "summit",
]


def start_build(path: Path, *sources: Path, pause: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(PAUSE_VARIABLE, None)
    if pause:
        env[PAUSE_VARIABLE] = pause
    command = [sys.executable, "-c", CLI, "index", "build", "--index", str(path), "-q"]
    return subprocess.Popen(
        [*command, *map(str, sources)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_pause(process: subprocess.Popen, point: str, timeout: float = 120) -> None:
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=1) and (line := process.stderr.readline()):
            if f"paused at {point}" in line:
                return
        elif process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"the build never paused at {point}: {process.stderr.read()}")


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL


def write_corpus(folder: Path, count: int, seed: int = 5) -> None:
    """Articles of random words, in one JSON Lines file."""
    rng = random.Random(seed)
    folder.mkdir(exist_ok=True)
    with (folder / "wire.jsonl").open("w", encoding="utf-8") as handle:
        for n in range(count):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "."
            handle.write(json.dumps({"id": f"w{n}", "title": f"Wire {n}", "text": text}) + "\n")


def observe(path: Path) -> tuple:
    """What one search sees: the number of matches and the ranked hits with their scores."""
    results = searchlib.open(path).search("peace river", limit=20)
    return results.total, [(h.id, round(h.score, 9)) for h in results.hits]


def assert_recovers_to(path: Path, expected: tuple, *sources: Path) -> None:
    done = start_build(path, *sources)
    _out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert observe(path) == expected
    current = json.loads((path / MANIFEST).read_text())["generation"]
    generations = sorted(p.name for p in path.glob("gen-*"))
    assert current in generations and len(generations) <= 2
    assert not list(path.glob(".*.tmp")) and not list(path.glob("gen-*/.*.tmp"))


@pytest.fixture
def changed_sources(tmp_path: Path) -> tuple[Path, Path, tuple, tuple]:
    """An index of the seeds, and sources that differ from it: (index, sources, old, new)."""
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    path = tmp_path / "ix"
    searchlib.build(path, [src])
    old = observe(path)
    write_corpus(src, 40)
    next(src.glob("*.txt")).unlink()
    reference = tmp_path / "reference"
    searchlib.build(reference, [src])
    return path, src, old, observe(reference)


@pytest.mark.parametrize("point", ["locked", "linked", "writing", "committed", "switched"])
def test_build_killed_at_each_point(changed_sources, point):
    path, src, old, new = changed_sources
    process = start_build(path, src, pause=point)
    wait_for_pause(process, point)
    kill(process)
    # Until the manifest switch the previous index answers; after it, the new one does.
    assert observe(path) == (new if point == "switched" else old)
    assert_recovers_to(path, new, src)


@pytest.mark.slow
def test_build_killed_after_various_delays(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    path = tmp_path / "ix"
    searchlib.build(path, [src])
    old = observe(path)
    write_corpus(src, 1500)
    reference = tmp_path / "reference"
    searchlib.build(reference, [src])
    new = observe(reference)
    for delay in (0.05, 0.8, 1.5, 4.0):
        process = start_build(path, src)
        time.sleep(delay)
        if process.poll() is None:
            kill(process)
        else:  # the machine was fast: the build finished before the kill
            assert process.returncode == 0
        # Killed before the manifest switch: the previous index; after it: the new one.
        state = observe(path)
        assert state in (old, new), f"killed after {delay} s"
        if state == new:
            break
    assert_recovers_to(path, new, src)


def test_searches_keep_working_during_a_build(changed_sources):
    path, src, old, new = changed_sources
    process = start_build(path, src, pause="writing:2")
    wait_for_pause(process, "writing")
    seen = []
    while process.poll() is None:
        seen.append(observe(path))  # the same open-and-search a user would do
    assert process.returncode == 0, process.stderr.read()
    assert old in seen and all(state in (old, new) for state in seen)
    assert observe(path) == new


def test_second_build_waits_then_fails_and_a_killed_holder_frees_the_lock(changed_sources):
    path, src, _old, new = changed_sources
    holder = start_build(path, src, pause="locked")
    wait_for_pause(holder, "locked")
    started = time.monotonic()
    with pytest.raises(searchlib.IndexLockedError) as caught:
        searchlib.build(path, [src], lock_timeout=0.5)
    assert time.monotonic() - started >= 0.5
    assert str(caught.value).startswith(f"index {path} is locked by process {holder.pid}")
    assert "wait for it to finish" in caught.value.hint
    kill(holder)  # the lock file still names the dead process, but the lock is free
    assert_recovers_to(path, new, src)
