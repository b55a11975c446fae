"""A search as the URL holds it: query, index, filters, sort and page, read with bounds.

Every page and API call reads its parameters here, so the limits on query length, page size
and depth are the same everywhere, and every link is built from the same state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import searchlib
from searchlib.fields import ENTITY_FIELDS

MAX_QUERY_CHARS = 1000
MAX_VALUE_CHARS = 300
MAX_LIMIT = 50
# Deeper pages cost more to rank; nobody reads page 500 of a search.
MAX_DEPTH = 5000
SORTS = ("relevance", "date", "date_asc")
FREQS = ("year", "month", "week", "day")
KINDS = ENTITY_FIELDS


class BadRequestError(searchlib.SearchlibError):
    """A parameter of the request is missing, malformed or out of bounds."""


def text_param(params: Mapping[str, str], name: str, most: int = MAX_VALUE_CHARS) -> str | None:
    """A text parameter, stripped; ``None`` when absent or empty."""
    value = params.get(name, "").strip()
    if len(value) > most:
        raise BadRequestError(
            f"{name} is {len(value):,} characters long, more than the {most:,} allowed",
            f"shorten {name}",
        )
    return value or None


def int_param(params: Mapping[str, str], name: str, default: int, most: int) -> int:
    """A whole number from 1 to ``most``."""
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise BadRequestError(
            f"{name} must be a whole number from 1 to {most:,}, not {raw[:40]!r}",
            f"give {name}=1 to {name}={most:,}",
        )
    return int(raw)


def choice_param(params: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first by default)."""
    value = params.get(name) or choices[0]
    if value not in choices:
        raise BadRequestError(
            f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}",
            f"give {name}={choices[0]}",
        )
    return value


@dataclass(frozen=True)
class SearchState:
    """The whole state of a search page; :meth:`url` turns it (changed) back into a link."""

    q: str = ""
    index: str | None = None
    person: str | None = None
    org: str | None = None
    place: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    page: int = 1
    limit: int = 10

    @classmethod
    def read(cls, params: Mapping[str, str], limit: int = 10) -> SearchState:
        """The state from a request's query parameters; :class:`BadRequestError` when one is
        malformed or out of bounds."""
        size = int_param(params, "limit", limit, MAX_LIMIT)
        return cls(
            q=text_param(params, "q", MAX_QUERY_CHARS) or "",
            index=text_param(params, "index"),
            person=text_param(params, "person"),
            org=text_param(params, "org"),
            place=text_param(params, "place"),
            date_from=text_param(params, "from"),
            date_to=text_param(params, "to"),
            sort=choice_param(params, "sort", SORTS),
            page=int_param(params, "page", 1, MAX_DEPTH // size),
            limit=size,
        )

    def search_args(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`searchlib.Index.search` for this state."""
        return {
            "limit": self.limit,
            "page": self.page,
            "sort": self.sort,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "person": self.person,
            "org": self.org,
            "place": self.place,
        }

    def filter_args(self) -> dict[str, Any]:
        """The date and entity filters alone (for timelines)."""
        args = self.search_args()
        return {k: args[k] for k in ("date_from", "date_to", *KINDS)}

    def params(self, default_limit: int = 10) -> dict[str, str]:
        """The URL parameters that differ from an empty search."""
        values = {
            "q": self.q,
            "index": self.index,
            **{kind: getattr(self, kind) for kind in KINDS},
            "from": self.date_from,
            "to": self.date_to,
            "sort": None if self.sort == SORTS[0] else self.sort,
            "page": None if self.page == 1 else str(self.page),
            "limit": None if self.limit == default_limit else str(self.limit),
        }
        return {k: v for k, v in values.items() if v}

    def changed(self, **changes: Any) -> SearchState:
        """This state with some fields changed; any change but the page goes to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return dataclasses.replace(self, **changes)

    def url(self, **changes: Any) -> str:
        """The search page's link for this state, changed."""
        params = self.changed(**changes).params() if changes else self.params()
        return "/?" + urlencode(params) if params else "/"

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return any(v for v in self.filter_args().values())


def path_segment(value: str) -> str:
    """``value`` quoted for one segment of a URL path (slashes too)."""
    return quote(value, safe="")


def link(path: str, **params: str | None) -> str:
    """``path`` with the non-empty ``params`` as its query string."""
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path
