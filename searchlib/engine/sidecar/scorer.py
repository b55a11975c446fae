"""The sidecar's scorer: bag-of-words queries, filters and facets answered with numpy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from ...fields import ENTITY_FIELDS
from .. import Ranked
from ..facets import FacetColumns, distinct, iso_day
from ..whoosh import ranking
from ..whoosh.searcher import WhooshEngine
from . import files as impacts
from . import prune
from .positions import PhraseScorer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from whoosh.searching import Searcher

    from .. import Request


@dataclass(frozen=True)
class _Accelerator:
    """An impact sidecar: scores bag-of-words queries and applies filters with numpy, as
    Whoosh's matchers would."""

    sidecar: impacts.Sidecar
    #: Articles not deleted, and whether that is all of them (builds leave no deletions).
    live: np.ndarray
    complete: bool
    #: Phrases and one-field words, from the sidecar's positions.
    phrases: PhraseScorer

    @classmethod
    def build(cls, sidecar: impacts.Sidecar) -> _Accelerator:
        """The scorer of a loaded sidecar."""
        live = ~sidecar.deleted
        live.flags.writeable = False
        phrases = PhraseScorer(sidecar.fields, sidecar.row, sidecar.docs_all)
        return cls(sidecar, live, bool(live.all()), phrases)

    def words(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docnums, scores)`` of the articles matching words joined by OR (in docnum order),
        or ``None`` for any other query. Few postings are merged by sorting; many are added up
        over all articles, as :meth:`bag` does. A phrase, or two joined by OR (the title's and
        the body's), is matched from the sidecar's positions."""
        postings = self._words_postings(query)
        if postings is None:
            return self._phrases(query)
        if sum(len(docs) for docs, _ in postings) * 16 > len(self.live):
            matched, dense = self._summed(postings)
            docnums = np.flatnonzero(matched)
            return docnums, dense[docnums]
        every = [docs for docs, _ in postings]
        docnums = np.sort(np.concatenate(every or [np.zeros(0, np.int32)]))
        if len(every) > 1:  # (one word's articles are already distinct)
            distinct = np.ones(len(docnums), bool)
            distinct[1:] = docnums[1:] != docnums[:-1]
            docnums = docnums[distinct]
        scores = np.zeros(len(docnums))
        for docs, word_scores in postings:  # in query order, as bincount and Whoosh add them
            scores[np.searchsorted(docnums, docs)] += word_scores
        if not self.complete:
            keep = self.live[docnums]
            docnums, scores = docnums[keep], scores[keep]
        return docnums, scores

    def _phrases(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docnums, scores)`` of a phrase or one-field word, or of two joined by OR (as
        Whoosh's union adds them: either order gives the same sum), else ``None``."""
        if not self.complete:  # (Whoosh's document frequencies count deleted articles)
            return None
        if type(query) in (wq.Phrase, wq.Term):
            return self.phrases.scores(query)
        subs = getattr(query, "subqueries", ())
        if (
            type(query) is not wq.Or
            or query.boost != 1.0
            or query.minmatch
            or query.scale
            or len(subs) != 2
            or any(type(sub) not in (wq.Phrase, wq.Term) for sub in subs)
        ):
            return None
        first, second = (self.phrases.scores(sub) for sub in subs)
        if first is None or second is None:
            return None
        docnums = distinct(np.sort(np.concatenate([first[0], second[0]])))
        scores = np.zeros(len(docnums))
        for docs, part in (first, second):
            scores[np.searchsorted(docnums, docs)] += part
        return docnums, scores

    def add_words(
        self, query: wq.Query, docnums: np.ndarray, scores: np.ndarray
    ) -> np.ndarray | None:
        """``scores`` of the articles ``docnums`` (sorted) plus those of words joined by OR,
        where they match; ``None`` for any other query."""
        subs = _or_of_words(query)
        if subs is None:
            return None
        if not len(docnums):
            return scores.copy()
        if len(docnums) * 16 > len(self.live):  # many matches: add over all articles
            found = self.bag(query)
            if found is None:
                return None
            return scores + found[1][docnums]  # (0 where the words do not match)
        added = np.zeros(len(docnums))
        for sub in subs:  # in query order
            posted = self.postings(sub)
            if posted is None:
                return None
            docs, weights = posted
            if not len(docs):
                continue
            # Look the shorter list up in the longer one (both are sorted).
            if len(docnums) < len(docs):
                at = np.minimum(np.searchsorted(docs, docnums), len(docs) - 1)
                hit = docs[at] == docnums
                where, tf = np.flatnonzero(hit), weights[at[hit]]
            else:
                at = np.minimum(np.searchsorted(docnums, docs), len(docnums) - 1)
                hit = docnums[at] == docs
                where, tf = at[hit], weights[hit]
            # Scores are computed element by element: those of the matches alone are the same.
            added[where] += impacts.word_scores(tf, len(docs), self.sidecar.docs_all, sub.boost)
        # Whoosh's AndMaybe: the query's score plus the words' own sum (not added one by one).
        return scores + added

    def bag(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(matches, scores)`` over all articles for a query of BM25F words joined by OR,
        AND, AND NOT and AND MAYBE (``+``), or ``None`` for any other query."""
        n = self.sidecar.docs_all
        kind = _PLAIN_KIND.get(type(query), type(query))
        if query is wq.NullQuery:  # only stop words: nothing matches
            return np.zeros(n, bool), np.zeros(n)
        if kind in (wq.Phrase, wq.Term):
            # (Whoosh's document frequencies count deleted articles: only without any.)
            found = self.phrases.scores(query) if self.complete else None
            if found is None:
                return None
            matched, scores = np.zeros(n, bool), np.zeros(n)
            matched[found[0]] = True
            scores[found[0]] = found[1]
            return matched, scores
        if _or_of_words(query) is not None:  # the common query: one pass over the postings
            postings = self._words_postings(query)
            return None if postings is None else self._summed(postings)
        if kind in (wq.Or, wq.And) and query.boost == 1.0:
            if kind is wq.Or and (query.minmatch or query.scale):
                return None
            if len(query.subqueries) > 2 and any(_one_field(s) for s in query.subqueries):
                # Whoosh adds such scores along a tree shaped by each segment's statistics:
                # two are added in either order alike, more are left to Whoosh.
                return None
            parts = [self.bag(sub) for sub in query.subqueries]
            if not parts or any(p is None for p in parts):
                return None
            masks = [p[0] for p in parts if p is not None]
            matched = np.logical_or.reduce(masks) if kind is wq.Or else np.logical_and.reduce(masks)
            total = np.zeros(n)
            for part in parts:  # each part's scores are 0 where it does not match
                assert part is not None
                total += part[1]
            return matched, np.where(matched, total, 0.0)
        if kind in (wq.AndNot, wq.AndMaybe):
            a, b = self.bag(query.a), self.bag(query.b)
            if a is None or b is None:
                return None
            if kind is wq.AndNot:
                matched = a[0] & ~b[0]
                return matched, np.where(matched, a[1], 0.0)
            return a[0], a[1] + np.where(a[0], b[1], 0.0)
        return None

    def _words_postings(self, query: wq.Query) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Each word's articles and scores, in query order, for words joined by OR; ``None``
        for any other query or field weights other than the sidecar's."""
        subs = _or_of_words(query)
        if subs is None:
            return None
        postings = []
        for sub in subs:
            docs, scores = self.word(sub)
            if docs is None or scores is None:
                return None
            postings.append((docs, scores))
        return postings

    def _summed(
        self, postings: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(matches, scores)`` over all articles of words' postings: bincount adds each
        article's word scores in query order, as the sums in :meth:`bag` and Whoosh do."""
        n = self.sidecar.docs_all
        docs = np.concatenate([d for d, _ in postings] or [np.zeros(0, int)])
        weights = np.concatenate([w for _, w in postings] or [np.zeros(0)])
        matched = np.zeros(n, bool)
        matched[docs] = True
        scores = np.bincount(docs, weights, minlength=n)
        if not self.complete:
            matched &= self.live
            scores[~self.live] = 0.0
        return matched, scores

    def postings(self, query: ranking.FieldsTerm) -> tuple[np.ndarray, impacts.Weights] | None:
        """The articles holding one BM25F word and its ``tf~`` there, or ``None`` for field
        weights other than the sidecar's."""
        terms = query.subqueries
        if (
            any(type(t) is not wq.Term for t in terms)
            or len({t.text for t in terms}) != 1
            or len(terms) != len(ranking.FIELD_WEIGHTS)
            or {t.fieldname: t.boost for t in terms} != ranking.FIELD_WEIGHTS
        ):
            return None  # the sidecar holds tf~ for the default field weights only
        return self.sidecar.postings(terms[0].text)

    def word(self, query: ranking.FieldsTerm) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The articles holding one BM25F word and its scores there, or ``(None, None)`` for
        field weights other than the sidecar's."""
        found = self.postings(query)
        if found is None:
            return None, None
        docs, tf = found
        return docs, tf.scores(len(docs), self.sidecar.docs_all, query.boost)

    def feedback_words(self, query: wq.Query) -> list[prune.Word] | None:
        """The BM25F words of feedback terms joined by OR, for :func:`prune.best`; ``None`` for
        any other query."""
        subs = _or_of_words(query)
        if subs is None:
            return None
        words = []
        for sub in subs:
            found = self.postings(sub)
            if found is None or not sub.boost > 0:  # (scores that fall as tf~ grows)
                return None
            docs, tf = found
            words.append(
                prune.Word(docs, tf, self.sidecar.highest(sub.subqueries[0].text), sub.boost)
            )
        return words

    def filter_mask(self, searcher: Searcher, flt: wq.Query | None) -> np.ndarray | None:
        """The live articles that pass a :func:`build_filter` filter, or ``None`` if the
        filter has another shape. Dates come from the date column; entities from Whoosh's
        own postings of the (few) filter terms."""
        sidecar = self.sidecar
        if flt is None:
            return self.live
        if type(flt) is wq.And:
            masks = [self.filter_mask(searcher, sub) for sub in flt.subqueries]
            if any(m is None for m in masks):
                return None
            return np.logical_and.reduce([m for m in masks if m is not None])
        if type(flt) is wq.TermRange and flt.fieldname == "date":
            bounds = [flt.start, flt.end]
            if flt.startexcl or flt.endexcl or not sidecar.exact_dates:
                return None
            if any(b and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", b) for b in bounds):
                return None
            matched = (sidecar.dates != 0) & ~sidecar.deleted
            if flt.start:
                matched &= sidecar.dates >= int(flt.start.replace("-", ""))
            if flt.end:
                matched &= sidecar.dates <= int(flt.end.replace("-", ""))
            return matched
        fields = {getattr(t, "fieldname", None) for t in flt.leaves()}
        if type(flt) in (wq.Term, wq.Or) and fields <= set(ENTITY_FIELDS):
            matched = np.zeros(sidecar.docs_all, bool)
            matched[list(searcher.docs_for_query(flt))] = True
            return matched & ~sidecar.deleted
        return None


# The sidecar adds scores in query order, as these do, and as Whoosh's Or and And do within
# one segment.
_PLAIN_KIND: dict[type, type] = {ranking.SumOr: wq.Or, ranking.SumAnd: wq.And}


def _or_of_words(query: wq.Query) -> list[ranking.FieldsTerm] | None:
    """The BM25F words of a query of words joined by OR (or of one word), else ``None``."""
    if type(query) is ranking.FieldsTerm:
        return [query]
    if (
        type(query) in (wq.Or, ranking.SumOr)
        and query.boost == 1.0
        and not (query.minmatch or query.scale)
        and all(type(sub) is ranking.FieldsTerm for sub in query.subqueries)
    ):
        return list(query.subqueries)
    return None


def _one_field(query: wq.Query) -> bool:
    """Whether ``query`` holds a phrase or a one-field word (not summed in query order)."""
    if type(query) is ranking.FieldsTerm:  # (one word in every field, a Term for each)
        return False
    return type(query) in (wq.Phrase, wq.Term) or any(
        _one_field(sub) for sub in getattr(query, "subqueries", ())
    )


def _whoosh_scores(searcher: Searcher, query: wq.Query, docs_all: int) -> tuple[np.ndarray, ...]:
    """``(matches, scores)`` over all articles, from Whoosh's own matchers for ``query``."""
    matched, scores = np.zeros(docs_all, bool), np.zeros(docs_all)
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, sub.context())
        while matcher.is_active():
            matched[offset + matcher.id()] = True
            scores[offset + matcher.id()] = matcher.score()
            matcher.next()
    return matched, scores


def _best(docnums: np.ndarray, scores: np.ndarray, ties: np.ndarray, most: int) -> np.ndarray:
    """The ``most`` best of ``docnums`` by score, equal scores ordered by ``ties``, without
    sorting all of them."""
    if len(docnums) > most:
        cut = np.partition(scores, len(scores) - most)[len(scores) - most]
        keep = scores >= cut  # with every article tied with the last one kept
        docnums, scores, ties = docnums[keep], scores[keep], ties[keep]
    return docnums[np.lexsort((ties, -scores))[:most]]


class SidecarEngine(WhooshEngine):
    """A generation with a current impact sidecar: bag-of-words queries, filters and facets
    from numpy; phrases, prefixes and ``title:`` matched by Whoosh in one pass, then ranked,
    fed back and counted here. The results are those of :class:`WhooshEngine`."""

    name = "sidecar"

    def __init__(
        self, folder: Path, names: Callable[[], Mapping[str, Mapping[str, str]]], generation: str
    ) -> None:
        super().__init__(folder, names, generation)
        sidecar = impacts.load(folder, generation, self.docs_all)
        # Dates it cannot hold exactly would count differently: Whoosh answers then.
        if sidecar is None or not sidecar.exact_dates:
            raise LookupError(f"{folder} has no current impact sidecar")
        self.accel = _Accelerator.build(sidecar)
        self._columns = FacetColumns.load(folder, generation, self.docs_all) or (
            FacetColumns.build(sidecar.dates, sidecar.entities, names())
        )

    def phrase_scorer(self) -> PhraseScorer:
        """The generation's phrases from the sidecar's positions (loaded with it)."""
        return self.accel.phrases

    def stats(self) -> dict[str, Any]:
        """Counts of articles, dates and terms, from the sidecar's columns (Whoosh's date
        terms, one frequency lookup per date in each of 100 segments, took 2 s at 1M)."""
        sidecar = self.accel.sidecar
        dates = sidecar.dates[~sidecar.deleted]
        dated = dates[dates != 0]
        shown = (
            [iso_day(int(d)) for d in (dated.min(), dated.max())] if len(dated) else [None, None]
        )
        return {
            "articles": len(dates),
            "dated": len(dated),
            "undated": len(dates) - len(dated),
            "first_date": shown[0],
            "last_date": shown[1],
            "terms": self.body_terms(),
        }

    def body_terms(self) -> int:
        """How many distinct words the articles' bodies hold, from the sidecar's body postings
        (Whoosh's lexicon merged from 100 segments took 8 s at a million articles)."""
        return int(np.count_nonzero(np.diff(self.accel.sidecar.fields["body"].indptr)))

    def frequency(self, term: str) -> int:
        """How many articles hold the analysed word ``term`` (from the sidecar at once)."""
        return self.accel.sidecar.document_frequency(term)

    def docs_of(self, term: str) -> np.ndarray:
        """The articles that hold the analysed word ``term`` (from the sidecar at once)."""
        return self.accel.sidecar.postings(term)[0]

    def run(self, parsed: Any, flt: Any, asked: Request) -> Ranked:
        """:meth:`WhooshEngine.run` with the sidecar: words joined by AND, OR, NOT, + and - are
        scored from it; other queries are matched and scored by Whoosh in one pass, and the
        sidecar adds the feedback terms, ranks and counts facets. Queries and filters of
        shapes it does not know go to Whoosh whole."""
        return self._run(parsed, flt, asked) or super().run(parsed, flt, asked)

    def _run(self, parsed: Any, flt: Any, asked: Request) -> Ranked | None:
        accel, searcher = self.accel, self.searcher()
        allowed = accel.filter_mask(searcher, flt)
        if allowed is None or isinstance(parsed, wq.Every):
            return None
        words = accel.words(parsed)
        if words is not None:  # words joined by OR: from their postings alone
            docnums, scores = words
            if allowed is not accel.live or not accel.complete:
                keep = allowed[docnums]
                docnums, scores = docnums[keep], scores[keep]
        else:
            matched, first = accel.bag(parsed) or _whoosh_scores(
                searcher, parsed, accel.sidecar.docs_all
            )
            if allowed is not accel.live or not accel.complete:
                matched &= allowed
            docnums = np.flatnonzero(matched)
            scores = first[docnums]
        ranked = parsed
        n = accel.sidecar.docs_all
        params: ranking.Params = getattr(searcher.weighting, "params", ranking.PARAMS)
        if params.feedback_docs and len(docnums):
            # Whoosh's top collector: best score first, the lower docnum first among equals.
            best = _best(docnums, scores, docnums, params.feedback_docs)
            at = np.searchsorted(docnums, best)
            top = [(int(d), float(s)) for d, s in zip(best, scores[at], strict=True)]
            sidecar = accel.sidecar
            # The sidecar left out the words in over its feedback_max_df of the articles.
            kept = params.feedback_max_df <= sidecar.feedback_max_df
            ranked = ranking.with_feedback(
                searcher,
                parsed,
                top,
                frequency_bound=sidecar.document_frequency,
                terms_of=sidecar.article_terms if kept else None,
            )
            if ranked is not parsed and isinstance(ranked, wq.AndMaybe):
                # Feedback reorders the matches and adds none (Whoosh's AndMaybe).
                found = None
                # Only the matches that can rank need the feedback terms' scores (unless
                # so many can that adding the terms' postings over all is cheaper: see
                # prune.best), however many match.
                if asked.sort == "relevance":
                    feedback = accel.feedback_words(ranked.b)
                    if feedback is not None:
                        found = prune.best(
                            docnums, scores, feedback, asked.wanted, accel.sidecar.id_rank, n
                        )
                if found is not None:
                    at, final = found
                    scored = [
                        (int(docnums[i]), float(s))
                        for i, s in zip(
                            at[asked.first - 1 :], final[asked.first - 1 :], strict=True
                        )
                    ]
                    counts = self.counts(docnums, asked.facet_limit)
                    return Ranked(scored, len(docnums), ranked, *counts)
                added = accel.add_words(ranked.b, docnums, scores)
                if added is None:
                    return None
                scores = added
        wanted = asked.wanted
        id_rank = accel.sidecar.id_rank[docnums]
        if asked.sort == "date":  # newest first (undated last), then as for relevance
            order = np.lexsort((id_rank, -scores, -accel.sidecar.dates[docnums]))[:wanted]
        elif asked.sort == "date_asc":  # oldest first, undated (0) still last
            dates = accel.sidecar.dates[docnums].astype(np.int64)
            dates[dates == 0] = np.iinfo(np.int64).max
            order = np.lexsort((id_rank, -scores, dates))[:wanted]
        else:
            order = _best(np.arange(len(docnums)), scores, id_rank, wanted)
        scored = [(int(docnums[i]), float(scores[i])) for i in order[asked.first - 1 :]]
        return Ranked(scored, len(docnums), ranked, *self.counts(docnums, asked.facet_limit))
