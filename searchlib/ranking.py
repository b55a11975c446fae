"""Ranking: how searchlib scores an article for a query.

(draft; the formula is documented once the experiments settle it)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query.compound import CompoundQuery
from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer

if TYPE_CHECKING:
    from whoosh.searching import Searcher


@dataclass(frozen=True)
class Params:
    """The ranking's free parameters."""

    k1: float = 1.2
    b: float = 0.75
    idf: str = "lucene"  # or "whoosh"
    bm25f: bool = True
    fb_docs: int = 0
    fb_terms: int = 10
    fb_query_weight: float = 0.5
    fb_max_df: float = 0.1
    fb_fields: bool = True  # count feedback terms in every field, weighted
    fb_model: str = "rm3"  # or "bo1"
    fb_min_docs: int = 2


PARAMS = Params()


def idf(n: int, df: int, kind: str = "lucene") -> float:
    if kind == "lucene":
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
    return math.log(n / (df + 1)) + 1


class BM25(WeightingModel):
    """Okapi BM25 per field."""

    def __init__(self, params: Params = PARAMS) -> None:
        self.params = params

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(searcher, fieldname, text, self.params)


class _Scorer(WeightLengthScorer):
    def __init__(self, searcher: Searcher, fieldname: str, text: bytes, params: Params) -> None:
        parent = searcher.get_parent()  # collection statistics come from the whole index
        self.idf = idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text), params.idf)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.p = params
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        k1, b = self.p.k1, self.p.b
        return self.idf * weight * (k1 + 1) / (weight + k1 * (1 - b + b * length / self.avgfl))


class FieldsTerm(CompoundQuery):
    """One word searched in several fields at once and scored by BM25F: its frequencies in
    the fields, each weighted by its Term's boost, add up before BM25 saturates them."""

    JOINT = " | "

    def normalize(self) -> wq.Query:
        return self

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        weighting = context.weighting if context is not None else searcher.weighting
        params = getattr(weighting, "params", PARAMS)
        parent = searcher.get_parent()
        postings = {}
        for term in self.subqueries:
            field = searcher.schema[term.fieldname]
            text = field.to_bytes(term.text)
            if (term.fieldname, text) in searcher.reader():
                postings[term] = list(searcher.postings(term.fieldname, text).items_as("weight"))
        if not postings:
            return NullMatcher()
        tf: dict[int, float] = {}
        for term, items in postings.items():
            avgfl = parent.avg_field_length(term.fieldname) or 1
            for docnum, weight in items:
                length = searcher.doc_field_length(docnum, term.fieldname, 1)
                norm = 1 - params.b + params.b * length / avgfl
                tf[docnum] = tf.get(docnum, 0.0) + term.boost * weight / norm
        ids = sorted(tf)
        if weighting is None:
            return ListMatcher(ids)
        if parent is searcher:
            df = len(ids)
        else:
            df = len({d for t in self.subqueries for d in _ids(parent, t)})
        w = self.boost * idf(parent.doc_count_all(), df, params.idf)
        k1 = params.k1
        return ListMatcher(ids, [w * tf[d] * (k1 + 1) / (tf[d] + k1) for d in ids])


def _ids(searcher: Searcher, term: wq.Term) -> list[int]:
    text = searcher.schema[term.fieldname].to_bytes(term.text)
    if (term.fieldname, text) not in searcher.reader():
        return []
    return list(searcher.postings(term.fieldname, text).all_ids())


def combine_fields(query: wq.Query) -> wq.Query:
    """Turn each word searched over several fields into one BM25F FieldsTerm."""
    if (
        type(query) is wq.Or
        and len(query.subqueries) > 1
        and all(type(q) is wq.Term for q in query.subqueries)
        and len({q.text for q in query.subqueries}) == 1
        and len({q.fieldname for q in query.subqueries}) == len(query.subqueries)
    ):
        return FieldsTerm(list(query.subqueries), boost=query.boost)
    return query.apply(combine_fields)


def count_repeats(query: wq.Query) -> wq.Query:
    """Merge repeated subqueries of And/Or into one, boosted by how often it was repeated."""
    kind = type(query)
    if kind not in (wq.Or, wq.And):
        return query.apply(count_repeats)
    merged: dict[wq.Query, float] = {}

    def add(sub: wq.Query, factor: float) -> None:
        if type(sub) is kind:
            for child in sub.subqueries:
                add(child, factor * sub.boost)
            return
        key = sub.with_boost(1.0)
        merged[key] = merged.get(key, 0.0) + factor * sub.boost

    for sub in query.subqueries:
        add(count_repeats(sub), 1.0)
    out = kind([key.with_boost(boost) for key, boost in merged.items()], boost=query.boost)
    if kind is wq.Or:
        out.minmatch, out.scale = query.minmatch, query.scale
    return out


