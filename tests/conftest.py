"""Shared fixtures: real indexes built from the bundled seed articles in temporary folders."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import searchlib
import searchlib.engine.whoosh.schema
import searchlib.prepare.articles
import searchlib.prepare.entities

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))
REUTERS = ROOT.parent / "shared" / "data" / "reuters21578" / "docs.jsonl"
#: The Reuters articles of the identity tests: enough for thousands of distinct words.
REUTERS_HEAD = 2000

#: Entities found per (text, dateline), kept for the session by :func:`entities_remembered`.
_FOUND: dict[tuple[str, str], searchlib.prepare.entities.ArticleEntities] = {}


@contextlib.contextmanager
def entities_remembered() -> Iterator[None]:
    """Builds inside tag each text once per session: tagging is pure and most of a build's
    time, and the identity tests build the same Reuters articles several ways."""
    find = searchlib.prepare.articles.find_entities

    def remembered(text: str, dateline: str = "") -> searchlib.prepare.entities.ArticleEntities:
        key = (text, dateline)
        if key not in _FOUND:
            _FOUND[key] = find(text, dateline)
        return _FOUND[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.prepare.articles, "find_entities", remembered)
        yield


@contextlib.contextmanager
def whoosh_positions() -> Iterator[None]:
    """Builds inside write Whoosh's own positions of the title and body (as indexes written
    before the sidecar kept them alone): the phrase tests' reference for Whoosh's matching."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.engine.whoosh.schema, "WHOOSH_POSITIONS", True)
        yield


@contextlib.contextmanager
def whoosh_frequency_values() -> Iterator[None]:
    """Builds inside write each frequency in Whoosh's posting values too (``Frequency``), as
    indexes written before ``Counts``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.engine.whoosh.schema, "WHOOSH_FREQUENCY_VALUES", True)
        yield


def has_whoosh_positions(ix: searchlib.Index) -> bool:
    """Whether Whoosh keeps the positions of the body's words in ``ix``."""
    return bool(ix._engine.searcher().schema["body"].format.supports("positions"))


def reuters_head() -> list[str]:
    """The first :data:`REUTERS_HEAD` lines of Reuters-21578, or the test is skipped."""
    if not REUTERS.is_file():
        pytest.skip(f"Reuters-21578 is not at {REUTERS}")
    with REUTERS.open(encoding="utf-8") as lines:
        return [next(lines) for _ in range(REUTERS_HEAD)]


@pytest.fixture(scope="session")
def reuters_ix(tmp_path_factory: pytest.TempPathFactory) -> searchlib.Index:
    """An index of the first Reuters articles, built once for the identity tests (which only
    read it). Only tests/test_reuters_identity.py uses it: each xdist process that runs a user
    builds it again."""
    folder = tmp_path_factory.mktemp("reuters")
    (folder / "r.jsonl").write_text("".join(reuters_head()), "utf-8")
    with entities_remembered():
        searchlib.build(folder / "ix", [folder / "r.jsonl"])
    return searchlib.open(folder / "ix")


@pytest.fixture(scope="session")
def reuters_positions_ix(tmp_path_factory: pytest.TempPathFactory) -> searchlib.Index:
    """:func:`reuters_ix` as written with Whoosh's own positions (see :func:`whoosh_positions`):
    the phrase tests' reference."""
    folder = tmp_path_factory.mktemp("reuters-positions")
    (folder / "r.jsonl").write_text("".join(reuters_head()), "utf-8")
    with entities_remembered(), whoosh_positions():
        searchlib.build(folder / "ix", [folder / "r.jsonl"])
    return searchlib.open(folder / "ix")


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


def copy_project(target: Path) -> Path:
    """Copy the package, seeds, index definitions and examples into ``target``, unbuilt.

    Code run there (the README's commands, the notebook) builds its indexes inside the copy,
    and imports searchlib from it when ``PYTHONPATH`` points at it.
    """
    ignore = shutil.ignore_patterns("__pycache__", ".*")
    for folder in ("searchlib", "seeds", "examples"):
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    (target / "indexes").mkdir()
    for definition in (ROOT / "indexes").glob("*.toml"):
        shutil.copy(definition, target / "indexes")
    return target


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's seeds and index definitions, as the current folder, unbuilt."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "indexes").mkdir()
    shutil.copy(ROOT / "indexes" / "seeds.toml", tmp_path / "indexes" / "seeds.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Articles with entities and with markup that must never reach a notebook as HTML.
HOSTILE_ARTICLES = [
    {
        "id": "xss-1",
        "title": "<script>alert(1)</script> Summit in Astana",
        "date": "2024-05-01",
        "text": 'Officials said <img src=x onerror="alert(1)"> the summit in Astana & Almaty '
        "went on. The summit closed with <b>bold</b> claims.",
        "entities": {"person": ["<b>Eve</b>", "Kassym-Jomart Tokayev"], "org": ["Acme & Co"]},
    },
    {
        "id": "plain-2",
        "title": "Second summit report",
        "date": "2023-02-10",
        "text": "Another summit, this time in Almaty, with Kassym-Jomart Tokayev.",
        "entities": {"person": ["Kassym-Jomart Tokayev"], "place": ["Almaty"]},
    },
    {
        "id": "undated-3",
        "title": "An undated note",
        "text": "A note about a summit, with no date.",
        "entities": {},
    },
]


@pytest.fixture(scope="session")
def entity_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of HOSTILE_ARTICLES whose articles carry entities.

    Sources cannot state entities (a tagger in analysis will find them), so the build is run
    with analysis's ``prepare`` wrapped to add the entities each article should have.
    """
    folder = tmp_path_factory.mktemp("entities")
    source = folder / "articles.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({k: v for k, v in a.items() if k != "entities"}) for a in HOSTILE_ARTICLES
        ),
        encoding="utf-8",
    )
    entities = {a["id"]: a["entities"] for a in HOSTILE_ARTICLES}
    prepare = searchlib.prepare.articles.prepare

    def prepare_with_entities(record):  # the same article, with its entities
        article = prepare(record)
        return dataclasses.replace(
            article, **{k: tuple(v) for k, v in entities[article.id].items()}
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.prepare.articles, "prepare", prepare_with_entities)
        report = searchlib.build(folder / "ix", [source])
    assert report.articles == len(HOSTILE_ARTICLES) and report.skipped == 0
    return folder / "ix"


@pytest.fixture(scope="session")
def entity_ix(entity_index_path: Path) -> searchlib.Index:
    return searchlib.open(entity_index_path)


#: The searchlib command run in a subprocess, with every build paused at one of its phases
#: (``build(on_phase=…)``) named by ``SEARCHLIB_TEST_PAUSE=PHASE[:SECONDS]``: it prints
#: "searchlib-test: paused at PHASE" on stderr and sleeps, so a test can kill it there. Only this
#: driver reads the variable; searchlib itself has no test hook.
PAUSE_VARIABLE = "SEARCHLIB_TEST_PAUSE"
PAUSING_CLI = """
import functools, os, sys, time
import searchlib
point, _, seconds = os.environ.get("SEARCHLIB_TEST_PAUSE", "").partition(":")
def phase(name):
    if name == point:
        print(f"searchlib-test: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 60))
searchlib.build = functools.partial(searchlib.build, on_phase=phase)
from searchlib.cli import main
main()
"""
