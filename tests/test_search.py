"""Ranked search over the seed articles: ranking, phrases, filters, sorting, facets, snippets."""

from __future__ import annotations

import threading

import pytest

import searchlib
import searchlib.engine.whoosh.query
from searchlib.search.query import date_bound
from searchlib.search.snippets import make_snippet, markdown_snippet

from .conftest import SEED_IDS, SEEDS

DECLARATION = "000_0802c507da2f2354"


def ids(results: searchlib.Results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_astana_declaration_ranks_the_vatican_article_first(ix):
    results = ix.search("Astana Declaration")
    assert results.hits[0].id == DECLARATION
    assert results.hits[0].score > results.hits[1].score
    assert [hit.rank for hit in results.hits] == list(range(1, len(results.hits) + 1))


def test_stemming_finds_other_word_forms(ix):
    found = ids(ix.search("desecrated", limit=20))
    # 001 speaks of "the desecration of sacred texts", 002 of "desecration" of religious sites.
    assert "001_a6a4fba452c6790f" in found
    assert all("desecrat" in ix.get(i).body.lower() for i in found)


def test_phrase_query_needs_the_words_together(ix):
    phrase = ix.search('"Astana Declaration"')
    loose = ix.search("Astana Declaration")
    assert ids(phrase) == [DECLARATION]
    assert loose.total > phrase.total


def test_hyphenated_name_whole_and_part(ix):
    whole = set(ids(ix.search("Kassym-Jomart", limit=10)))
    part = set(ids(ix.search("Jomart", limit=10)))
    assert whole and whole == part
    assert "002_d275bf671256b8e7" not in whole  # 002 does not mention Tokayev


def test_accent_folding_in_queries(ix):
    assert ids(ix.search("Angel")) == ids(ix.search("Ángel")) == ["002_d275bf671256b8e7"]


def test_date_filter_is_inclusive_and_drops_undated(ix):
    results = ix.search("", date_from="2025", date_to="2025-04-16", limit=10)
    assert ids(results) == ["003_28bfb9e752ea3f2c"]
    everything = ix.search("*", date_from="2000", limit=10)
    assert DECLARATION not in ids(everything)  # undated: no date to compare
    assert everything.total == 4


def test_sort_by_date_newest_first_and_undated_last(ix):
    results = ix.search("", sort="date", limit=10)
    dates = [hit.date for hit in results.hits]
    assert dates[-1] is None
    assert dates[:-1] == sorted(dates[:-1], reverse=True)
    # Sorting by date still reports each hit's relevance score.
    ranked = {h.id: h.score for h in ix.search("Congress", limit=10).hits}
    by_date = {h.id: h.score for h in ix.search("Congress", sort="date", limit=10).hits}
    assert by_date == pytest.approx(ranked)


def test_empty_query_browses_everything(ix):
    assert sorted(ids(ix.search("", limit=10))) == SEED_IDS
    assert ix.search("*").total == len(SEED_IDS)


def test_paging_covers_the_results_once(ix):
    full = ids(ix.search("Kazakhstan", limit=10))
    pages = [ids(ix.search("Kazakhstan", limit=2, page=p)) for p in (1, 2, 3)]
    assert [i for page in pages for i in page] == full
    assert ix.search("Kazakhstan", limit=2, page=9).hits == []


def test_facets_count_all_matching_articles_not_just_the_page(ix):
    results = ix.search("Congress", limit=1)
    years = {v.value: v.count for v in results.facets["year"]}
    dated = [h for h in ix.search("Congress", limit=10).hits if h.date]
    assert sum(years.values()) == len(dated)
    assert len(results.hits) == 1 and results.total == 5


def test_snippet_highlights_the_articles_own_words():
    text = "The desecration of sacred texts. Ángel Moratinos spoke at length about it."
    pieces = make_snippet(text, {"desecr", "angel"})
    assert [p for p, hit in pieces if hit] == ["desecration", "Ángel"]
    assert markdown_snippet(pieces).startswith("The **desecration** of sacred texts. **Ángel**")


def test_stems_keep_the_first_letter_so_snippets_may_skip_other_words():
    # make_snippet stems only words that start as a query term does: true of Snowball's
    # own exceptions, of irregular forms and of every word of the seed articles.
    from nltk.stem.snowball import EnglishStemmer

    from searchlib.text import stem, word_spans

    special = EnglishStemmer._EnglishStemmer__special_words  # type: ignore[attr-defined]
    words = {*special, "yearly", "ylang", "yying", "ies", "sses", "eed", "ing", "ying", "x-ray"}
    for path in sorted(SEEDS.glob("*")):
        words |= {w for w, _, _ in word_spans(path.read_text("utf-8", errors="replace"))}
    assert len(words) > 800
    assert {w for w in words if stem(w)[:1] != w[:1]} == set()


def test_snippet_of_a_long_text_starts_near_the_match(ix):
    hit = ix.search("Museum of Peace and Reconciliation").hits[0]
    assert hit.id == "004_776b0de49483b812"
    assert "**Museum**" in hit.snippet and hit.snippet.startswith("…")


def test_json_shape(ix):
    data = ix.search("Astana Declaration", limit=2).to_dict()
    # The documented keys, exactly; later additions are allowed but never changes.
    assert {"query", "total", "page", "hits", "facets"} <= set(data)
    assert data["suggestion"] is None and data["corrected"] is False
    assert data["query"] == "Astana Declaration" and data["page"] == 1
    assert isinstance(data["total"], int) and len(data["hits"]) == 2
    for hit in data["hits"]:
        old = {"id", "title", "date", "score", "snippet", "entities"}
        assert set(hit) == old | {"rank", "source", "author", "similar"}
        assert isinstance(hit["score"], float)
        assert hit["date"] is None or len(hit["date"]) == 10
        assert set(hit["entities"]) == {"person", "org", "place"}
    assert set(data["facets"]) == {"person", "org", "place", "year"}
    assert all(set(v) == {"value", "count"} for v in data["facets"]["year"])


@pytest.mark.parametrize("query", ['"Astana Declaration', "(Astana", 'say "one" "two'])
def test_unbalanced_queries_are_errors(ix, query):
    with pytest.raises(searchlib.QuerySyntaxError, match="unbalanced"):
        ix.search(query)


@pytest.mark.parametrize("value", ["2023-13", "23", "yesterday", "2023-02-30"])
def test_bad_dates_are_errors(ix, value):
    with pytest.raises(searchlib.InvalidDateError, match="invalid date"):
        ix.search("", date_from=value)


def test_date_bounds():
    assert date_bound("2024") == "2024-01-01"
    assert date_bound("2024", end=True) == "2024-12-31"
    assert date_bound("2024-02", end=True) == "2024-02-29"
    with pytest.raises(searchlib.InvalidDateError, match="empty"):
        searchlib.engine.whoosh.query.build_filter(date_from="2025", date_to="2024")


def test_get_returns_the_stored_article(ix):
    article = ix.get("004_776b0de49483b812")
    assert article.date == "2021-03-01" and article.source.endswith("004_776b0de49483b812.txt")
    assert ix.get("no-such-id") is None


def test_index_is_safe_to_share_between_threads(ix):
    expected = ids(ix.search("interreligious dialogue", limit=5))
    seen, errors = [], []

    def worker() -> None:
        try:
            for _ in range(20):
                seen.append(ids(ix.search("interreligious dialogue", limit=5)))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == 80 and all(s == expected for s in seen)


def test_open_index_sees_a_rebuild(tmp_path):
    path = tmp_path / "ix"
    searchlib.build(path, [SEEDS / f"{SEED_IDS[0]}.txt"])
    opened = searchlib.open(path)
    assert len(opened) == 1
    searchlib.build(path, [SEEDS])
    assert len(opened) == len(SEED_IDS)
