"""`searchlib eval`: run judged queries, write a TREC run, report trec_eval's measures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
import searchlib.evaluation
from searchlib.cli import cli

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_eval_on_a_tiny_judged_collection(tmp_path):
    docs = [
        {"id": "a", "title": "Jet engines", "date": None, "text": "Turbine blades in jet engines."},
        {"id": "b", "title": "", "date": None, "text": "Rocket fuel and oxidiser."},
        {"id": "c", "title": "Gardens", "date": None, "text": "Roses bloom in spring gardens."},
    ]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (tmp_path / "queries.tsv").write_text("1\tjet turbine blades?\n2\troses: spring\n3\tnothing\n")
    (tmp_path / "qrels.txt").write_text("1 0 a 1\n1 0 b 1\n2 0 c 2\n")
    searchlib.build(tmp_path / "ix", [tmp_path / "docs.jsonl"])
    run = tmp_path / "run.trec"
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "-i",
            str(tmp_path / "ix"),
            "--queries",
            str(tmp_path / "queries.tsv"),
            "--qrels",
            str(tmp_path / "qrels.txt"),
            "--run-out",
            str(run),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["queries"] == 2
    # Query 1 finds a (relevant) but not b (relevant, shares no word); query 2 finds c.
    ndcg1 = 1 / (1 + 1 / math.log2(3))
    assert report["measures"]["ndcg@10"] == pytest.approx((ndcg1 + 1) / 2)
    assert report["measures"]["recall@100"] == pytest.approx((0.5 + 1) / 2)
    lines = run.read_text().splitlines()
    assert lines[0].split()[:4] == ["1", "Q0", "a", "1"] and lines[0].split()[5] == "searchlib"


@pytest.mark.skipif(not (DATA / "med").is_dir(), reason="../shared/data/med is not present")
@pytest.mark.slow
def test_eval_reproduces_the_benchmark_row_for_med(tmp_path):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "relevance.py"
    spec = importlib.util.spec_from_file_location("relevance_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    med = DATA / "med"
    docs = [json.loads(line) for line in (med / "docs.jsonl").read_text().splitlines()]
    search = bench.searchlib_engine(docs, tmp_path, med)
    queries = searchlib.evaluation.read_queries(med / "queries.tsv")
    qrels = searchlib.evaluation.read_qrels(med / "qrels.txt")
    row = searchlib.evaluation.evaluate({q: search(t) for q, t in queries.items()}, qrels)
    report = searchlib.evaluate(tmp_path / "index", med / "queries.tsv", med / "qrels.txt")
    assert report.measures == pytest.approx(row)
