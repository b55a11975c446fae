"""Ranking: the BM25F formula's properties on a tiny real index, feedback, and a quality guard
that runs the real evaluation on the MED collection."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import searchlib
from searchlib.engine.whoosh import ranking
from searchlib.engine.whoosh.query import parse_query
from searchlib.evaluation import evaluate, plain_words, read_qrels, read_queries

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MED = DATA / "med"
#: The best peer's nDCG@10 on MED (plain Whoosh; benchmarks/RESULTS.md).
MED_BEST_PEER = 0.705

ARTICLES = [
    {"id": "banana", "title": "Fruit notes", "text": "The banana harvest was large this year."},
    {"id": "cherry", "title": "Fruit notes", "text": "The cherry harvest was large this year."},
    {"id": "kiwi-short", "title": "Salads", "text": "Kiwi salad with mint."},
    {
        "id": "kiwi-long",
        "title": "Salads",
        "text": "Kiwi salad with mint, lemon, honey, yoghurt, oats, seeds, walnuts and a pear.",
    },
    {"id": "mango-title", "title": "Mango report", "text": "A short note on prices at the port."},
    {"id": "mango-body", "title": "Price report", "text": "A short note on mango at the port."},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ranking")
    source = folder / "articles.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    searchlib.build(folder / "index", [source])
    return folder / "index"


NO_FEEDBACK = ranking.Params(feedback_docs=0)


def ranked(index_path: Path, text: str, params: ranking.Params = NO_FEEDBACK) -> list:
    """(id, score) pairs for ``text``, top 10, ranked by the ranking module alone."""
    manifest = json.loads((index_path / "searchlib.json").read_text("utf-8"))
    store = whoosh_index.open_dir(str(index_path / manifest["generation"]))
    with store.searcher(weighting=ranking.BM25(params)) as searcher:
        query = ranking.expand(searcher, parse_query(text, searcher.schema))
        return [(searcher.stored_fields(d)["id"], s) for d, s in searcher.search(query).items()]


def scores(index_path: Path, text: str) -> dict[str, float]:
    return dict(ranked(index_path, text))


def test_a_repeated_query_word_weighs_more(tiny):
    assert [i for i, _ in ranked(tiny, "banana cherry cherry")] == ["cherry", "banana"]
    assert [i for i, _ in ranked(tiny, "banana banana cherry")] == ["banana", "cherry"]
    # Exactly proportional: a word said twice is one term with twice the weight.
    assert scores(tiny, "cherry cherry")["cherry"] == pytest.approx(
        2 * scores(tiny, "cherry")["cherry"]
    )


def test_a_longer_article_with_the_same_frequency_scores_lower(tiny):
    found = scores(tiny, "kiwi")
    assert found["kiwi-short"] > found["kiwi-long"] > 0


def test_a_title_match_counts_more_than_a_body_match(tiny):
    found = ranked(tiny, "mango")
    assert [i for i, _ in found] == ["mango-title", "mango-body"]
    assert found[0][1] > found[1][1]


def test_the_score_is_the_documented_bm25f_formula(tiny):
    manifest = json.loads((tiny / "searchlib.json").read_text("utf-8"))
    store = whoosh_index.open_dir(str(tiny / manifest["generation"]))
    with store.searcher() as searcher:
        docnum = searcher.document_number(id="mango-title")
        n = searcher.doc_count_all()
        tf = 0.0
        for field, weight in ranking.FIELD_WEIGHTS.items():
            length = searcher.doc_field_length(docnum, field)
            norm = 1 - 0.75 + 0.75 * length / searcher.avg_field_length(field)
            tf += weight * (1 if field == "title" else 0) / norm
    # "mango" is in the title of one article and the body of another: df = 2 of n.
    expected = math.log(1 + (n - 2 + 0.5) / 2.5) * tf * 2.2 / (tf + 1.2)
    assert scores(tiny, "mango")["mango-title"] == pytest.approx(expected)


def test_all_capital_queries_read_operators_as_words(tiny):
    # In capitals, AND / NOT are ordinary (stop) words, so CHERRY may match; in a query with
    # lower-case letters they are operators.
    assert {i for i, _ in ranked(tiny, "BANANA AND NOT CHERRY")} == {"banana", "cherry"}
    assert [i for i, _ in ranked(tiny, "harvest AND NOT cherry")] == ["banana"]


# ---------------------------------------------------------------------------------------------
# On a real judged collection

needs_med = pytest.mark.skipif(
    not (MED / "qrels.txt").is_file(), reason=f"no MED collection at {MED}"
)


@pytest.fixture(scope="module")
def med(tmp_path_factory: pytest.TempPathFactory) -> searchlib.Index:
    path = tmp_path_factory.mktemp("med") / "index"
    searchlib.build(path, [MED / "docs.jsonl"])
    return searchlib.open(path)


@needs_med
@pytest.mark.slow
def test_feedback_reorders_the_matches_and_adds_none(med):
    query = plain_words(read_queries(MED / "queries.tsv")["1"])
    searcher = med._current().searcher()
    parsed = parse_query(query, searcher.schema)
    expanded = ranking.expand(searcher, parsed)
    new_terms = {t for _, t in expanded.iter_all_terms()} - {t for _, t in parsed.iter_all_terms()}
    assert new_terms  # feedback did add terms…
    assert set(searcher.docs_for_query(expanded)) == set(searcher.docs_for_query(parsed))
    plain = ranked(Path(med.path), query)
    with_feedback = med.search(query, limit=len(plain), correct=False).hits
    assert [h.id for h in with_feedback] != [i for i, _ in plain]  # …that change the order


@needs_med
@pytest.mark.slow
def test_med_ndcg_at_10_beats_the_best_peer(med):
    queries = read_queries(MED / "queries.tsv")
    run = {
        qid: [(h.id, h.score) for h in med.search(plain_words(text), limit=100, correct=False).hits]
        for qid, text in queries.items()
    }
    ndcg = evaluate(run, read_qrels(MED / "qrels.txt"))["ndcg@10"]
    assert ndcg >= MED_BEST_PEER, f"MED nDCG@10 {ndcg:.4f} < best peer {MED_BEST_PEER}"
