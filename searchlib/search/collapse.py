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
    from collections.abc import Mapping

    from ..engine import Engine, Ranked, Request
    from ..store.duplicates import Groups


def story_numbers(current: Engine, groups: Groups) -> dict[int, int]:
    """Each grouped article's number in ``current``, mapped to its group's number."""
    found = {}
    for number, group in enumerate(groups.groups):
        for article_id in group:
            docnum = current.docnum(article_id)
            if docnum is not None:
                found[docnum] = number
    return found


def collapsed(
    current: Engine, parsed: object, flt: object, asked: Request, stories: Mapping[int, int]
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


def _first_of_each(
    scored: list[tuple[int, float]], stories: Mapping[int, int]
) -> list[tuple[int, float]]:
    seen: set[int] = set()
    kept = []
    for docnum, score in scored:
        story = stories.get(docnum)
        if story is not None:
            if story in seen:
                continue
            seen.add(story)
        kept.append((docnum, score))
    return kept
