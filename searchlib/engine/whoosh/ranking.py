"""Ranking: how searchlib scores an article for a query.

A query's words are scored with BM25F over the title and body fields, each word counted as often
as the query repeats it, and then re-weighted by RM3 pseudo-relevance feedback::

    score(q, d) = Σ_{t ∈ q} qtf(t) · bm25f(t, d)
                + Σ_{e ∈ E} β · |q| · P(e | R) · bm25f(e, d)          (only for d that match q)

    bm25f(t, d) = idf(t) · tf~ · (k1 + 1) / (tf~ + k1)
    tf~         = Σ_f w_f · tf(t, f, d) / (1 − b + b · len(f, d) / avglen(f))
    idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))

* ``qtf(t)``: how many times the analysed query holds the word (long prose questions repeat
  their key words); ``w_title = 2``, ``w_body = 1``; ``k1 = 1.2``, ``b = 0.75``; ``N`` is the
  number of articles and ``df(t)`` the number that hold ``t`` in any field.
* Feedback (RM3, as Anserini implements it): the first pass's top ``R = 3`` articles give each
  of their 20 most frequent terms (weighted by field, terms in more than 10% of articles left
  out) the weight ``score(d) · tf(e, d) / Σ tf``; the 20 heaviest terms ``E``, normalised to
  sum to 1, are added with ``β = (1 − λ) / λ`` for an original-query weight ``λ = 0.8``, and
  ``|q| = Σ qtf``. Feedback only reorders the articles the query matches; it never adds any.

Every part is a sum over terms of per-(term, article) impacts, so the ranking can be reproduced
from an impact table. Other query parts (``title:word``, phrases, prefixes) keep Whoosh's own
matching and are scored with per-field BM25 (the same formula with one field); a prefix,
wildcard or fuzzy term scores the sum of its words' (:func:`expansion_matcher`).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher, WrappingMatcher
from whoosh.query.compound import CompoundQuery
from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer

from ... import text as analysis
from ...fields import FIELD_WEIGHTS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from whoosh.searching import Searcher

#: BM25F field weights; the query parser gives each field's term this boost.


@dataclass(frozen=True)
class Params:
    """The ranking's free parameters: textbook BM25 (``k1``, ``b``); RM3 feedback chosen once
    for every collection by a small sweep over all four judged sets (benchmarks/RESULTS.md)."""

    k1: float = 1.2
    b: float = 0.75
    #: RM3 feedback: how many top articles, how many terms, the original query's weight λ, and
    #: the largest share of articles a feedback term may occur in. 0 documents: no feedback.
    feedback_docs: int = 3
    feedback_terms: int = 20
    original_weight: float = 0.8
    feedback_max_df: float = 0.1


PARAMS = Params()


def idf(n: int, df: int) -> float:
    """BM25's inverse document frequency, Lucene's form (never negative)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class BM25(WeightingModel):
    """Per-field BM25 for the parts of a query that search one field; carries the parameters
    that :class:`FieldsTerm` and :func:`expand` read from the searcher."""

    def __init__(self, params: Params = PARAMS) -> None:
        self.params = params

    def supports_block_quality(self) -> bool:
        """Whoosh may skip blocks of postings that cannot reach the top results."""
        return True

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1) -> Any:
        """The scorer of one term in one field."""
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _FieldScorer(searcher, fieldname, text, self.params)


class _FieldScorer(WeightLengthScorer):
    def __init__(self, searcher: Searcher, fieldname: str, text: bytes, params: Params) -> None:
        parent = searcher.get_parent()  # collection statistics come from the whole index
        df = _once(parent, ("df", fieldname, text), lambda: parent.doc_frequency(fieldname, text))
        self.idf = idf(parent.doc_count_all(), df)
        self.avgfl = _average_length(parent, fieldname)
        self.k1, self.b = params.k1, params.b
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        norm = 1 - self.b + self.b * length / self.avgfl
        return self.idf * weight * (self.k1 + 1) / (weight + self.k1 * norm)


