"""Tests for benchmarks/entity_quality.py: its scoring on a real index of the seeds and tiny
truths made for it, and the committed truth files checked against the articles."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_PATH = REPO / "benchmarks" / "entity_quality.py"
_spec = importlib.util.spec_from_file_location("entity_quality_benchmark", _PATH)
eq = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = eq  # its dataclasses look their module up there
_spec.loader.exec_module(eq)

ARTICLE = "003_28bfb9e752ea3f2c"
SEED_TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in (REPO / "seeds").glob("*.txt")}


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory):
    ix = eq.build_index(tmp_path_factory.mktemp("quality") / "seeds", sources=[REPO / "seeds"])
    yield ix
    ix.close()


def truth_of(kind_values: dict[str, list[str]], **extra) -> dict[str, object]:
    """A truth for ARTICLE that calls every given value a correct entity."""
    entities = [
        eq.TruthEntity(kind, value, (value,))
        for kind, values in kind_values.items()
        for value in values
    ]
    entities += extra.get("more", [])
    return {ARTICLE: eq.ArticleTruth(ARTICLE, tuple(entities))}


def test_fold_ignores_case_accents_and_punctuation():
    assert eq.fold("Miguel Ángel  Moratinos") == eq.fold("miguel angel moratinos")
    assert eq.fold("Nur-Sultan") == eq.fold("NUR SULTAN")
    assert eq.fold("Marsh & McLennan") == "marsh mclennan"
    assert eq.fold("UK") != eq.fold("United Kingdom")


@pytest.mark.slow
def test_scores_against_a_truth_of_what_the_index_shows(seeds_index):
    shown = eq.shown_values(seeds_index, [ARTICLE])[ARTICLE]
    assert all(shown[kind] for kind in eq.KINDS), shown  # the seed has all three kinds
    truth = truth_of(shown)
    scores = eq.score(truth, eq.judge(truth, {ARTICLE: shown}))
    for kind in eq.KINDS:
        assert scores[kind].precision == 1.0
        assert scores[kind].recall == 1.0

    # A value the truth does not know is junk: precision drops by exactly one value.
    junk = shown["place"][0]
    truth = truth_of({**shown, "place": shown["place"][1:]})
    verdicts = eq.judge(truth, {ARTICLE: shown})
    scores = eq.score(truth, verdicts)
    n = len(shown["place"])
    assert scores["place"].precision == pytest.approx((n - 1) / n)
    assert scores["place"].recall == 1.0
    assert [(v.value, v.verdict) for v in verdicts if v.verdict != "correct"] == [(junk, "junk")]

    # An entity the index does not show lowers recall, not precision.
    missing = eq.TruthEntity("person", "Nobody Inthetext", ("Nobody",))
    truth = truth_of(shown, more=[missing])
    scores = eq.score(truth, eq.judge(truth, {ARTICLE: shown}))
    m = len(shown["person"])
    assert scores["person"].recall == pytest.approx(m / (m + 1))
    assert scores["person"].precision == 1.0
    assert scores["person"].missed == [(ARTICLE, "Nobody Inthetext")]

    # Optional entities count neither way.
    optional = [eq.TruthEntity("person", "Nobody Inthetext", ("Nobody",), optional=True)]
    place = [eq.TruthEntity("place", junk, (junk,), optional=True)]
    truth = truth_of({**shown, "place": shown["place"][1:]}, more=optional + place)
    scores = eq.score(truth, eq.judge(truth, {ARTICLE: shown}))
    assert (scores["person"].recall, scores["place"].precision) == (1.0, 1.0)


def test_a_form_is_not_a_canonical_name():
    truth = {
        "a": eq.ArticleTruth(
            "a",
            (
                eq.TruthEntity("org", "Muslim World League", ("Muslim World League", "MWL")),
                eq.TruthEntity("place", "United Kingdom", ("UK",), accept=("Great Britain",)),
                eq.TruthEntity("person", "Serena Williams", ("Serena Williams",)),
            ),
        )
    }
    shown = {"a": {"org": ["MWL"], "place": ["great britain"], "person": ["Williams"]}}
    verdicts = {v.value: v.verdict for v in eq.judge(truth, shown)}
    assert verdicts == {"MWL": "alias", "great britain": "correct", "Williams": "alias"}
    scores = eq.score(truth, eq.judge(truth, shown))
    assert (scores["org"].recall, scores["place"].recall, scores["person"].recall) == (0, 1, 0)


def test_one_entity_one_value():
    short = ("UN Alliance of Civilizations",)
    entity = eq.TruthEntity(
        "org",
        "United Nations Alliance of Civilizations",
        short,
        accept=("Alliance of Civilizations", *short),
    )
    truth = {i: eq.ArticleTruth(i, (entity,)) for i in ("a", "b", "c")}
    shown = {
        "a": {"org": ["UN Alliance of Civilizations", "Alliance of Civilizations"]},
        "b": {"org": ["Alliance of Civilizations"]},
        "c": {"org": ["UN Alliance of Civilizations"]},
    }
    verdicts = sorted((v.article, v.value, v.verdict) for v in eq.judge(truth, shown))
    # Two values in "a": the second is a duplicate. Across articles each name has 2 articles
    # (counting the duplicate's first); the tie goes alphabetically to "Alliance …".
    assert verdicts == [
        ("a", "Alliance of Civilizations", "correct"),
        ("a", "UN Alliance of Civilizations", "duplicate"),
        ("b", "Alliance of Civilizations", "correct"),
        ("c", "UN Alliance of Civilizations", "split"),
    ]


def test_top_values_are_wrong_where_wrong_once():
    a = eq.ArticleTruth("a", (eq.TruthEntity("person", "Rowan Williams", ("Rowan Williams",)),))
    b = eq.ArticleTruth("b", (eq.TruthEntity("person", "Serena Williams", ("Serena Williams",)),))
    shown = {"a": {"person": ["Rowan Williams"]}, "b": {"person": ["Rowan Williams"]}}
    verdicts = eq.judge({"a": a, "b": b}, shown)
    assert eq.top_values(verdicts, "person") == [("Rowan Williams", 2, False)]


@pytest.mark.slow
def test_filter_precision_on_the_seeds(seeds_index):
    filters = [
        eq.Filter("place", "Kazakhstan", ("Kazakhstan",)),
        eq.Filter("place", "Kazakhstan", ("Nowhere At All",)),
    ]
    right, wrong = eq.filter_rows(seeds_index, filters, SEED_TEXTS)
    assert right["returned"] == 5 and right["precision"] == 1.0 and right["recall"] == 1.0
    assert wrong["returned"] == 5 and wrong["precision"] == 0.0 and wrong["recall"] is None


def test_truth_problems_are_found():
    bad = eq.ArticleTruth(ARTICLE, (eq.TruthEntity("place", "Mecca", ("Medina",)),))
    missing = eq.ArticleTruth("no-such-seed", ())
    problems = eq.truth_problems({ARTICLE: bad, "no-such-seed": missing}, SEED_TEXTS)
    assert problems == [
        f"{ARTICLE}: 'Mecca': form 'Medina' not in the text",
        "no-such-seed: no such article",
    ]


def test_the_seed_truth_files_fit_the_seeds():
    truth = eq.read_truth(eq.TRUTH / "seeds")
    assert sorted(truth) == sorted(SEED_TEXTS)
    assert eq.truth_problems(truth, SEED_TEXTS) == []
    names = {e.name for a in truth.values() for e in a.entities}
    assert {"Congress of Leaders of World and Traditional Religions", "Astana"} <= names


BBC = eq.DEFAULT_DATA / "bbc" / "docs.jsonl"


@pytest.mark.skipif(not BBC.exists(), reason="needs ../shared/data/bbc")
def test_the_bbc_truth_files_are_the_sample_and_fit_its_articles():
    records = eq.read_bbc(eq.DEFAULT_DATA)
    texts = {r["id"]: eq.record_text(r) for r in records}
    truth = eq.read_truth(eq.TRUTH / "bbc")
    ids = eq.sample_ids(records)
    assert len(ids) == 30 and sorted(truth) == sorted(ids)
    assert {i.split("/")[0] for i in ids} == {
        "business",
        "entertainment",
        "politics",
        "sport",
        "tech",
    }
    assert eq.truth_problems(truth, texts) == []
    names = {(e.kind, e.name) for a in truth.values() for e in a.entities}
    filters = eq.read_filters(eq.TRUTH / "filters.toml")
    assert len(filters) >= 20
    assert all((f.kind, f.name) in names for f in filters)
