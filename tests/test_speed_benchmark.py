"""Smoke tests for benchmarks/speed.py on a tiny generated corpus: every engine builds and
answers every query class, the tables have their rows and columns, and the numbers are sane."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"
_spec = importlib.util.spec_from_file_location("speed_benchmark", _PATH)
speed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speed)

ARTICLES = 200
PER_CLASS = 5


def _word(rng: random.Random) -> str:
    syllables = ("ka", "lo", "min", "tor", "vex", "ru", "sal", "den", "qui", "bar", "zo", "pel")
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Articles of made-up words with a skewed frequency, dated over five years (some not)."""
    rng = random.Random(1)
    vocabulary = sorted({_word(rng) for _ in range(600)})
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    path = tmp_path_factory.mktemp("speed") / "tiny.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(ARTICLES):
            words = rng.choices(vocabulary, weights, k=rng.randint(40, 120))
            article = {
                "id": f"a{n}",
                "title": " ".join(words[:4]).capitalize(),
                "date": None if n % 10 == 0 else f"{2000 + n % 5}-03-0{1 + n % 9}",
                "text": " ".join(words[4:]) + ".",
            }
            out.write(json.dumps(article) + "\n")
    return path


@pytest.fixture(scope="module")
def queries(corpus: Path) -> dict[str, list[dict]]:
    return speed.make_queries(corpus, PER_CLASS)


def test_queries_are_deterministic_and_complete(corpus, queries):
    assert speed.make_queries(corpus, PER_CLASS) == queries
    assert list(queries) == list(speed.CLASSES)
    assert all(len(qs) == PER_CLASS for qs in queries.values())
    assert all(len(q["words"]) == 1 for q in queries["1-word"])
    assert all(len(q["words"]) == 2 for q in queries["2-word"])
    assert all(5 <= len(q["words"]) <= 10 for q in queries["5-10-word"])
    assert all(q["phrase"] and len(q["words"]) in (2, 3) for q in queries["phrase"])
    text = corpus.read_text("utf-8")
    assert all(" ".join(q["words"]) in text.lower() for q in queries["phrase"])  # real phrases


def test_replicated_corpus_has_distinct_ids_and_shifted_years(corpus, tmp_path):
    target = tmp_path / "big.jsonl"
    speed.replicate(corpus, target, 2 * ARTICLES + 3)
    docs = speed.read_docs(target)
    assert len(docs) == 2 * ARTICLES + 3
    assert len({d["id"] for d in docs}) == len(docs)
    assert docs[ARTICLES + 1]["text"] == docs[1]["text"]
    assert docs[ARTICLES + 1]["year"] == docs[1]["year"] + 1
    assert speed.corpus_size("100k") == 100_000 and speed.corpus_size("1m") == 1_000_000


@pytest.mark.parametrize("engine", list(speed.ENGINES))
@pytest.mark.slow
def test_engine_builds_and_answers(engine, corpus, queries, tmp_path):
    try:
        built = speed.measure_build(engine, corpus, tmp_path)
        measured = speed.measure_queries(engine, tmp_path, queries, queries)
    except speed.Skip as e:
        pytest.skip(str(e))
    assert built["articles"] == ARTICLES
    assert built["index_mb"] > 0 and built["build_rss_mb"] > 0 and built["articles_per_s"] > 0
    assert built["total_rss_mb"] >= built["build_rss_mb"] * 0.9
    if engine == "searchlib":  # its two build workers are seen, though a forkserver's children
        assert built["worker_rss_mb"] > 50
        # At some moment the building process (100 MB or more once imports are done) and a
        # worker were resident together.
        assert built["total_rss_mb"] > built["worker_rss_mb"] + 100
    assert list(measured["classes"]) == list(speed.CLASSES)
    for name, row in measured["classes"].items():
        for mode in ("plain", "facets"):
            stats = row[mode]
            if stats is None:  # only bm25s has no phrases
                assert (engine, name) == ("bm25s", "phrase")
                continue
            assert stats["queries"] == PER_CLASS
            assert 0 < stats["hits"] <= PER_CLASS * speed.LIMIT
            assert 0 < stats["p50_ms"] <= stats["p95_ms"]
            assert stats["qps"] > 0