class FieldsTerm(CompoundQuery):
    """One word searched in several fields and scored by BM25F: its length-normalised
    frequencies, weighted by each field Term's boost, add up before BM25 saturates them, so a
    word in both title and body counts once, more strongly, rather than twice."""

    JOINT = " | "

    def normalize(self) -> wq.Query:
        """Already normal: one word, one Term per field."""
        return self

    def leaves(self) -> Iterator[wq.Query]:
        """One :class:`FieldShare` per field: explanations score leaves one at a time."""
        for term in self.subqueries:
            yield FieldShare(term.fieldname, term.text, term.boost, group=self)

    def scores(self, searcher: Searcher, params: Params) -> dict[int, tuple[float, dict]]:
        """``{docnum: (score, {field: share of tf~})}`` for the articles holding the word."""
        parent = searcher.get_parent()
        parts: dict[int, dict[str, float]] = {}
        for term in self.subqueries:
            avgfl = _average_length(parent, term.fieldname)
            for docnum, weight in _postings(searcher, term):
                length = searcher.doc_field_length(docnum, term.fieldname, 1)
                norm = 1 - params.b + params.b * length / avgfl
                parts.setdefault(docnum, {})[term.fieldname] = term.boost * weight / norm
        if parent is searcher:
            df = len(parts)
        else:  # one segment of several: df counts the whole index

            def union() -> int:
                postings = (_postings(parent, t) for t in self.subqueries)
                return len({d for found in postings for d, _ in found})

            word = tuple((t.fieldname, t.text) for t in self.subqueries)
            df = _once(parent, ("df", word), union)
        weight = self.boost * idf(parent.doc_count_all(), df)
        k1 = params.k1
        out = {}
        for docnum, part in parts.items():
            tf = sum(part.values())
            out[docnum] = (weight * tf * (k1 + 1) / (tf + k1), {f: x / tf for f, x in part.items()})
        return out

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        """The matching articles with their BM25F scores, computed up front."""
        weighting = context.weighting if context is not None else searcher.weighting
        table = self.scores(searcher, getattr(weighting, "params", PARAMS))
        if not table:
            return NullMatcher()
        ids = sorted(table)
        if weighting is None:  # matching only, no scores wanted
            return ListMatcher(ids)
        return ListMatcher(ids, [table[d][0] for d in ids])


class FieldShare(wq.Term):
    """One field's share of a :class:`FieldsTerm`'s score (the word's BM25F score times the
    field's part of ``tf~``), so that explanations per field add up to the score."""

    def __init__(self, fieldname: str, text: str, boost: float, group: FieldsTerm) -> None:
        super().__init__(fieldname, text, boost)
        self.group = group

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        """The field's postings, scored with the field's share of the word's score."""
        text = searcher.schema[self.fieldname].to_bytes(self.text)
        if (self.fieldname, text) not in searcher.reader():
            return NullMatcher()
        params = getattr(searcher.weighting, "params", PARAMS)
        table = self.group.scores(searcher, params)
        shares = {d: score * part.get(self.fieldname, 0.0) for d, (score, part) in table.items()}
        return _ShareMatcher(searcher.postings(self.fieldname, text), shares)


class _ShareMatcher(WrappingMatcher):
    def __init__(self, child: Any, shares: dict[int, float]) -> None:
        super().__init__(child)
        self.shares = shares

    def _replacement(self, newchild: Any) -> Any:
        return _ShareMatcher(newchild, self.shares)

    def score(self) -> float:
        return self.shares.get(self.id(), 0.0)


