"""Records: what a source file states of one article, and what could not be read of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Which field (JSON key or CSV column) of a record holds each part of an article.
FieldMap = dict[str, str]
ARTICLE_FIELDS = ("id", "title", "date", "text", "author")
DEFAULT_FIELDS: Mapping[str, str] = {name: name for name in ARTICLE_FIELDS}


@dataclass(frozen=True)
class SourceRecord:
    """One article as its source file states it.

    ``title``, ``date`` and ``author`` are ``None`` when the format does not state them;
    ``has_header`` says the text may open with a news header (date, dateline) for analysis to
    read. ``line`` is the line a record starts on, ``entry`` the 1-based number of a feed entry.
    """

    id: str
    text: str
    source: str
    line: int | None = None
    title: str | None = None
    date: str | None = None
    has_header: bool = False
    content_hash: str = ""
    author: str | None = None
    entry: int | None = None


@dataclass(frozen=True)
class Problem:
    """Something that could not be read; ``skipped`` is False for a warning (text still read)."""

    source: str
    reason: str
    line: int | None = None
    skipped: bool = True
    entry: int | None = None

    def __str__(self) -> str:
        return f"{where(self.source, self.line, self.entry)}: {self.reason}"


def where(source: str, line: int | None = None, entry: int | None = None) -> str:
    """``path:line``, ``path#entry`` or ``path``: where a record or problem is."""
    if line is not None:
        return f"{source}:{line}"
    if entry is not None:
        return f"{source}#{entry}"
    return source


def field_map(mapping: Mapping[str, Any] | None) -> FieldMap:
    """Complete a partial mapping of article fields to record fields, checking its keys.

    Raises :class:`ValueError` naming an unknown article field or a non-string value.
    """
    fields = dict(DEFAULT_FIELDS)
    for name, value in (mapping or {}).items():
        if name not in ARTICLE_FIELDS:
            raise ValueError(
                f"unknown article field {name!r}; the fields are {', '.join(ARTICLE_FIELDS)}"
            )
        if not isinstance(value, str) or not value:
            raise ValueError(f"field {name!r} must name a key or column, not {value!r}")
        fields[name] = value
    return fields
