"""What the pages need that searchlib's public API does not offer yet, built on top of it.

Each function here uses only the public API (and :mod:`searchlib.text`'s word functions);
they belong in the library, where they could be faster: an entity's profile and a whole text
highlighted for a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import searchlib
from searchlib.fields import ENTITY_FIELDS
from searchlib.text import stem, stopwords, terms, word_spans

KINDS = ENTITY_FIELDS
# Clauses whose values are not words of the text: they highlight nothing.
_NOT_TEXT = re.compile(r'(?<!\S)[-+]?(?:date|year|person|org|place|id):(?:"[^"]*"|\[[^\]]*\]|\S+)')
_EXCLUDED = re.compile(r'(?<!\S)-(?:"[^"]*"|\S+)|\bNOT\s+(?:"[^"]*"|\S+)')
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT)\b")


class EntityNotFoundError(searchlib.SearchlibError):
    """No article of the index mentions a person, organisation or place of this name."""


def query_terms(query: str) -> set[str]:
    """The index terms of the words a query looks for in the text (not those it excludes,
    nor its dates and entity filters)."""
    words = _OPERATORS.sub(" ", _EXCLUDED.sub(" ", _NOT_TEXT.sub(" ", query)))
    return set(terms(re.sub(r"\b\w+:", " ", words).replace("*", " ").replace("~", " ")))


def highlight(text: str, query: str) -> list[tuple[str, bool]]:
    """All of ``text`` as ``(piece, is_match)`` pieces, the query's words marked, as the
    library marks them in snippets (stemmed and folded, stop words never)."""
    wanted = query_terms(query)
    if not wanted:
        return [(text, False)]
    stops, pieces, cursor = stopwords(), [], 0
    for word, start, end in word_spans(text):
        if word not in stops and stem(word) in wanted and start >= cursor:
            pieces += [(text[cursor:start], False), (text[start:end], True)]
            cursor = end
    pieces.append((text[cursor:], False))
    return [piece for piece in pieces if piece[0]]


@dataclass(frozen=True)
class EntityProfile:
    """One entity of an index: its names, how many articles mention it, when, and with whom."""

    kind: str
    name: str
    aliases: tuple[str, ...]
    count: int
    timeline: searchlib.Timeline
    cooccurring: dict[str, list[searchlib.FacetValue]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the ``entities --json`` fields, the timeline and co-occurrences."""
        return {
            "type": self.kind,
            "name": self.name,
            "count": self.count,
            "aliases": list(self.aliases),
            "timeline": self.timeline.to_dict(),
            "cooccurring": {
                kind: [{"value": v.value, "count": v.count} for v in values]
                for kind, values in self.cooccurring.items()
            },
        }


_ENTITY_CACHE: dict[tuple[int, str, str], dict[str, searchlib.Entity]] = {}


def _entities_by_name(ix: searchlib.Index, kind: str) -> dict[str, searchlib.Entity]:
    """``ix.entities(kind)`` by lower-case canonical name and alias, read once per build."""
    key = (id(ix), str(ix.manifest.get("generation")), kind)
    found = _ENTITY_CACHE.get(key)
    if found is None:
        found = {}
        for entity in ix.entities(kind):
            for name in (*entity.aliases, entity.name):
                found[name.casefold()] = entity
        for old in [k for k in _ENTITY_CACHE if k[0] == id(ix) and k[2] == kind]:
            del _ENTITY_CACHE[old]
        _ENTITY_CACHE[key] = found
    return found


def entity_profile(
    ix: searchlib.Index, kind: str, name: str, *, index_name: str, most: int = 10
) -> EntityProfile:
    """The profile of the entity called ``name`` (canonical name or alias, any case).

    Co-occurrence is read from the facets of a search filtered on the entity: the entities
    mentioned most often in the articles that mention it.
    """
    if kind not in KINDS:
        raise EntityNotFoundError(
            f"{kind!r} is not a kind of entity", f"use one of: {', '.join(KINDS)}"
        )
    found = ix.search("", **{kind: name}, limit=1, facet_limit=most + 1, snippets=False)
    entity = _entities_by_name(ix, kind).get(name.casefold())
    if entity is None or found.total == 0:
        raise EntityNotFoundError(
            f"no {kind} named {name!r} in index {index_name!r}",
            f"list them with: searchlib entities --type {kind}",
        )
    cooccurring = {
        other: [v for v in found.facets[other] if not (other == kind and v.value == entity.name)][
            :most
        ]
        for other in KINDS
    }
    return EntityProfile(
        kind, entity.name, entity.aliases, found.total, found.timeline("year"), cooccurring
    )
