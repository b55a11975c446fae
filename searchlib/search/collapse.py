"""Collapse: one hit per story, the near-duplicates that match folded into the first of them.

A search with ``collapse=True`` ranks as usual and then keeps, of each group of near-duplicates
(:mod:`searchlib.store.duplicates`), only the one that ranks first; the others' ids stay on it
(``Hit.similar``). Pages are pages of stories: the engine is asked for more hits until the pages
up to the one asked for are full of stories, or every match is seen. ``total``, the facets and
the timeline still count articles: they come from the engine's count of every match, and a
story's articles may differ in date or entities.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..engine import Engine, Ranked, Request
    from ..store.duplicates import Groups


def story_numbers(current: Engine, groups: Groups) -> np.ndarray:
    """Each article's story (its group's number, -1 for an article held once), by number in
    ``current``: one pass over every article's id, however many are grouped."""
    import numpy as np

    ids = current.article_ids()
    if not len(groups.ids):
        return np.full(len(ids), -1, np.int32)
    rows = np.minimum(np.searchsorted(groups.ids, ids), len(groups.ids) - 1)
    return np.where(groups.ids[rows] == ids, groups.group_of[rows], -1)


def collapsed(
    current: Engine, parsed: object, flt: object, asked: Request, stories: np.ndarray
) -> Ranked:
    """What ``current.run`` gives for the page ``asked``, but with one hit per story."""
    window = asked.wanted * 2 + 10
    found = current.run(parsed, flt, replace(asked, limit=window, page=1))
    facets = found.facets
    while True:
        kept = _first_of_each(found.scored, stories)
        if len(kept) >= asked.wanted or len(found.scored) >= found.total:
            break
        window *= 4  # a story of many matching articles: look further down
        found = current.run(parsed, flt, replace(asked, limit=window, page=1, facet_limit=0))
    return found._replace(scored=kept[asked.first - 1 : asked.wanted], facets=facets)


def _first_of_each(scored: list[tuple[int, float]], stories: np.ndarray) -> list[tuple[int, float]]:
    seen: set[int] = set()
    kept = []
    for docnum, score in scored:
        story = int(stories[docnum])
        if story >= 0:
            if story in seen:
                continue
            seen.add(story)
        kept.append((docnum, score))
    return kept
