"""The query language, did-you-mean, more-like-this and explanations, on the seed articles."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli, search_command
from searchlib.text import terms

DECLARATION = "000_0802c507da2f2354"
VATICAN_ARTICLES = {DECLARATION}


def ids(results: searchlib.Results) -> set[str]:
    return {hit.id for hit in results.hits}


def everything(ix, query: str) -> set[str]:
    return ids(ix.search(query, limit=50))


def test_and_or_not(ix):
    astana, declaration = everything(ix, "Astana"), everything(ix, "Declaration")
    assert everything(ix, "Astana AND Declaration") == astana & declaration
    assert everything(ix, "Astana OR Declaration") == astana | declaration
    vatican = everything(ix, "Vatican")
    assert vatican == VATICAN_ARTICLES
    assert everything(ix, "Astana NOT Vatican") == astana - vatican
    assert everything(ix, "NOT Vatican") == everything(ix, "*") - vatican


def test_a_query_in_capitals_has_no_operators(ix):
    # As in the TIME collection's queries: AND and NOT are words there, not operators.
    assert everything(ix, "ASTANA NOT VATICAN") == everything(ix, "astana vatican")


def test_plus_and_minus_but_not_inside_hyphenated_names(ix):
    assert everything(ix, "+Vatican Astana") == {DECLARATION}
    assert everything(ix, "Astana -Vatican") == everything(ix, "Astana") - VATICAN_ARTICLES
    assert everything(ix, "Kassym-Jomart") == everything(ix, "Jomart")  # a name, not a minus


def test_fields(ix):
    assert everything(ix, "title:Ashimbayev") == {DECLARATION}
    assert everything(ix, "year:2025") == {"002_d275bf671256b8e7", "003_28bfb9e752ea3f2c"}


@pytest.mark.parametrize(
    ("clause", "kind", "name"),
    [
        ("person:Ashimbayev", "person", "Ashimbayev"),
        ('person:"maulen ashimbaev"', "person", "Maulen Ashimbaev"),
        ("place:Nur-Sultan", "place", "Nur-Sultan"),
        ("place:astana", "place", "Astana"),
        ("org:Congress", "org", "Congress"),
    ],
)
def test_entity_clauses_match_every_name_as_the_filters_do(ix, clause, kind, name):
    """An entity clause in the query finds the articles the entity filter finds, under any of
    its names and in any case (the stored names differ from article to article)."""
    filtered = ids(ix.search("*", limit=50, **{kind: name}))
    assert filtered
    assert everything(ix, clause) == filtered
    assert everything(ix, f"Astana {clause}") == filtered & everything(ix, "Astana")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "date:2023..2025",
            {"001_a6a4fba452c6790f", "002_d275bf671256b8e7", "003_28bfb9e752ea3f2c"},
        ),
        ("date:[2023-01-01 TO 2025-06-30]", {"001_a6a4fba452c6790f", "003_28bfb9e752ea3f2c"}),
        ("date:2025-04", {"003_28bfb9e752ea3f2c"}),
        ("date:2025..", {"002_d275bf671256b8e7", "003_28bfb9e752ea3f2c"}),
        ("date:..2021", {"004_776b0de49483b812"}),
        ("Congress date:2023..2025 -Alliance", {"001_a6a4fba452c6790f"}),
    ],
)
def test_date_ranges_filter_without_scoring(ix, query, expected):
    assert everything(ix, query) == expected


def test_date_range_does_not_change_scores(ix):
    plain = {h.id: h.score for h in ix.search("Congress", limit=10).hits}
    ranged = {h.id: h.score for h in ix.search("Congress date:2023..2025", limit=10).hits}
    assert ranged == {i: s for i, s in plain.items() if i in ranged}


def test_bad_dates_in_queries(ix):
    with pytest.raises(searchlib.InvalidDateError):
        ix.search("date:2025..2023")
    with pytest.raises(searchlib.InvalidDateError):
        ix.search("date:2023-13")


def test_prefix_and_fuzzy(ix):
    assert everything(ix, "Vatica*") == VATICAN_ARTICLES
    assert everything(ix, "Vatcan~") == VATICAN_ARTICLES
    assert everything(ix, "Vtcan~") == set()
    assert everything(ix, "Vtcan~2") == VATICAN_ARTICLES


def test_malformed_queries_are_clear_errors(ix):
    with pytest.raises(searchlib.QuerySyntaxError, match="cannot parse"):
        ix.search("+Astana (-Vatican)")


def test_did_you_mean_searches_the_correction_when_nothing_matches(ix):
    results = ix.search("Ashimbaye")
    assert results.suggestion == "Ashimbayev"
    assert results.corrected and results.total == 5
    results = ix.search("Astanna Declaraton")
    assert results.suggestion == "Astana Declaration"
    assert results.corrected and next(iter(results.hits)).id == DECLARATION
    assert results.query == "Astanna Declaraton"


def test_did_you_mean_only_suggests_when_something_matches(ix):
    results = ix.search("Astana Declaraton")
    assert results.suggestion == "Astana Declaration" and not results.corrected
    assert ix.search("Astana Declaration").suggestion is None
    assert ix.search("Astanna", correct=False).total == 0


def test_similar_articles(ix):
    results = ix.similar("003_28bfb9e752ea3f2c", limit=3)
    assert len(results.hits) == 3
    assert "003_28bfb9e752ea3f2c" not in ids(results)
    assert all(hit.score > 0 for hit in results.hits)
    with pytest.raises(searchlib.ArticleNotFoundError):
        ix.similar("nope")


def test_explain_adds_up_to_the_score(ix):
    for query in ["Astana Declaration", '"Astana Declaration" Vatican', "title:Ashimbayev Pope"]:
        for hit in ix.search(query, explain=True, limit=5).hits:
            assert hit.explanation, (query, hit.id)
            assert sum(c.score for c in hit.explanation) == pytest.approx(hit.score)
    hit = ix.search("Declaration", explain=True).hits[0]
    body = next(c for c in hit.explanation if c.field == "body")
    assert body.clause == "declar"
    assert body.frequency == terms(ix.get(hit.id).body).count("declar")


def test_cli_explain_similar_and_did_you_mean(seeds_index_path):
    runner = CliRunner()
    index = ["--index", str(seeds_index_path)]
    explained = runner.invoke(search_command, ["Astana Declaration", "--explain", *index])
    assert explained.exit_code == 0
    assert "explain: body:declar ×7" in explained.output
    data = json.loads(
        runner.invoke(search_command, ["Declaration", "--explain", "--json", *index]).output
    )
    assert {"field", "clause", "score", "frequency"} <= set(data["hits"][0]["explain"][0])
    similar = runner.invoke(cli, ["similar", "003_28bfb9e752ea3f2c", "-n", "2", *index])
    assert similar.exit_code == 0 and "2 articles like 003_28bfb9e752ea3f2c" in similar.output
    corrected = runner.invoke(search_command, ["Astanna Declaraton", *index])
    assert 'showing results for "Astana Declaration"' in corrected.output
    missing = runner.invoke(cli, ["similar", "nope", *index])
    assert missing.exit_code == 2 and "no article with id 'nope'" in missing.stderr