def _once(searcher: Searcher, key: tuple, compute: Callable[[], Any]) -> Any:
    """A whole-index statistic, computed once per searcher: computing one visits every segment,
    and a search asks for it once per segment."""
    cache = searcher.__dict__.setdefault("_searchlib_statistics", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _average_length(searcher: Searcher, fieldname: str) -> float:
    return _once(searcher, ("avgfl", fieldname), lambda: searcher.avg_field_length(fieldname) or 1)


def _postings(searcher: Searcher, term: wq.Term) -> list[tuple[int, float]]:
    text = searcher.schema[term.fieldname].to_bytes(term.text)
    if (term.fieldname, text) not in searcher.reader():
        return []
    # The reader's postings: the searcher's would set up a scorer we do not use.
    return list(weights_of(searcher.reader().postings(term.fieldname, text)))


def weights_of(postings: Any) -> Iterator[tuple[int, float]]:
    """``(docnum, weight)`` of each posting of a fresh matcher: the weights Whoosh keeps beside
    the postings (for a news field, its frequency; ``analysis.Counts`` keeps no values)."""
    while postings.is_active():
        yield postings.id(), postings.weight()
        postings.next()


# ---------------------------------------------------------------------------------------------
# The bag of words


def prepare(query: wq.Query) -> wq.Query:
    """Turn an unnormalized parsed query into the ranked one: each word searched over several
    fields becomes a BM25F :class:`FieldsTerm`, and repeated words one term boosted by their
    count (Whoosh's own normalization would keep one copy and drop the rest)."""
    return count_repeats(combine_fields(query)).normalize()


def combine_fields(query: wq.Query) -> wq.Query:
    """Replace each ``Or`` of one word in several fields (as the multi-field parser makes for
    a plain word) by a :class:`FieldsTerm`."""
    subs = getattr(query, "subqueries", ())
    if (
        type(query) is wq.Or
        and len(subs) > 1
        and all(type(q) is wq.Term for q in subs)
        and len({q.text for q in subs}) == 1
        and len({q.fieldname for q in subs}) == len(subs)
    ):
        return FieldsTerm(list(subs), boost=query.boost)
    return query.apply(combine_fields)


def count_repeats(query: wq.Query) -> wq.Query:
    """Flatten nested ``And``/``Or`` and merge equal subqueries into one whose boost is the sum
    of theirs: the scores are those of the repeated subqueries, with each posting read once."""
    kind = type(query)
    if kind not in (wq.Or, wq.And):
        return query.apply(count_repeats)
    merged: dict[wq.Query, float] = {}

    def add(sub: wq.Query, factor: float) -> None:
        if type(sub) is kind:
            for child in sub.subqueries:
                add(child, factor * sub.boost)
        else:
            key = _with_boost(sub, 1.0)
            merged[key] = merged.get(key, 0.0) + factor * sub.boost

    for sub in query.subqueries:
        add(count_repeats(sub), 1.0)
    out = kind([_with_boost(key, boost) for key, boost in merged.items()], boost=query.boost)
    if kind is wq.Or:
        out.minmatch, out.scale = query.minmatch, query.scale
    return out


class _InQueryOrder:
    """An ``Or``/``And`` of BM25F words whose score is the sum of theirs added in query order.

    Whoosh adds a compound's scores along a tree it shapes by each segment's term statistics, so
    two articles with equal word scores in different segments could get sums that differ in the
    last bit, and ties would then follow segment order. Added in query order, an article's score
    does not depend on its segment, and the impact sidecar (which adds in the same order) gives
    the very same numbers.
    """

    subqueries: list[wq.Query]
    boost: float
    intersect: bool = False

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        """The matching articles with their summed scores, computed up front."""
        weighting = context.weighting if context is not None else searcher.weighting
        tables = [_scored(sub.matcher(searcher, context)) for sub in self.subqueries]
        if self.intersect:
            common = set.intersection(*(set(t) for t in tables)) if tables else set()
            tables = [{d: s for d, s in t.items() if d in common} for t in tables]
        return _summed(tables, weighting)


class SumOr(_InQueryOrder, wq.Or):
    """``Or`` of words, summed in query order (see :class:`_InQueryOrder`)."""


class SumAnd(_InQueryOrder, wq.And):
    """``And`` of words, summed in query order (see :class:`_InQueryOrder`)."""

    intersect = True


def expansion_matcher(
    searcher: Searcher, context: Any, fieldname: str, words: Sequence[bytes], boost: float
) -> Any:
    """The articles holding any of ``words`` (a prefix, wildcard or fuzzy term's, sorted) in
    one field, each scored ``boost`` times the sum of those words' per-field BM25 scores,
    added in the words' order.

    Whoosh scores such a term per segment: by BM25 where the segment holds one of its words,
    with a constant where it holds several, and adds them along a tree shaped by the segment.
    An article's score then depends on what else its segment holds (an incremental build
    and a full one ranked ``tele*`` differently). Here it does not: the words' statistics are
    the whole index's (:class:`BM25`), and a word the segment lacks adds nothing.
    """
    weighting = context.weighting if context is not None else searcher.weighting
    tables = (_scored(wq.Term(fieldname, word).matcher(searcher, context)) for word in words)
    return _summed(tables, weighting, boost)


def _scored(matcher: Any) -> dict[int, float]:
    out = {}
    while matcher.is_active():
        out[matcher.id()] = matcher.score()
        matcher.next()
    return out


# What a query-order sum may hold: BM25F words, such sums, and the terms that stand for several
# words (each scored as one, see expansion_matcher).
_IN_QUERY_ORDER = (FieldsTerm, SumOr, SumAnd, wq.Prefix, wq.Wildcard, wq.FuzzyTerm)


def in_query_order(query: wq.Query) -> wq.Query:
    """``query`` with each ``Or``/``And`` of words (and of such groups) summed in query order."""
    query = query.apply(in_query_order)
    kind = {wq.Or: SumOr, wq.And: SumAnd}.get(type(query))
    subs = getattr(query, "subqueries", ())
    if (
        kind is None
        or query.boost != 1.0
        or getattr(query, "minmatch", 0)
        or getattr(query, "scale", None)
        or not all(isinstance(sub, _IN_QUERY_ORDER) for sub in subs)
    ):
        return query
    return kind(list(subs))


def _with_boost(query: wq.Query, boost: float) -> wq.Query:
    """``query.with_boost(boost)`` without Whoosh's deep copy of the whole query (a third of
    parsing a long query): nothing here changes a query in place."""
    if query.boost == boost:
        return query
    out = copy.copy(query)
    out.boost = boost
    return out


# ---------------------------------------------------------------------------------------------
# Pseudo-relevance feedback


def expand(searcher: Searcher, query: wq.Query, filter: wq.Query | None = None) -> wq.Query:
    """Add RM3 feedback terms from the top articles of a first pass (see the module docstring).

    The result matches exactly the articles ``query`` matches; only their scores change.
    """
    params: Params = getattr(searcher.weighting, "params", PARAMS)
    if not params.feedback_docs or isinstance(query, wq.Every):
        return query
    top = searcher.search(query, filter=filter, limit=params.feedback_docs)
    return with_feedback(searcher, query, list(top.items()))


#: The terms of an article by feedback weight, heaviest first (see :func:`article_terms`),
#: and whether they are all of the article's plain words or only the first of them.
ArticleTerms = tuple["Sequence[tuple[str, float]]", bool]


def plain_word(term: str) -> bool:
    """Anserini's rule for a feedback term's form: a plain word of 2-20 characters."""
    return 2 <= len(term) <= 20 and term.isalnum()


def article_terms(stored: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The plain words (:func:`plain_word`) of an article's stored fields, each counted with
    its field's weight, heaviest first and alphabetically among equals: the order the impact
    sidecar keeps them in, so both give feedback the same terms."""
    counts: Counter[str] = Counter()
    for field, weight in FIELD_WEIGHTS.items():
        for term in analysis.terms(stored.get(field, "")):  # the fields' own analyzer
            counts[term] += weight  # type: ignore[assignment]  # Counter holds floats too
    return sorted(
        ((term, count) for term, count in counts.items() if plain_word(term)),
        key=lambda item: (-item[1], item[0]),
    )


def with_feedback(
    searcher: Searcher,
    query: wq.Query,
    top: list[tuple[int, float]],
    *,
    frequency_bound: Callable[[str], int] | None = None,
    terms_of: Callable[[int], ArticleTerms] | None = None,
) -> wq.Query:
    """``query`` with the RM3 terms of its first pass's ``top`` ``(docnum, score)`` articles
    (best first); :func:`expand` runs that first pass with Whoosh, the impact sidecar without.

    ``frequency_bound(term)``, if given, is at least the term's document frequency in any field
    (the sidecar's count over title and body): terms well under the limit then need no asking
    of every segment. ``terms_of(docnum)``, if given, tells an article's terms as
    :func:`article_terms` would without reading and analysing it (the sidecar keeps them);
    when it gives only the first few and too few of those may be feedback terms, the article
    is analysed after all.
    """
    params: Params = getattr(searcher.weighting, "params", PARAMS)
    most = params.feedback_max_df * searcher.doc_count_all()
    # Whether a term may be a feedback term depends only on the index: asked once per searcher.
    eligible: dict[str, bool] = _once(searcher, ("feedback", most), dict)

    def heaviest(terms: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
        best = []
        for term, count in terms:
            if term not in eligible:
                # Anserini's rules: plain words (already so) not in over 10% of articles (a
                # stop list that adapts to the collection).
                eligible[term] = (
                    frequency_bound is not None and frequency_bound(term) <= most
                ) or max(searcher.doc_frequency(f, term) for f in FIELD_WEIGHTS) <= most
            if eligible[term]:
                best.append((term, count))
                if len(best) == params.feedback_terms:
                    break
        return best

    model: Counter[str] = Counter()
    for docnum, score in top:
        terms, complete = terms_of(docnum) if terms_of is not None else ((), False)
        best = heaviest(terms)
        if len(best) < params.feedback_terms and not complete:
            best = heaviest(article_terms(searcher.stored_fields(docnum)))
        total = sum(count for _, count in best)
        for term, count in best:
            model[term] += score * count / total  # type: ignore[assignment]  # floats too
    chosen = model.most_common(params.feedback_terms)
    mass = sum(weight for _, weight in chosen)
    if not mass:
        return query
    scale = query_weight(query) * (1 - params.original_weight) / params.original_weight / mass
    terms = [
        FieldsTerm([wq.Term(f, term, boost=w) for f, w in FIELD_WEIGHTS.items()], boost=scale * x)
        for term, x in chosen
    ]
    return wq.AndMaybe(query, in_query_order(wq.Or(terms)))


def query_weight(query: wq.Query) -> float:
    """``|q|``: the query's words counted with their repeats (other leaves count once)."""
    if isinstance(query, wq.Not):
        return 0.0
    if isinstance(query, FieldsTerm):
        return query.boost
    if query.is_leaf():
        return 1.0
    return getattr(query, "boost", 1.0) * sum(query_weight(q) for q in query.children())


def _summed(tables: Iterable[dict[int, float]], weighting: Any, boost: float = 1.0) -> Any:
    """A matcher of the articles of ``tables`` (docnum → score), each scored ``boost`` times
    its scores added in the tables' order (no scores when ``weighting`` is None: matching
    only)."""
    total: dict[int, float] = {}
    for table in tables:
        for docnum, score in table.items():
            total[docnum] = total.get(docnum, 0.0) + score
    if not total:
        return NullMatcher()
    ids = sorted(total)
    if weighting is None:
        return ListMatcher(ids)
    return ListMatcher(ids, [boost * total[d] for d in ids])
