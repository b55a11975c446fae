"""Shared fixtures: real indexes built from the bundled seed articles in temporary folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import searchlib

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.fixture(scope="session")
def seeds_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ad-hoc index of the seed articles, built once for the session."""
    path = tmp_path_factory.mktemp("indexes") / "seeds"
    report = searchlib.build(path, [SEEDS])
    assert report.articles == len(SEED_IDS)
    return path


@pytest.fixture(scope="session")
def ix(seeds_index_path: Path) -> searchlib.Index:
    return searchlib.open(seeds_index_path)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's seeds and index definitions, as the current folder, unbuilt."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "indexes").mkdir()
    shutil.copy(ROOT / "indexes" / "seeds.toml", tmp_path / "indexes" / "seeds.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path
