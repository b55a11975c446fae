"""Tests for searchlib.evaluation: hand-computed cases, and a cross-check against ir-measures
(pytrec_eval, i.e. trec_eval's own code) on a real run over the Cranfield collection."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from searchlib.evaluation import (
    MEASURES,
    evaluate,
    evaluate_per_query,
    rank,
    read_qrels,
    read_queries,
    write_run,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-9)


# --- hand-computed cases ---------------------------------------------------------------------


def test_binary_example_by_hand():
    qrels = {"1": {"d1": 1, "d2": 1, "d3": 0, "d4": 1}}  # 3 relevant, d3 judged non-relevant
    run = {"1": [("d1", 5.0), ("d3", 4.0), ("d2", 3.0), ("x", 2.0)]}
    m = evaluate(run, qrels)
    # Relevant at ranks 1 and 3. DCG = 1/log2(2) + 1/log2(4) = 1.5;
    # IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.1309297535714578.
    assert m["ndcg@10"] == approx(1.5 / 2.1309297535714578)
    assert m["ndcg@10"] == pytest.approx(0.703918, abs=1e-6)
    assert m["map@100"] == approx((1 / 1 + 2 / 3) / 3)  # 0.5555...
    assert m["p@10"] == approx(0.2)  # divided by 10, not by the 4 returned
    assert m["recall@100"] == approx(2 / 3)
    assert set(m) == set(MEASURES)


def test_graded_gains_are_linear():
    qrels = {"q": {"a": 3, "b": 1, "c": 0}}
    run = {"q": [("b", 2.0), ("a", 1.0)]}
    # DCG = 1/log2(2) + 3/log2(3) = 2.8927892607143724; IDCG = 3 + 1/log2(3) = 3.6309297535714578
    assert evaluate(run, qrels)["ndcg@10"] == pytest.approx(0.796708, abs=1e-6)
    # With exponential gains (2^g - 1) it would be (1 + 7/log2(3)) / (7 + 1/log2(3)) = 0.7055.
    perfect = {"q": [("a", 2.0), ("b", 1.0)]}
    assert evaluate(perfect, qrels)["ndcg@10"] == approx(1.0)


def test_ties_broken_by_docid_descending_whatever_the_given_order():
    qrels = {"q": {"a": 1}}
    for results in ([("a", 1.0), ("b", 1.0)], [("b", 1.0), ("a", 1.0)]):
        m = evaluate({"q": results}, qrels)
        # trec_eval puts "b" before "a": the relevant document is at rank 2.
        assert m["ndcg@10"] == approx(1 / math.log2(3))
        assert m["map@100"] == approx(0.5)
    assert [d for d, _ in rank([("a", 1.0), ("c", 2.0), ("b", 1.0)])] == ["c", "b", "a"]
    # String order, not numeric: "9" > "10".
    assert [d for d, _ in rank([("10", 1.0), ("9", 1.0)])] == ["9", "10"]


def test_given_order_is_ignored_scores_decide():
    qrels = {"q": {"a": 1}}
    m = evaluate({"q": [("z", 1.0), ("a", 2.0)]}, qrels)
    assert m["p@10"] == approx(0.1)
    assert m["map@100"] == approx(1.0)


def test_cutoffs():
    qrels = {"q": {"r10": 1, "r11": 1, "r100": 1, "r101": 1}}
    results = [(f"n{i:03d}", 1000.0 - i) for i in range(1, 102)]
    for pos in (10, 11, 100, 101):  # put the relevant docs at these ranks
        results[pos - 1] = (f"r{pos}", 1000.0 - pos)
    m = evaluate({"q": results}, qrels)
    assert m["p@10"] == approx(0.1)
    assert m["recall@100"] == approx(3 / 4)
    assert m["map@100"] == approx((1 / 10 + 2 / 11 + 3 / 100) / 4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)
    assert m["ndcg@10"] == approx((1 / math.log2(11)) / idcg)


def test_average_over_judged_queries_only():
    qrels = {"1": {"a": 1}, "2": {"b": 1}, "3": {"c": 0}}
    run = {
        "1": [("a", 1.0)],  # perfect
        # "2" missing: scores 0 but counts
        "3": [("c", 1.0)],  # judged, nothing relevant: 0 and counts
        "4": [("a", 1.0)],  # not judged: ignored
    }
    m = evaluate(run, qrels)
    for name in ("ndcg@10", "map@100", "recall@100"):
        assert m[name] == approx(1 / 3)
    assert m["p@10"] == approx(0.1 / 3)
    per_query = evaluate_per_query(run, qrels)
    assert sorted(per_query) == ["1", "2", "3"]
    assert per_query["2"] == {name: 0.0 for name in MEASURES}


def test_duplicate_documents_rejected():
    with pytest.raises(ValueError):
        evaluate({"q": [("a", 2.0), ("a", 1.0)]}, {"q": {"a": 1}})


def test_readers(tmp_path):
    q = tmp_path / "queries.tsv"
    q.write_text("1\tfirst query ?\n\n10\tsecond\n", encoding="utf-8")
    assert read_queries(q) == {"1": "first query ?", "10": "second"}
    r = tmp_path / "qrels.txt"
    r.write_text("1 0 d1 1\n1 0 d2 0\n10 0 d3 2\n", encoding="utf-8")
    assert read_qrels(r) == {"1": {"d1": 1, "d2": 0}, "10": {"d3": 2}}
    r.write_text("1 0 d1\n", encoding="utf-8")
    with pytest.raises(ValueError):
        read_qrels(r)


def test_write_run_format_and_order(tmp_path):
    run = {
        "10": [("a", 0.5)],
        "2": [("x", 1.0), ("z", 3.0), ("y", 1.0)],
    }
    path = tmp_path / "run.txt"
    write_run(path, run, "mytag")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [
        "2 Q0 z 1 3.0 mytag",
        "2 Q0 y 2 1.0 mytag",
        "2 Q0 x 3 1.0 mytag",
        "10 Q0 a 1 0.5 mytag",
    ]
    with pytest.raises(ValueError):
        write_run(path, run, "two words")


# --- cross-check against ir-measures on a real run -----------------------------------------


def _overlap_run(collection: Path) -> dict[str, list[tuple[str, float]]]:
    """A deliberately crude run: score = number of distinct query words in the document.

    Small integer scores give many ties, so the comparison also checks trec_eval's tie order.
    """
    words = re.compile(r"[a-z0-9]+")
    docs = []
    with open(collection / "docs.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append((d["id"], set(words.findall(f"{d['title']} {d['text']}".lower()))))
    run = {}
    for qid, query in read_queries(collection / "queries.tsv").items():
        terms = set(words.findall(query.lower()))
        scored = [(docid, float(len(terms & vocab))) for docid, vocab in docs]
        scored = [r for r in scored if r[1] > 0]
        run[qid] = rank(scored)[:150]  # longer than 100 so the cutoffs matter
    return run


@pytest.mark.skipif(not (DATA / "cranfield").is_dir(), reason=f"no collection at {DATA}")
def test_matches_ir_measures_on_cranfield(tmp_path):
    ir_measures = pytest.importorskip("ir_measures")
    collection = DATA / "cranfield"
    qrels = read_qrels(collection / "qrels.txt")
    run = _overlap_run(collection)
    # Drop some judged queries: they must count as 0 in the averages.
    dropped = sorted(run)[:5]
    for qid in dropped:
        del run[qid]

    # ir-measures reads the run file as written, so the file format is checked too.
    path = tmp_path / "run.txt"
    write_run(path, run, "overlap")
    theirs_run = list(ir_measures.read_trec_run(str(path)))
    theirs_qrels = list(ir_measures.read_trec_qrels(str(collection / "qrels.txt")))
    names = {
        "ndcg@10": ir_measures.nDCG @ 10,
        "map@100": ir_measures.AP @ 100,
        "p@10": ir_measures.P @ 10,
        "recall@100": ir_measures.R @ 100,
    }
    theirs: dict[str, dict[str, float]] = {}
    for m in ir_measures.iter_calc(list(names.values()), theirs_qrels, theirs_run):
        theirs.setdefault(m.query_id, {})[str(m.measure)] = m.value

    ours = evaluate_per_query(run, qrels)
    assert len(ours) == 225
    # ir-measures, like trec_eval -c, scores judged queries without results as 0.
    assert set(theirs) == set(ours)
    for qid, values in theirs.items():
        for name, measure in names.items():
            assert ours[qid][name] == pytest.approx(values[str(measure)], abs=1e-9), (qid, name)
    for qid in dropped:
        assert ours[qid] == {name: 0.0 for name in MEASURES}

    means = evaluate(run, qrels)
    theirs_means = ir_measures.calc_aggregate(list(names.values()), theirs_qrels, theirs_run)
    for name, measure in names.items():
        assert means[name] == pytest.approx(theirs_means[measure], abs=1e-9)
    # A crude run is still far from random on Cranfield; guards against comparing two zeros.
    assert means["ndcg@10"] > 0.1
