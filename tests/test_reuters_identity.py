"""The identity tests on real text: the shared index of the first Reuters articles, read
by the sidecar and by Whoosh, gives the same results on both paths.

They sit in one module so that a test process (pytest-xdist hands out whole modules) builds
the shared index once, and the incremental builds reuse the entities found for it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from searchlib import Index
from searchlib.engine.sidecar import files as impacts
from searchlib.engine.sidecar import prune

from .conftest import entities_remembered, reuters_head
from .test_impacts import Spy, run_identity
from .test_phrases import WhooshCalls, run_phrases
from .test_pruning import Counted, random_searches, three_ways
from .test_ranking_paths import (
    Paths,
    assert_one_ranking,
    build_incrementally,
    random_queries,
    with_options,
)


@pytest.mark.slow
def test_reuters_queries_give_the_whoosh_results(
    reuters_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    compared = run_identity(reuters_ix, spy, plain=120, filtered=120, seed=2)
    assert compared == 240
    # Misspelt queries run twice (the second time corrected); the sidecar answered every one.
    print(f"reuters: {spy.fast} of {spy.calls} searches answered by the sidecar")
    assert spy.calls >= compared and spy.fast == spy.calls


@pytest.mark.slow
def test_sidecar_keeps_the_feedback_candidates_of_each_article(reuters_ix: Index) -> None:
    from searchlib.engine.whoosh import ranking

    searcher = reuters_ix._current().searcher()
    sidecar = reuters_ix._engine.accel.sidecar
    most = ranking.PARAMS.feedback_max_df * searcher.doc_count_all()
    cut = 0
    for docnum in range(searcher.doc_count_all()):
        analysed = [
            (term, count)
            for term, count in ranking.article_terms(searcher.stored_fields(docnum))
            if max(searcher.doc_frequency(f, term) for f in ranking.FIELD_WEIGHTS) <= most
        ]
        kept, complete = sidecar.article_terms(docnum)
        assert kept == analysed[: impacts.ARTICLE_TERMS], docnum
        assert complete == (len(analysed) < impacts.ARTICLE_TERMS)
        cut += not complete
    assert cut > 100  # many articles have more candidates than are kept


@pytest.mark.slow
def test_feedback_from_kept_terms_is_feedback_from_the_text(reuters_ix: Index) -> None:
    from whoosh import query as wq

    from searchlib.engine.whoosh import ranking

    searcher = reuters_ix._current().searcher()
    sidecar = reuters_ix._engine.accel.sidecar
    query = wq.Or([wq.Term("body", "oil"), wq.Term("body", "price")])
    top = [(int(d), 10.0 - i) for i, d in enumerate(searcher.docs_for_query(query))][:3]
    analysed = ranking.with_feedback(searcher, query, top)
    kept = ranking.with_feedback(searcher, query, top, terms_of=sidecar.article_terms)
    assert kept == analysed and len(list(analysed.leaves())) > 20
    # Too few kept terms, and not all of them: the articles are analysed after all.
    short = ranking.with_feedback(searcher, query, top, terms_of=lambda d: ([], False))
    assert short == analysed
    # All of them, however few: nothing else is looked for.
    none = ranking.with_feedback(searcher, query, top, terms_of=lambda d: ([], True))
    assert none == query


@pytest.mark.slow
def test_reuters_phrases_give_the_whoosh_results(
    reuters_ix: Index, reuters_positions_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = WhooshCalls(monkeypatch)
    matched = run_phrases(reuters_ix, reuters_positions_ix, 240, seed=32)
    assert matched > 100  # (title-only phrases and words taken apart match less here)
    assert calls.count == 0


@pytest.mark.slow
def test_reuters_prefix_fuzzy_and_title_queries_rank_alike(
    reuters_ix: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The full build is the shared one of the same articles; the entities found for it are
    # remembered, so the incremental builds tag nothing again.
    records = [json.loads(line) for line in reuters_head()]
    with entities_remembered():
        paths = Paths(reuters_ix.path, build_incrementally(tmp_path, records, {}))
    words = sorted(
        {
            word.lower()
            for article in list(paths.whoosh.articles())[:400]
            for word in re.findall(r"[A-Za-z]{4,}", f"{article.title} {article.body}")
        }
    )
    queries = with_options(paths.whoosh, random_queries(words, 240, seed=34), seed=35)
    assert_one_ranking(paths, queries, monkeypatch)


@pytest.mark.slow
def test_pruned_feedback_is_the_exhaustive_search_bit_for_bit(
    reuters_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pruned however many matches come within the bound (2,000 articles have few matches).
    monkeypatch.setattr(prune, "MOST", 1.0)
    counted = Counted(monkeypatch)
    for query, options in random_searches(reuters_ix, 150, seed=5):
        pruned, exhaustive, whoosh = three_ways(reuters_ix, query, monkeypatch, **options)
        assert pruned == exhaustive == whoosh, (query, options)
    print(
        f"pruned {counted.answered} of {counted.offered} searches, {counted.fewer} of them "
        "scoring the feedback terms in fewer than all their matches"
    )
    # The test compares pruning, not the exhaustive path with itself: most searches were
    # pruned, and many of them left matches out (searches of many matches are pruned too, of
    # which the bound keeps all in 2,000 articles more often).
    assert counted.answered > counted.offered / 2
    assert counted.fewer >= 20


@pytest.mark.slow
def test_a_bound_too_low_gives_other_results(
    reuters_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The identity test can fail: with the bound halved, pruning leaves out matches that
    rank, and some search's hits differ from the exhaustive one's."""
    monkeypatch.setattr(prune, "SLACK", 0.5)
    monkeypatch.setattr(prune, "MOST", 1.0)
    differ = 0
    for query, options in random_searches(reuters_ix, 60, seed=5):
        pruned, exhaustive, _ = three_ways(reuters_ix, query, monkeypatch, **options)
        differ += pruned != exhaustive
    assert differ > 0


def entities_of_every_article(ix: Index, min_count: int = 1) -> list[tuple]:
    """``ix.entities()`` the slow way: every stored article's canonical names, gathered."""
    held: dict[tuple[str, str], list[str]] = {}
    for article in ix.articles():
        for kind in ("person", "org", "place"):
            for name in getattr(article, kind):
                held.setdefault((kind, name), []).append(article.id)
    order = {"person": 0, "org": 1, "place": 2}
    found = [
        (kind, name, len(ids), sorted(ids))
        for (kind, name), ids in held.items()
        if len(ids) >= min_count
    ]
    return sorted(found, key=lambda e: (order[e[0]], -e[2], e[1]))


def test_entities_are_those_every_article_names(reuters_ix: Index) -> None:
    expected = entities_of_every_article(reuters_ix)
    found = reuters_ix.entities()
    assert [(e.kind, e.name, e.count, sorted(e.ids)) for e in found] == expected
    assert len(expected) > 1000 and all(tuple(sorted(e.ids)) == e.ids for e in found)
    assert [e.name for e in reuters_ix.entities("org", limit=5)] == [
        name for kind, name, _, _ in expected if kind == "org"
    ][:5]
    frequent = reuters_ix.entities(min_count=20)
    assert [(e.kind, e.name, e.count) for e in frequent] == [
        entity[:3] for entity in entities_of_every_article(reuters_ix, 20)
    ]
    assert any(e.aliases for e in found)  # (the entity table's, as before)
