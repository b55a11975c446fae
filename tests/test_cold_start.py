"""A command imports only what it uses: checked on the modules a fresh process holds (not times)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import searchlib

from .conftest import ROOT, SEEDS

# Runs a command's entry point in a fresh interpreter and writes the modules it imported.
COMMAND_MODULES = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from searchlib.cli import main, search_main
entry = {"search": search_main, "searchlib": main}[sys.argv[1]]
sys.argv = sys.argv[1:]
entry()
"""
#: What no search or --help needs: the tagger, the readers of sources, builds (near-duplicate
#: detection too), notebooks, SciPy (which NLTK's package import pulls in when it is installed)
#: and NLTK's package itself.
NEVER = (
    "nltk",
    "scipy",
    "pycrfsuite",
    "trafilatura",
    "feedparser",
    "lxml",
    "pandas",
    "matplotlib",
    "starlette",
    "searchlib.prepare.ner",
    "searchlib.prepare.sources",
    "searchlib.store.build",
    "searchlib.store.parallel",
    "searchlib.engine.whoosh.writer",
    # Whoosh's import pulls these in for names a search never calls (engine/whoosh/imports.py),
    # the entity rules are for building the entity table, not reading it, numpy.ma comes with
    # np.unique, zipfile with importlib.resources (and is read in builds only), and timelines
    # are drawn by other commands.
    "zipfile",
    "searchlib.present.timeline",
    "urllib.request",
    "asyncio",
    "whoosh.lang.morph_en",
    "searchlib.prepare.entities",
    "searchlib.prepare.mentions",
    "searchlib.prepare.places",
    "numpy.ma",
    "searchlib.prepare.shingles",
)


def modules_of(tmp_path: Path, *command: str) -> set[str]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_MODULES, str(out), *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(out.read_text("utf-8")))


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cold") / "ix"
    searchlib.build(path, [SEEDS])
    return path


def test_a_search_imports_no_tagger_no_builder_and_not_nltks_package(seeds_index, tmp_path):
    loaded = modules_of(tmp_path, "search", "Astana Declaration", "-i", str(seeds_index))
    assert not loaded & set(NEVER)
    # The query's words are still stemmed by NLTK's Snowball stemmer, and searched by Whoosh
    # and the sidecar.
    assert {"nltk.stem.snowball", "whoosh", "numpy", "searchlib.engine.sidecar.scorer"} <= loaded
    assert "searchlib.prepare.canonical" in loaded  # (the entity table, read)


def test_whoosh_imported_lightly_still_has_what_it_stood_in_for(tmp_path):
    script = (
        "from searchlib.engine.whoosh.imports import import_whoosh\n"
        "import_whoosh()\n"
        "import sys\n"
        "assert 'urllib.request' not in sys.modules and 'asyncio' not in sys.modules\n"
        "from whoosh.query import terms\n"
        "print(sorted(terms.variations('rendering')))\n"
        "import urllib.request, cached_property\n"
        "print(urllib.request.urlretrieve is not None, cached_property.__file__ is not None)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    variants, modules = done.stdout.strip().splitlines()
    assert "'render'" in variants and "'renderings'" in variants  # the real one, on first use
    assert modules == "True True"


def test_help_imports_neither_the_engine_nor_the_stemmer(tmp_path):
    loaded = modules_of(tmp_path, "searchlib", "--help")
    heavy = {"whoosh", "numpy", "nltk.stem.snowball", "regex", "searchlib.search.index"}
    assert not loaded & (heavy | set(NEVER))


def test_nltk_imported_after_the_stemmer_is_nltk_itself():
    script = (
        "from searchlib.text import stem\n"
        "assert stem('generously') == 'generous'\n"
        "import nltk\n"
        "from nltk.stem.snowball import SnowballStemmer\n"
        "import nltk.stem.snowball as module\n"
        "assert nltk.word_tokenize and nltk.stem.PorterStemmer\n"
        "assert SnowballStemmer is module.SnowballStemmer\n"
        "assert nltk.corpus.stopwords is not None\n"
        "print(SnowballStemmer('english').stem('running'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "run"


def _arrays(columns):
    entities = {
        kind: (docs.tolist(), ids.tolist(), names)
        for kind, (docs, ids, names) in columns.entities.items()
    }
    dates = columns.years.tolist(), columns.days.tolist(), columns.day_of.tolist()
    return entities, dates, columns.raw_ids


def test_facet_columns_saved_with_a_generation_are_those_an_open_made(seeds_index):
    from searchlib.engine.facets import HEADER, FacetColumns
    from searchlib.engine.sidecar import files as impacts
    from searchlib.engine.sidecar.matrix import read_columns
    from searchlib.engine.whoosh.searcher import WhooshEngine
    from searchlib.store.entity_table import load_entity_table
    from searchlib.store.manifest import require_built

    index = searchlib.open(seeds_index)
    manifest = require_built(index.location)
    folder = Path(index.path) / manifest["generation"]
    names = load_entity_table(index.location, manifest).names
    saved = FacetColumns.load(folder, manifest["generation"], len(index))
    assert saved is not None and HEADER in manifest["files"]  # (so index check verifies it)
    sidecar = impacts.load(folder, manifest["generation"], len(index))
    from_sidecar = FacetColumns.build(sidecar.dates, sidecar.entities, names)
    whoosh = WhooshEngine(folder, lambda: names, manifest["generation"])
    read = read_columns(whoosh.searcher().reader(), whoosh.docs_all)
    from_stored = FacetColumns.build(read.dates, read.entities(), names)
    whoosh.close()
    assert _arrays(saved) == _arrays(from_sidecar) == _arrays(from_stored)
    assert any(names for _, _, names in saved.entities.values())
    # Hits take their canonical names from the columns: those of the entity table.
    assert all(
        saved.canonical(kind, raw) == canonical
        for kind, table in names.items()
        for raw, canonical in table.items()
    )
    assert sum(len(table) for table in names.values()) > 10
    # Another generation's columns are not taken for this one's.
    assert FacetColumns.load(folder, "gen-999999", len(index)) is None
