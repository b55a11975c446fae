"""Did-you-mean on a small built index of real words: unknown words, rare words with a far
more frequent neighbour, and candidates weighed by the other words of the query."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli
from searchlib.engine import spelling

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
COUNTRIES = ["Japan", "Egypt", "China", "Brazil", "Canada", "Mexico", "Poland", "Kenya"]


def _articles() -> list[dict[str, str]]:
    """Wire stories in the shape of Reuters 1987: most signed "Reuter"."""
    out = []
    for i in range(60):  # Volcker, often
        out.append(
            f"Federal Reserve chairman Paul Volcker said on {DAYS[i % 5]} that interest rates "
            f"would stay steady in {COUNTRIES[i % 8]} talks. Reuter"
        )
    out.append("Paul Volker, the banker, spoke at a dinner. Reuter")  # the one misspelling
    for i in range(8):  # Yeutter, on trade and wheat
        out.append(
            f"Trade representative Clayton Yeutter said wheat exports to {COUNTRIES[i]} would "
            "rise this year."
        )
    for i in range(30):  # wheat markets, signed "Reuter" as most stories are
        out.append(f"Wheat futures rose in Chicago on {DAYS[i % 5]} as traders bought. Reuter")
    for i in range(4):  # the oil price
        out.append(f"The oil price rose as {COUNTRIES[i]} cut its output. Reuter")
    for i in range(7):  # the Nobel prize: the more frequent of price and prize
        out.append(f"The Nobel prize went to a scientist from {COUNTRIES[i]}.")
    return [{"id": f"a{i:03d}", "title": "", "text": text} for i, text in enumerate(out)]


@pytest.fixture(scope="module")
def wire_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wire")
    source = folder / "wire.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in _articles()), encoding="utf-8")
    report = searchlib.build(folder / "ix", [source])
    assert report.articles == len(_articles())
    return folder / "ix"


@pytest.fixture(scope="module", params=["whoosh", "sidecar"])
def wire(request: pytest.FixtureRequest, wire_path: Path) -> searchlib.Index:
    return searchlib.open(wire_path, engine=request.param)


def test_a_rare_word_gets_its_far_more_frequent_neighbour(wire):
    found = wire.search("Volker")
    assert found.total == 1 and not found.corrected  # the word exists: its article is shown
    assert found.suggestion == "Volcker"
    assert wire.search("Volcker").suggestion is None
    assert wire.search("Volker interest rates").suggestion == "Volcker interest rates"


def test_an_unknown_word_is_corrected_with_its_first_letter_kept(wire):
    # "Reuter" is one edit away too, and in more stories with wheat; but a typo in the first
    # letter is rare.
    found = wire.search("Yeuter wheat")
    assert found.suggestion == "Yeutter wheat"
    alone = wire.search("Yeuter")
    assert alone.suggestion == "Yeutter" and alone.corrected and alone.total == 8


def test_the_other_words_choose_between_candidates(wire):
    # "prise" is one edit from both "price" (4 stories) and "prize" (7 stories).
    assert wire.search("prise").suggestion == "prize"
    assert wire.search("oil prise").suggestion == "oil price"
    assert wire.search("Nobel prise").suggestion == "Nobel prize"


def test_frequent_words_are_left_alone(wire):
    for query in ("wheat futures", "interest rates", "Chicago traders", "trade exports"):
        assert wire.search(query).suggestion is None


def test_the_build_writes_the_spelling_index_as_plain_arrays(wire_path):
    manifest = json.loads((wire_path / "searchlib.json").read_text())
    folder = wire_path / manifest["generation"]
    assert spelling.is_current(folder, manifest["generation"])
    for name in ("words", "df", "keys", "ids"):
        np.load(folder / f"spelling-{name}.npy", allow_pickle=False)  # no pickle inside
    speller = spelling.Speller.load(folder, manifest["generation"])
    assert speller is not None and b"volcker" in speller.words.tolist()
    assert speller.frequency("volcker") == 60 and speller.frequency("x" * 5000) == 0


def test_a_generation_without_a_spelling_index_gets_one_from_the_next_build(tmp_path):
    source = tmp_path / "wire.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in _articles()[:70]), encoding="utf-8")
    searchlib.build(tmp_path / "ix", [source])
    manifest = json.loads((tmp_path / "ix" / "searchlib.json").read_text())
    (tmp_path / "ix" / manifest["generation"] / spelling.HEADER).unlink()  # an older build
    with searchlib.open(tmp_path / "ix") as ix:
        assert ix.search("Volker").suggestion is None  # nothing to suggest from, no error
    result = CliRunner().invoke(cli, ["index", "build", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    with searchlib.open(tmp_path / "ix") as ix:
        assert ix.search("Volker").suggestion == "Volcker"


def _speller(path: Path) -> spelling.Speller:
    manifest = json.loads((path / "searchlib.json").read_text())
    speller = spelling.Speller.load(path / manifest["generation"], manifest["generation"])
    assert speller is not None
    return speller


def test_incremental_builds_spell_from_the_words_of_the_live_articles(tmp_path):
    from whoosh import index as whoosh_index

    articles = _articles()
    source = tmp_path / "wire.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    searchlib.build(tmp_path / "ix", [source])
    # The one "Volker" article changes its words, another goes, one comes.
    changed = [dict(a) for a in articles if a["id"] != "a001"]
    volker = next(a for a in changed if "Volker" in a["text"])
    volker["text"] = "Paul Voelker, the banker, ate at a dinner."
    changed.append({"id": "z999", "title": "Greenspan", "text": "Alan Greenspan testified."})
    source.write_text("\n".join(json.dumps(a) for a in changed), encoding="utf-8")
    report = searchlib.build(tmp_path / "ix", [source])
    assert not report.full
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text(source.read_text("utf-8"), encoding="utf-8")
    searchlib.build(tmp_path / "again", [fresh])
    words = _speller(tmp_path / "ix").words.tolist()
    assert words == _speller(tmp_path / "again").words.tolist()
    assert b"voelker" in words and b"greenspan" in words and b"volker" not in words
    # Whoosh keeps no spelling fields; each live segment's words are beside it, no others.
    manifest = json.loads((tmp_path / "ix" / "searchlib.json").read_text())
    folder = tmp_path / "ix" / manifest["generation"]
    store = whoosh_index.open_dir(str(folder))
    assert not [name for name in store.schema.names() if name.startswith("spell_")]
    live = {f"{spelling.SEGMENT_WORDS}{s.segment_id()}.txt.z" for s in store._segments()}
    assert {p.name for p in folder.glob(f"{spelling.SEGMENT_WORDS}*")} == live
