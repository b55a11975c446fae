"""Pruning: the best few matches of a query with feedback terms, without scoring every match.

RM3 feedback adds 20 terms' scores to the first pass's score of each match (Whoosh's
``AndMaybe``: the query's score plus the feedback terms' own sum). Scoring them in every match
costs 20 look-ups per match, or 20 postings added up over every article: most of a search's
time at scale. Yet an article's feedback score is at most the sum of each term's highest score
(MaxScore), from the highest ``tf~`` of each word that the sidecar keeps (``impacts-tf_max``).
So the ``k`` best first-pass matches are scored in full first; the ``k``-th best of them is a
score the best ``k`` reach; and only the matches whose first-pass score plus that bound reaches
it can be among them. The words are then looked up in those one at a time, highest first, each
one's score in a match replacing its best in the bound, which drops more matches at each word;
those left are scored exactly as the exhaustive path scores them.

The bound is a floating-point sum like the scores: each term's score grows with ``tf~`` in
real arithmetic, and the rounding of a few dozen operations cannot move a sum by more than
:data:`SLACK`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..whoosh import ranking
from . import files as impacts

#: Relative margin on a bound for the rounding of the scores it bounds: each of some dozens of
#: operations rounds by at most 2⁻⁵³.
SLACK = 1 + 1e-9
#: The largest share of the matches worth scoring one by one: past it, the exhaustive path
#: (every match at once) is cheaper.
MOST = 0.25


@dataclass(frozen=True)
class Word:
    """One BM25F word: its postings (articles in order, ``tf~``), its highest ``tf~`` and the
    boost its scores are computed with."""

    docs: np.ndarray
    tf: impacts.Weights
    tf_max: float
    boost: float

    def scores(self, tf: np.ndarray, docs_all: int) -> np.ndarray:
        """The word's scores of these ``tf~`` (those :func:`files.word_scores` gives)."""
        return impacts.word_scores(tf, len(self.docs), docs_all, self.boost)

    def highest(self, docs_all: int) -> float:
        """The word's highest score in any article: that of its highest ``tf~``, computed as
        :func:`files.word_scores` does (Python's floats are numpy's float64)."""
        k1 = ranking.PARAMS.k1
        weight = self.boost * ranking.idf(docs_all, len(self.docs))
        return weight * self.tf_max * (k1 + 1) / (self.tf_max + k1)


def added(words: list[Word], docs: np.ndarray, docs_all: int) -> np.ndarray:
    """The summed scores of ``words`` in the sorted articles ``docs``, added in query order
    from 0 (as Whoosh's ``Or`` and the sidecar's bincount add them; 0 where none matches)."""
    total = np.zeros(len(docs))
    if not len(docs):
        return total
    for word in words:
        if not len(word.docs):
            continue
        at = np.minimum(np.searchsorted(word.docs, docs), len(word.docs) - 1)
        hit = np.flatnonzero(word.docs[at] == docs)
        total[hit] += word.scores(word.tf[at[hit]], docs_all)
    return total


def best(
    docnums: np.ndarray,
    scores: np.ndarray,
    feedback: list[Word],
    k: int,
    ties: np.ndarray,
    docs_all: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions into ``docnums`` (sorted matches, with first-pass ``scores``) of the best
    ``k`` by their scores plus those of the ``feedback`` words, best first, equal scores by
    ``ties`` (an array over articles), and those final scores; ``None`` when the bound may leave
    over :data:`MOST` of the matches (scoring all of them at once is then cheaper)."""
    if len(docnums) <= k:
        chosen = np.arange(len(docnums))
        final = scores + added(feedback, docnums, docs_all)
    else:
        # The k best first-pass matches, scored in full: the k-th best of them is reached.
        first = np.sort(np.argpartition(scores, len(scores) - k)[len(scores) - k :])
        full = scores[first] + added(feedback, docnums[first], docs_all)
        reached = np.partition(full, len(full) - k)[len(full) - k]
        # Only a match whose first-pass score plus every feedback term's best reaches it can
        # rank. (Against the k-th best first-pass score instead, often tied among copies of
        # one story, three times as many matches came within the bound.) When too many
        # do, scoring them all at once is cheaper.
        highest = [word.highest(docs_all) for word in feedback]
        chosen = np.flatnonzero((scores + sum(highest)) * SLACK >= reached)
        if len(chosen) > MOST * len(docnums):
            return None
        chosen, fed = _within(chosen, docnums, scores, feedback, highest, reached, k, docs_all)
        final = scores[chosen] + fed
    keep = np.lexsort((ties[docnums[chosen]], -final))[:k]
    return chosen[keep], final[keep]


def _within(
    chosen: np.ndarray,
    docnums: np.ndarray,
    scores: np.ndarray,
    feedback: list[Word],
    highest: list[float],
    reached: float,
    k: int,
    docs_all: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Those of the matches ``chosen`` that can still reach ``reached``, and their feedback
    scores (summed as :func:`added` sums them).

    The words are looked up one at a time, the highest-scoring first: each word's own score in
    a match replaces its best in the bound, so that the matches falling short are dropped
    before the next words are looked up in them (MaxScore), until ``k`` or fewer are left.
    Each word's scores are kept, and summed in query order at the end."""
    order = sorted(range(len(feedback)), key=lambda i: -highest[i])
    each = np.zeros((len(feedback), len(chosen)))
    rows = np.arange(len(chosen))  # (the matches still kept, as rows of ``each``)
    partial = scores[chosen]
    looked_up: set[int] = set()
    for at, i in enumerate(order):
        if len(rows) <= k:
            break
        found = added([feedback[i]], docnums[chosen[rows]], docs_all)
        each[i, rows] = found
        looked_up.add(i)
        partial = partial + found
        rest = sum(highest[j] for j in order[at + 1 :])
        keep = (partial + rest) * SLACK >= reached
        rows, partial = rows[keep], partial[keep]
    fed = np.zeros(len(rows))
    for i, word in enumerate(feedback):  # in query order, from 0, as ``added`` adds them
        fed += each[i, rows] if i in looked_up else added([word], docnums[chosen[rows]], docs_all)
    return chosen[rows], fed