@pytest.mark.parametrize("engine", list(speed.ENGINES))
@pytest.mark.slow
def test_engine_counts_years_of_every_match(engine, corpus, tmp_path):
    """The year facet counts all matches, not only the top 10 (articles a0..a199 share 'x')."""
    try:
        speed.measure_build(engine, corpus, tmp_path)
        search = speed.ENGINES[engine][1](tmp_path)
    except speed.Skip as e:
        pytest.skip(str(e))
    docs = speed.read_docs(corpus)
    word = docs[1]["title"].split()[0].lower()
    expected: dict[str, int] = {}
    for d in docs:
        if d["year"] and word in f"{d['title']} {d['text']}".lower().split():
            expected[str(d["year"])] = expected.get(str(d["year"]), 0) + 1
    ids, years = search({"words": [word], "phrase": False}, True)
    assert 0 < len(ids) <= speed.LIMIT
    assert years == expected


def test_run_reports_tables_and_updates_only_its_section(corpus, tmp_path):
    report = speed.run(
        [str(corpus)],
        ["whoosh", "sqlite-fts5", "tantivy"],
        data=tmp_path,
        workdir=tmp_path / "work",
        per_class=3,
        warmup=1,
    )
    report["commands"] = [{"command": "python benchmarks/speed.py (test)", "repeat": 1}]
    (rows,) = report["results"].values()
    engines = [e for e in ("whoosh", "sqlite-fts5", "tantivy") if e not in report["skipped"]]
    assert list(rows) == engines
    assert rows["whoosh"]["build_vs_base"] == 1.0
    assert not (tmp_path / "work" / "indexes" / "tiny" / "whoosh").exists()  # removed after
    text = speed.markdown(report)
    build_table, query_table = [
        [line for line in block.splitlines() if line.startswith("|")]
        for block in text.split("\n\n")
        if block.startswith("| corpus")
    ]
    assert len(build_table) == 2 + len(engines)
    assert len(query_table) == 2 + len(engines) * len(speed.CLASSES)
    assert all(line.count("|") == 13 for line in build_table)
    assert all(line.count("|") == 12 for line in query_table)
    if "tantivy" in rows:
        assert " 1.00 |" in next(line for line in query_table if "| tantivy |" in line)

    saved = json.loads(json.dumps(report))  # as --json writes it and --from-json reads it
    saved["results"] = {"other": saved["results"][str(corpus)]}
    saved["query_counts"] = {"other": saved["query_counts"][str(corpus)]}
    merged = speed.merge([report, saved])
    assert list(merged["results"]) == [str(corpus), "other"] and len(merged["commands"]) == 2
    assert speed.markdown(merged).count("| other | whoosh |") == 1 + len(speed.CLASSES)

    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Relevance\n\nkeep me\n\n## Other\n\nme too\n")
    speed.update_results(results, "first")
    speed.update_results(results, text)
    updated = results.read_text("utf-8")
    assert updated.count(speed.RESULTS_SECTION) == 1
    assert "keep me" in updated and "me too" in updated and "first" not in updated
    assert "| corpus | engine |" in updated


def test_targets_are_checked_against_the_issue_limits():
    def result(p50: float, p95: float, phrase95: float, build_s: float, rss: float) -> dict:
        row = {"plain": {"p50_ms": p50, "p95_ms": p95}, "facets": {"p50_ms": p50, "p95_ms": p95}}
        classes = {c: row for c in ("1-word", "2-word", "5-10-word")}
        classes["phrase"] = {"plain": {"p50_ms": 1.0, "p95_ms": phrase95}, "facets": None}
        return {
            "classes": classes,
            "build_s": build_s,
            "build_rss_mb": rss,
            "worker_rss_mb": rss,
            "sidecar_mb": 900.0,
        }

    fast = result(1.5, 9.0, 200.0, 2000.0, 1000.0)
    slow = result(3.0, 30.0, 300.0, 3000.0, 2000.0)
    tantivy = result(2.0, 3.0, 10.0, 100.0, 100.0)
    million = {"searchlib": slow, "tantivy": tantivy}
    report = {"results": {"100k": {"searchlib": fast}, "1m": million}}
    checks = {(corpus, target): met for corpus, target, _, met in speed.target_checks(report)}
    assert checks[("100k", "bag of words p50 ≤ 2 ms")] is True
    assert checks[("100k", "with all facets p95 ≤ 25 ms")] is True
    assert checks[("1m", "bag of words p50 ≤ tantivy's")] is False  # 1.5x tantivy's
    assert checks[("1m", "phrase p95 ≤ 250 ms")] is False
    assert checks[("1m", "full build ≤ 45 min")] is False  # 50 minutes
    assert checks[("1m", "build peak RSS ≤ 4 GB (all processes)")] is False  # 2 + 2 x 2 GB
    assert checks[("1m", "sidecar ≤ 1.5 GB")] is True
    assert "**missed**" in speed.format_targets(report)
    assert speed.target_checks({"results": {"reuters": {"searchlib": fast}}}) == []
