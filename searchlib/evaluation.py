"""Evaluate ranked runs against relevance judgments (qrels), as trec_eval does.

Measures, with trec_eval's definitions (trec_eval 9.x, as bundled in pytrec_eval):

- ``ndcg@10`` (``ndcg_cut.10``): gain = the judged grade, discount log2(rank + 1), rank from 1;
  the ideal ranking is every judged document sorted by grade, cut at 10.
- ``map@100`` (``map_cut.100``): sum of precision at the rank of each relevant document found in
  the top 100, divided by the number of relevant documents in the qrels.
- ``p@10`` (``P.10``): relevant documents in the top 10, divided by 10 (even if fewer came back).
- ``recall@100`` (``recall.100``): relevant documents in the top 100 over all relevant ones.

A document is relevant when its grade is > 0; ungraded documents count as not relevant. Each
query's results are ordered as trec_eval orders them, ignoring the order given: by score
descending, then by document id descending (plain string comparison). Averages are taken over
the queries in the qrels: a judged query without results scores 0 (trec_eval ``-c``), and a
query without judgments is ignored. A judged query without any relevant document scores 0.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Run = Mapping[str, Sequence[tuple[str, float]]]
Qrels = Mapping[str, Mapping[str, int]]

MEASURES = ("ndcg@10", "map@100", "p@10", "recall@100")


def read_queries(path: str | Path) -> dict[str, str]:
    """Read ``qid<TAB>query`` lines; blank lines are skipped."""
    queries: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            qid, sep, text = line.partition("\t")
            if not sep:
                raise ValueError(f"{path}:{lineno}: expected 'qid<TAB>query'")
            queries[qid.strip()] = text.strip()
    return queries


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """Read TREC qrels (``qid iter docid rel``) into ``{qid: {docid: rel}}``, zero grades kept."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ValueError(f"{path}:{lineno}: expected 'qid iter docid rel'")
            qid, _, docid, rel = parts
            qrels.setdefault(qid, {})[docid] = int(rel)
    return qrels


def _natural_key(qid: str) -> tuple[int, int, str]:
    # Numeric ids sort as numbers ("2" before "10"), others after them as strings.
    return (0, int(qid), "") if qid.isdigit() else (1, 0, qid)


def rank(results: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Order one query's results as trec_eval does: score descending, then docid descending."""
    ranked = sorted(
        ((str(d), float(s)) for d, s in results), key=lambda r: (r[1], r[0]), reverse=True
    )
    # trec_eval refuses duplicates too: a document counted twice would inflate every measure.
    if len({d for d, _ in ranked}) != len(ranked):
        raise ValueError("a document appears twice in one query's results")
    return ranked


def write_run(path: str | Path, run: Run, tag: str) -> None:
    """Write ``run`` in TREC format (``qid Q0 docid rank score tag``), ranks from 1.

    Queries come in natural id order and documents in the order :func:`evaluate` uses, so the
    file is the same for the same run and trec_eval reads the same ranking from it.
    """
    if not tag or any(c.isspace() for c in tag):
        raise ValueError("tag must be a non-empty string without whitespace")
    with open(path, "w", encoding="utf-8") as f:
        for qid in sorted(run, key=_natural_key):
            for i, (docid, score) in enumerate(rank(run[qid]), 1):
                if not docid or any(c.isspace() for c in docid):
                    raise ValueError(f"document id {docid!r} cannot be written in TREC format")
                # repr() round-trips the float, so re-reading cannot create new ties.
                f.write(f"{qid} Q0 {docid} {i} {score!r} {tag}\n")


def _query_measures(
    ranked: Sequence[tuple[str, float]], judged: Mapping[str, int]
) -> dict[str, float]:
    num_rel = sum(1 for g in judged.values() if g > 0)
    top10 = [judged.get(d, 0) for d, _ in ranked[:10]]
    top100 = [judged.get(d, 0) for d, _ in ranked[:100]]

    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(top10) if g > 0)
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))

    found = 0
    precision_sum = 0.0
    for i, g in enumerate(top100):
        if g > 0:
            found += 1
            precision_sum += found / (i + 1)

    return {
        "ndcg@10": dcg / idcg if idcg > 0 else 0.0,
        "map@100": precision_sum / num_rel if num_rel else 0.0,
        "p@10": sum(1 for g in top10 if g > 0) / 10,
        "recall@100": found / num_rel if num_rel else 0.0,
    }


def evaluate_per_query(run: Run, qrels: Qrels) -> dict[str, dict[str, float]]:
    """Measures for every query in ``qrels`` (queries missing from ``run`` score 0)."""
    return {qid: _query_measures(rank(run.get(qid, ())), judged) for qid, judged in qrels.items()}


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean of each measure over the queries in ``qrels``; keys are :data:`MEASURES`."""
    per_query = evaluate_per_query(run, qrels)
    if not per_query:
        raise ValueError("qrels hold no queries")
    return {m: sum(q[m] for q in per_query.values()) / len(per_query) for m in MEASURES}


_NON_WORD = re.compile(r"[^\w\s]+")


def plain_words(query: str) -> str:
    """A judged collection's query as plain words: every non-word character becomes a space, so
    no query language (quotes, colons, ``+``/``-``, wildcards) reads syntax into prose."""
    return " ".join(_NON_WORD.sub(" ", query).split())


@dataclass(frozen=True)
class EvalReport:
    """The measures of one index's run over judged queries (see :func:`evaluate_index`)."""

    index: str
    queries: int
    depth: int
    measures: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The report as in ``searchlib eval --json``."""
        return {"queries": self.queries, "measures": self.measures}


def evaluate_index(
    index: str | os.PathLike[str],
    queries: str | Path,
    qrels: str | Path,
    *,
    depth: int = 100,
    run_out: str | Path | None = None,
    tag: str = "searchlib",
) -> EvalReport:
    """Run every query of ``queries`` on ``index`` with the default ranking, as plain words,
    and measure the run against ``qrels`` (averaged over the judged queries); writes a TREC
    run to ``run_out``.
    """
    import searchlib  # here, not at the top: searchlib's package imports this module

    judged = read_qrels(qrels)
    run: dict[str, list[tuple[str, float]]] = {}
    with searchlib.open(index) as ix:
        for qid, text in read_queries(queries).items():
            words = plain_words(text)
            hits = ix.search(words, limit=depth, correct=False).hits if words else []
            run[qid] = [(hit.id, hit.score) for hit in hits]
    if run_out is not None:
        write_run(run_out, run, tag)
    return EvalReport(os.fspath(index), len(judged), depth, evaluate(run, judged))


__all__ = [
    "MEASURES",
    "EvalReport",
    "evaluate",
    "evaluate_index",
    "evaluate_per_query",
    "plain_words",
    "rank",
    "read_qrels",
    "read_queries",
    "write_run",
]
