"""Model: the data searchlib hands out (articles, hits, results, entities) and their JSON forms."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from .fields import ENTITY_FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pandas as pd

    from .present.timeline import Timeline


def _short(text: str, most: int = 40) -> str:
    """A title or query cut to ``most`` characters, for a repr."""
    return text if len(text) <= most else text[: most - 1] + "…"


@dataclass(frozen=True)
class Article:
    """One news article, ready to index.

    ``date`` is ``YYYY-MM-DD`` or ``None`` when the source does not state one; we never guess a
    date from the body. ``dateline`` is the place (and agency) line the header opened with.
    ``line`` or ``entry`` tells where in ``source`` the article is (a line, a feed entry).
    """

    id: str
    title: str
    body: str
    date: str | None = None
    dateline: str = ""
    source: str = ""
    line: int | None = None
    content_hash: str = ""
    author: str = ""
    entry: int | None = None
    person: tuple[str, ...] = field(default=())
    org: tuple[str, ...] = field(default=())
    place: tuple[str, ...] = field(default=())
    #: ``(kind, alias, name)`` triples the article defines, such as ("org", "MWL", "Muslim World
    #: League"); joined across the index by :class:`searchlib.prepare.canonical.EntityTable`.
    entity_aliases: tuple[tuple[str, str, str], ...] = field(default=())
    #: The ids of the other articles of its story (near-duplicates found at build time).
    similar: tuple[str, ...] = field(default=())

    @property
    def year(self) -> str | None:
        """The publication year as a string, or ``None`` for an undated article."""
        return self.date[:4] if self.date else None

    def to_dict(self) -> dict[str, Any]:
        """The article as in ``searchlib show --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "dateline": self.dateline or None,
            "source": self.source,
            "line": self.line,
            "entities": {kind: list(getattr(self, kind)) for kind in ENTITY_FIELDS},
            "similar": list(self.similar),
            "text": self.body,
        }


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and the number of matching articles that have it."""

    value: str
    count: int


@dataclass(frozen=True)
class Entity:
    """A person, organisation or place of an index, under its canonical name."""

    kind: str
    name: str
    count: int
    aliases: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as in ``searchlib entities --json``."""
        return {
            "type": self.kind,
            "name": self.name,
            "count": self.count,
            "aliases": list(self.aliases),
            "ids": list(self.ids),
        }


@dataclass(frozen=True)
class Story:
    """A group of near-duplicate articles (a wire story sent again, corrected or updated):
    their ids, titles and dates, in the order of their ids."""

    ids: tuple[str, ...]
    titles: tuple[str, ...]
    dates: tuple[str | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as in ``searchlib duplicates --json``."""
        return {
            "size": len(self.ids),
            "articles": [
                {"id": i, "title": t, "date": d}
                for i, t, d in zip(self.ids, self.titles, self.dates, strict=True)
            ],
        }


@dataclass(frozen=True)
class Contribution:
    """How much one clause of the query added to a hit's score.

    ``clause`` is the indexed form (field and stem, or a phrase); ``frequency`` is how often the
    term occurs in that field of the article, when the clause is a single term.
    """

    field: str
    clause: str
    score: float
    frequency: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "field": self.field,
            "clause": self.clause,
            "score": round(self.score, 4),
            "frequency": self.frequency,
        }


@dataclass(frozen=True)
class Hit:
    """One ranked article.

    ``snippet`` is plain text from the article with the query's words marked ``**like this**``
    (or as ``Index.search(highlight=…)`` asked); ``fragments`` holds the same text as
    ``(text, is_match)`` pieces for other renderings. ``source`` is where the article came from
    (``path``, ``path:line`` or ``path#entry``) and ``author`` its author, if the source names one.
    """

    rank: int
    id: str
    title: str
    date: str | None
    score: float
    snippet: str
    entities: dict[str, list[str]]
    fragments: tuple[tuple[str, bool], ...] = field(default=(), repr=False)
    explanation: list[Contribution] | None = field(default=None, repr=False)
    #: Where the article came from (``path:line``, ``path#entry`` or a path) and its author.
    source: str = ""
    author: str = ""
    #: The ids of the other articles of its story (near-duplicates found at build time),
    #: whether or not they match; with ``Index.search(collapse=True)`` those that match are
    #: folded into this hit rather than listed.
    similar: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Hit {self.rank}. {self.id} {_short(self.title)!r} score {self.score:.2f}>"

    def to_dict(self) -> dict[str, Any]:
        """The hit as in ``search --json`` (with ``explain`` only when it was asked for)."""
        data: dict[str, Any] = {
            "rank": self.rank,
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "entities": self.entities,
            "source": self.source,
            "author": self.author or None,
            "similar": list(self.similar),
        }
        if self.explanation is not None:
            data["explain"] = [c.to_dict() for c in self.explanation]
        return data

    def _repr_html_(self) -> str:
        from .present import html

        return html.hit_html(self)


@dataclass(frozen=True)
class Results:
    """One page of ranked hits, with the total and facet counts over all matching articles."""

    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    corrected: bool = False
    #: What the query said that searchlib did not take as written (an unknown field, a
    #: date that is not one), one sentence each: shown by the CLI, in ``--json`` too.
    warnings: tuple[str, ...] = ()
    #: How long the search took, in milliseconds.
    took_ms: float = field(default=0.0, compare=False)
    # Counted when first asked for (see dates): most searches draw no timeline.
    _dates: Counter[str | None] | Callable[[], Counter[str | None]] = field(
        default_factory=Counter, repr=False, compare=False
    )

    @functools.cached_property
    def dates(self) -> Counter[str | None]:
        """All matching articles counted by publication date (``None`` for undated ones), so
        :meth:`timeline` covers every match, not only the page."""
        return self._dates() if callable(self._dates) else self._dates

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` hits all the matches fill (at least 1)."""
        return max(1, -(-self.total // self.limit))

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    @overload
    def __getitem__(self, index: int) -> Hit: ...
    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...
    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        """A hit of this page by position (``results[0]`` is the first), or a list of them."""
        return self.hits[index]

    def __repr__(self) -> str:
        return (
            f"<Results {_short(self.query)!r}: {self.total} articles, page {self.page} of "
            f"{self.pages}, {len(self.hits)} hits>"
        )

    @property
    def past_last_page(self) -> bool:
        """True when this page is beyond the last one that holds hits."""
        return self.total > 0 and not self.hits and self.page > self.pages

    def to_dict(self) -> dict[str, Any]:
        """The results in the documented JSON shape of ``search --json``."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "limit": self.limit,
            "took_ms": round(self.took_ms, 2),
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {
                name: [{"value": v.value, "count": v.count} for v in values]
                for name, values in self.facets.items()
            },
            "suggestion": self.suggestion,
            "corrected": self.corrected,
            "warnings": list(self.warnings),
        }

    def timeline(self, freq: str = "year") -> Timeline:
        """Count all matching articles per ``"year"``, ``"month"``, ``"week"`` (ISO weeks,
        ``2023-W41``) or ``"day"``; undated ones apart."""
        from .present.timeline import Timeline  # (a search that draws none need not import it)

        return Timeline.count(self.dates, freq, query=self.query)

    def to_pandas(self) -> pd.DataFrame:
        """The hits of this page as a DataFrame, one row per hit (needs ``searchlib[pandas]``)."""
        from .present import frames

        return frames.hits_frame(self.hits)

    def _repr_html_(self) -> str:
        from .present import html

        return html.results_html(self)


# ---------------------------------------------------------------------------------------------
# Queries and filters
