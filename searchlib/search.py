"""Search: parse queries, rank articles with BM25F, build snippets and count facets.

:class:`Index` is the open, searchable handle on a built index. It is safe to share between
threads: each thread gets its own Whoosh searcher, reopened when a build switches the index to a
new generation.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import whoosh
from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.scoring import BM25F
from whoosh.sorting import FieldFacet, ScoreFacet

from . import index as store
from .analysis import Article, stem, stopwords, word_spans
from .errors import InvalidDateError, QuerySyntaxError, SearchlibError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from whoosh.searching import Searcher

log = logging.getLogger("searchlib")

SEARCH_FIELDS = ("title", "body")
FIELD_BOOSTS = {"title": 2.0, "body": 1.0}
SORTS = ("relevance", "date")
FACETS = ("person", "org", "place", "year")
SNIPPET_CHARS = 240


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and the number of matching articles that have it."""

    value: str
    count: int


@dataclass(frozen=True)
class Hit:
    """One ranked article.

    ``snippet`` is plain text from the article with the query's words marked ``**like this**``;
    ``fragments`` holds the same text as ``(text, is_match)`` pieces for other renderings.
    """

    rank: int
    id: str
    title: str
    date: str | None
    score: float
    snippet: str
    entities: dict[str, list[str]]
    fragments: tuple[tuple[str, bool], ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The hit as in ``search --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "entities": self.entities,
        }


@dataclass(frozen=True)
class Results:
    """One page of ranked hits, with the total and facet counts over all matching articles."""

    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def to_dict(self) -> dict[str, Any]:
        """The results in the documented JSON shape of ``search --json``."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {
                name: [{"value": v.value, "count": v.count} for v in values]
                for name, values in self.facets.items()
            },
        }


# ---------------------------------------------------------------------------------------------
# Queries and filters


def _parser(schema: Any) -> MultifieldParser:
    return MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=FIELD_BOOSTS,
        group=OrGroup,
    )


def check_syntax(text: str) -> None:
    """Raise :class:`QuerySyntaxError` for unbalanced quotes or parentheses."""
    if text.count('"') % 2:
        raise QuerySyntaxError(
            f"unbalanced quote in query {text!r}",
            'close the phrase with a second " or remove the quote',
        )
    depth = 0
    for char in re.sub(r'"[^"]*"', "", text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise QuerySyntaxError(
            f"unbalanced parenthesis in query {text!r}", "match every ( with a )"
        )


def parse_query(text: str, schema: Any) -> wq.Query:
    """Parse a user's query; an empty query or ``*`` matches every article."""
    text = text.strip()
    if not text or text == "*":
        return wq.Every()
    check_syntax(text)
    try:
        return _parser(schema).parse(text)
    except Exception as error:  # Whoosh's parser signals problems with assorted exceptions
        raise QuerySyntaxError(f"cannot parse query {text!r}: {error}") from error


def date_bound(value: str | dt.date, *, end: bool = False) -> str:
    """Turn ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` into the first (or, with ``end``, the last)
    day it covers, as ``YYYY-MM-DD``."""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            return f"{text}-12-31" if end else f"{text}-01-01"
        if re.fullmatch(r"\d{4}-\d{2}", text):
            first = dt.date(int(text[:4]), int(text[5:]), 1)
            if not end:
                return first.isoformat()
            following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return (following - dt.timedelta(days=1)).isoformat()
        return dt.date.fromisoformat(text).isoformat() if len(text) == 10 else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> str:
    raise InvalidDateError(
        f"invalid date {text!r}", "use YYYY, YYYY-MM or YYYY-MM-DD, for example 2023-10"
    )