def prepare(query: wq.Query, params: Params = PARAMS) -> wq.Query:
    if params.bm25f:
        query = combine_fields(query)
    return count_repeats(query).normalize()


FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}


def query_weight(query: wq.Query) -> float:
    """How many words the query counts (repeats included), for scaling the feedback terms."""
    if isinstance(query, wq.Not):
        return 0.0
    if isinstance(query, FieldsTerm) or query.is_leaf():
        return query.boost
    return getattr(query, "boost", 1.0) * sum(query_weight(q) for q in query.children())


def expand(searcher: Searcher, query: wq.Query, filter: Any = None, params: Params = PARAMS) -> wq.Query:
    """RM3 pseudo-relevance feedback."""
    if not params.fb_docs or isinstance(query, wq.Every):
        return query
    top = searcher.search(query, filter=filter, limit=params.fb_docs)
    n = searcher.doc_count_all()
    df: dict[str, bool] = {}

    def eligible(t: str) -> bool:
        ok = df.get(t)
        if ok is None:
            ok = df[t] = (2 <= len(t) <= 20 and t.isalnum() and max(searcher.doc_frequency(f, t) for f in FIELD_WEIGHTS) <= params.fb_max_df * n)
        return ok

    model: Counter[str] = Counter()
    for docnum, score in top.items():
        stored = searcher.stored_fields(docnum)
        counts: Counter[str] = Counter()
        for field, weight in FIELD_WEIGHTS.items():
            if not params.fb_fields and field != "body":
                continue
            for t in searcher.schema[field].process_text(stored.get(field, ""), mode="index"):
                counts[t] += weight if params.fb_fields else 1
        best = [(t, c) for t, c in counts.most_common() if eligible(t)][: params.fb_terms]
        norm = sum(c for _, c in best)
        for t, c in best:
            model[t] += score * c / norm
    best = model.most_common(params.fb_terms)
    total = sum(w for _, w in best)
    if not total:
        return query
    scale = query_weight(query) * (1 - params.fb_query_weight) / params.fb_query_weight / total
    extra = [FieldsTerm([wq.Term(f, t, boost=w) for f, w in FIELD_WEIGHTS.items()], boost=scale * x) for t, x in best]
    return wq.AndMaybe(query, wq.Or(extra))


def expand_bo1(searcher: Searcher, query: wq.Query, filter: Any = None, params: Params = PARAMS) -> wq.Query:
    """Bo1 (DFR) pseudo-relevance feedback, Amati's parameter-free weights."""
    if not params.fb_docs or isinstance(query, wq.Every):
        return query
    top = searcher.search(query, filter=filter, limit=params.fb_docs)
    n = searcher.doc_count_all()
    tfx: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    for docnum in top.docs():
        stored = searcher.stored_fields(docnum)
        counts: Counter[str] = Counter()
        for field in FIELD_WEIGHTS:
            counts.update(searcher.schema[field].process_text(stored.get(field, ""), mode="index"))
        tfx.update(counts)
        docs.update(counts.keys())
    weights = {}
    for t, x in tfx.items():
        if docs[t] < min(params.fb_min_docs, len(top)) or not (2 <= len(t) <= 20):
            continue
        pn = sum(searcher.frequency(f, t) for f in FIELD_WEIGHTS) / n
        weights[t] = x * math.log2((1 + pn) / pn) + math.log2(1 + pn)
    best = sorted(weights.items(), key=lambda kv: -kv[1])[: params.fb_terms]
    if not best:
        return query
    top_w = best[0][1]
    scale = max_boost(query)
    extra = [FieldsTerm([wq.Term(f, t, boost=w) for f, w in FIELD_WEIGHTS.items()], boost=scale * x / top_w) for t, x in best]
    return wq.AndMaybe(query, wq.Or(extra))


def max_boost(query: wq.Query) -> float:
    if isinstance(query, FieldsTerm) or query.is_leaf():
        return query.boost
    return getattr(query, "boost", 1.0) * max((max_boost(q) for q in query.children()), default=0.0)