def build_filter(
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    **entities: str | None,
) -> wq.Query | None:
    """The filter for dates and entities, or ``None`` when nothing is filtered."""
    parts: list[wq.Query] = []
    if date_from is not None or date_to is not None:
        start = date_bound(date_from) if date_from is not None else None
        stop = date_bound(date_to, end=True) if date_to is not None else None
        if start and stop and start > stop:
            raise InvalidDateError(
                f"the date range {start} .. {stop} is empty", "give --from before --to"
            )
        parts.append(wq.TermRange("date", start, stop))
    for name, value in entities.items():
        if value:
            parts.append(wq.Term(name, value.strip().lower()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


# ---------------------------------------------------------------------------------------------
# Snippets


def make_snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """Choose the passage of ``text`` with the most distinct query terms, split into
    ``(text, is_match)`` pieces; matches are the article's own words, not stems."""
    stops = stopwords()
    matches = [
        (start, end, stemmed)
        for word, start, end in word_spans(text)
        if word not in stops and (stemmed := stem(word)) in terms
    ]
    start = 0
    if matches:
        best = max(
            range(len(matches)),
            key=lambda i: (
                len({m[2] for m in matches[i:] if m[0] < matches[i][0] + width - 40}),
                -i,
            ),
        )
        start = _word_boundary_before(text, max(0, matches[best][0] - 40))
    stop = min(len(text), start + width)
    if stop < len(text):
        space = text.rfind(" ", start, stop)
        stop = space if space > start else stop
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    cursor = start
    for match_start, match_end, _ in matches:
        if match_start < start or match_end > stop:
            continue
        pieces += [(text[cursor:match_start], False), (text[match_start:match_end], True)]
        cursor = match_end
    pieces.append((text[cursor:stop], False))
    if stop < len(text):
        pieces.append(("…", False))
    return _keep_spaces(pieces)


def _keep_spaces(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    # Whitespace collapsing must keep one space at the edges of each piece, or words would join.
    out = []
    for piece, hit in pieces:
        if not hit and piece:
            lead = " " if piece[0].isspace() else ""
            trail = " " if piece[-1].isspace() and piece.strip() else ""
            piece = lead + " ".join(piece.split()) + trail
        if piece:
            out.append((piece, hit))
    return out


def _word_boundary_before(text: str, position: int) -> int:
    if position == 0:
        return 0
    space = text.rfind(" ", 0, position)
    newline = text.rfind("\n", 0, position)
    return max(space, newline) + 1


def markdown_snippet(pieces: list[tuple[str, bool]]) -> str:
    """Render snippet pieces as plain text with matches in ``**bold**``."""
    return "".join(f"**{text}**" if hit else text for text, hit in pieces).strip()


# ---------------------------------------------------------------------------------------------
# The open index

_WHOOSH_DIR = os.path.dirname(whoosh.__file__)


def _reads_index(method: Callable[..., Any]) -> Callable[..., Any]:
    """Report a failure inside Whoosh while reading (a truncated or missing segment file) as
    :class:`~searchlib.IndexDamagedError` with the command that rebuilds the index."""

    @functools.wraps(method)
    def guarded(self: Index, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except SearchlibError:
            raise
        except Exception as error:
            tb = error.__traceback__
            while tb is not None:
                if tb.tb_frame.f_code.co_filename.startswith(_WHOOSH_DIR):
                    why = f"{type(error).__name__}: {error}"
                    raise store.damaged(self.location, why) from error
                tb = tb.tb_next
            raise

    return guarded


class Index:
    """A built index, open for searching. Use :func:`searchlib.open` to get one."""

    def __init__(self, location: store.Location) -> None:
        self.location = location
        self._lock = threading.Lock()
        self._local = threading.local()
        self._version = 0
        self._stamp: int | None = None
        self._store, self.manifest = store.open_store(location)
        self._stamp = self._manifest_stamp()
        self._columns: dict[int, list[tuple[str | None, dict[str, list[str]]]]] = {}

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The index's name (or the path it was opened by)."""
        return self.location.name

    @property
    def path(self) -> os.PathLike[str]:
        """The index folder."""
        return self.location.path

    def __repr__(self) -> str:
        return f"<searchlib.Index {self.name!r} at {str(self.path)!r}: {len(self)} articles>"

    @_reads_index
    def __len__(self) -> int:
        return self._searcher().doc_count()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's searcher; the index can still be used and reopens on demand."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    def _manifest_stamp(self) -> int | None:
        try:
            return os.stat(self.location.path / store.MANIFEST).st_mtime_ns
        except OSError:
            return None

    def _searcher(self) -> Searcher:
        """This thread's searcher, reopened if a build has switched generations since."""
        stamp = self._manifest_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._store, self.manifest = store.open_store(self.location)
                    self._stamp, self._version = stamp, self._version + 1
                    self._columns.clear()
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or self._local.version != self._version:
            if searcher is not None:
                searcher.close()
            searcher = self._store.searcher(weighting=BM25F())
            self._local.searcher, self._local.version = searcher, self._version
        return searcher

    # -- searching --------------------------------------------------------------------------

    @_reads_index
    def search(
        self,
        query: str = "",
        *,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        date_from: str | dt.date | None = None,
        date_to: str | dt.date | None = None,
        person: str | None = None,
        org: str | None = None,
        place: str | None = None,
        facet_limit: int = 20,
    ) -> Results:
        """Rank the articles that match ``query`` and count facets over all of them.

        Parameters
        ----------
        query:
            Words (any of them may match; articles with all of them rank first), ``"exact
            phrases"``, ``title:word``. Empty or ``*`` matches every article.
        limit, page:
            Page size and 1-based page number.
        sort:
            ``"relevance"`` (default) or ``"date"`` (newest first, undated articles last).
        date_from, date_to:
            Inclusive bounds, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
        person, org, place:
            Keep only articles that mention this entity.
        facet_limit:
            Most values to return per facet.
        """
        if limit < 1 or page < 1:
            raise ValueError("limit and page must be at least 1")
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        searcher = self._searcher()
        parsed = parse_query(query, searcher.schema)
        flt = build_filter(date_from, date_to, person=person, org=org, place=place)
        matching = parsed if flt is None else wq.And([parsed, flt])
        docnums = sorted(searcher.docs_for_query(matching))
        wanted = page * limit
        # Ties are broken by id, so the order does not depend on where an article sits in the
        # index: a full build writes articles in file order, an incremental one appends them.
        order = [ScoreFacet(), FieldFacet("id")]
        if sort == "date":
            order.insert(0, FieldFacet("date", reverse=True))
        found = searcher.search(parsed, filter=flt, limit=wanted, sortedby=order)
        terms = {text for name, text in parsed.iter_all_terms() if name in SEARCH_FIELDS}
        hits = []
        first = wanted - limit
        for rank, (docnum, key) in enumerate(list(found.items())[first:], first + 1):
            # Whoosh's sort key holds -score where the ScoreFacet is in ``order``.
            score = -key[-2]
            stored = searcher.stored_fields(docnum)
            pieces = make_snippet(stored.get("body", ""), {_text(t) for t in terms})
            hits.append(
                Hit(
                    rank=rank,
                    id=stored["id"],
                    title=stored.get("title", ""),
                    date=stored.get("date"),
                    score=float(score or 0.0),
                    snippet=markdown_snippet(pieces),
                    entities=_entities(stored),
                    fragments=tuple(pieces),
                )
            )
        return Results(
            query=query,
            total=len(docnums),
            page=page,
            limit=limit,
            hits=hits,
            facets=self._facets(searcher, docnums, facet_limit),
        )

    def _facets(
        self, searcher: Searcher, docnums: list[int], most: int
    ) -> dict[str, list[FacetValue]]:
        columns = self._facet_columns(searcher)
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for docnum in docnums:
            year, entities = columns[docnum]
            if year:
                counts["year"][year] += 1
            for name in store.ENTITY_FIELDS:
                counts[name].update(entities[name])
        return {
            name: [
                FacetValue(value, count)
                for value, count in sorted(counts[name].items(), key=lambda kv: (-kv[1], kv[0]))[
                    :most
                ]
            ]
            for name in FACETS
        }

    def _facet_columns(self, searcher: Searcher) -> list[tuple[str | None, dict[str, list[str]]]]:
        # Read once per generation: facet counting then touches no stored fields per query.
        version = self._version
        columns = self._columns.get(version)
        if columns is None:
            reader = searcher.reader()
            columns = [(None, {name: [] for name in store.ENTITY_FIELDS})] * reader.doc_count_all()
            for docnum, stored in reader.iter_docs():
                columns[docnum] = (stored.get("year"), _entities(stored))
            self._columns = {version: columns}
        return columns

    # -- articles and statistics -------------------------------------------------------------

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or ``None``."""
        stored = self._searcher().document(id=article_id)
        return None if stored is None else store.article_from_stored(stored)

    @_reads_index
    def stats(self) -> dict[str, Any]:
        """Facts about the index: size, dates, when and from what it was built."""
        searcher = self._searcher()
        dates = [_text(term) for term in searcher.lexicon("date")]
        dated = sum(searcher.doc_frequency("date", d) for d in dates)
        folder = self.location.path / self.manifest["generation"]
        return {
            "name": self.name,
            "path": str(self.location.path),
            "articles": searcher.doc_count(),
            "dated": dated,
            "undated": searcher.doc_count() - dated,
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "terms": sum(1 for _ in searcher.lexicon("body")),
            "size_bytes": sum(f.stat().st_size for f in folder.iterdir() if f.is_file()),
            "built_at": self.manifest.get("built_at"),
            "generation": self.manifest["generation"],
            "sources": self.manifest.get("sources", []),
        }


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _entities(stored: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: [v.strip() for v in stored.get(name, "").split(",") if v.strip()]
        for name in store.ENTITY_FIELDS
    }


def open_index(index: str | os.PathLike[str] = store.DEFAULT_INDEX, *, build: bool = True) -> Index:
    """Open an index by name (``indexes/NAME.toml``) or path.

    With ``build`` (the default), an index that has a definition but was never built is built
    first, so ``searchlib.open("seeds")`` works in a fresh clone.
    """
    location = store.locate(index)
    if build and not location.is_built and location.definition is not None:
        log.info("index %r is not built yet; building it from its definition…", location.name)
        report = store.build(index)
        log.info("built %r: %d articles in %.2f s", location.name, report.articles, report.seconds)
    return Index(location)
