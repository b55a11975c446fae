"""The ``Index`` handle: an open index that follows its builds, over its current engine.

:class:`Index` is safe to share between threads: the engine gives each thread its own reader,
and a build that switches the index to a new generation is picked up by the next call.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import engine as engines
from ..engine.documents import article_from_stored, stored_entities
from ..errors import ArticleNotFoundError, SearchlibError
from ..fields import ENTITY_FIELDS, SNIPPET_CHARS, SORTS
from ..model import Article, Entity, Hit, Results, Story
from ..store import definitions, duplicates
from ..store.entity_table import load_entity_table, require_entity_table
from ..store.manifest import MANIFEST, damaged, require_built
from .collapse import collapsed, story_numbers
from .query import field_warnings
from .snippets import highlighter, make_snippet
from .spelling import suggest_spelling

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np
    import pandas as pd

    from ..engine import Engine, Ranked
    from ..prepare.canonical import EntityTable
    from ..present.timeline import Timeline

log = logging.getLogger("searchlib")


def _reads_index(method: Callable[..., Any]) -> Callable[..., Any]:
    """Report a failure inside the engine while reading (a truncated or missing segment file)
    as :class:`~searchlib.IndexDamagedError` with the command that rebuilds the index."""

    @functools.wraps(method)
    def guarded(self: Index, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except SearchlibError:
            raise
        except Exception as error:
            if engines.raised_inside(error):
                why = f"{type(error).__name__}: {error}"
                raise damaged(self.location, why) from error
            raise

    return guarded


class Index:
    """A built index, open for searching. Use :func:`searchlib.open` to get one.

    ``engine`` chooses what answers searches: ``"auto"`` (the impact sidecar where the index
    has a current one, else Whoosh), ``"whoosh"`` or ``"sidecar"``; all give the same results.
    """

    def __init__(self, location: definitions.Location, *, engine: str = "auto") -> None:
        if engine not in engines.ENGINES:
            raise ValueError(f"engine must be one of {', '.join(engines.ENGINES)}, not {engine!r}")
        self.location = location
        self.engine_choice = engine
        self._lock = threading.Lock()
        self._local = threading.local()
        self._stamp = self._manifest_stamp()
        self._open_generation()

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The index's name (or the path it was opened by)."""
        return self.location.name

    @property
    def path(self) -> os.PathLike[str]:
        """The index folder."""
        return self.location.path

    @property
    def engine(self) -> str:
        """The engine answering searches now: ``"whoosh"`` or ``"sidecar"``."""
        return self._engine.name

    def __repr__(self) -> str:
        return f"<searchlib.Index {self.name!r} at {str(self.path)!r}: {len(self)} articles>"

    @_reads_index
    def __len__(self) -> int:
        return self._current().doc_count()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close this thread's reader; the index can still be used and reopens on demand."""
        used = getattr(self._local, "engine", None)
        if used is not None:
            used.close()

    def _manifest_stamp(self) -> int | None:
        try:
            return os.stat(self.location.path / MANIFEST).st_mtime_ns
        except OSError:
            return None

    def _open_generation(self) -> None:
        manifest = require_built(self.location)
        folder = self.location.path / manifest["generation"]
        require_entity_table(self.location, manifest)
        table = _TableOnDemand(self.location, manifest)
        try:
            opened = engines.open_engine(
                folder, manifest["generation"], lambda: table.get().names, self.engine_choice
            )
        except LookupError as error:
            raise damaged(self.location, str(error)) from error
        except Exception as error:  # the engine's libraries raise many types
            raise damaged(self.location, f"{type(error).__name__}: {error}") from error
        self.manifest: dict[str, Any] = manifest
        self._tables = table
        self._groups = duplicates.load(folder)
        self._stories: tuple[Engine, np.ndarray] | None = None  # (on the first collapse)
        self._engine: Engine = opened

    def _current(self) -> Engine:
        """The engine of the current generation, reopened if a build has switched since."""
        stamp = self._manifest_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._open_generation()
                    self._stamp = stamp
        current = self._engine
        used = getattr(self._local, "engine", None)
        if used is not current:
            if used is not None:
                used.close()  # this thread's reader of an older generation
            self._local.engine = current
        return current

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
        person: str | list[str] | None = None,
        org: str | list[str] | None = None,
        place: str | list[str] | None = None,
        facet_limit: int = 20,
        explain: bool = False,
        correct: bool = True,
        snippets: bool = True,
        snippet_chars: int = SNIPPET_CHARS,
        highlight: str | tuple[str, str] = "markdown",
        collapse: bool = False,
    ) -> Results:
        """Rank the articles that match ``query`` and count facets over all of them.

        Parameters
        ----------
        query:
            Words (any of them may match; articles with more of them rank first),
            ``"exact phrases"``, ``AND``/``OR``/``NOT``, ``+required``/``-excluded``,
            ``title:word``, ``date:2023..2025``, ``prefix*``, ``fuzzy~``; see
            :func:`searchlib.engine.whoosh.query.parse_query`. Empty or ``*`` matches every
            article.
        limit, page:
            Page size and 1-based page number.
        sort:
            ``"relevance"`` (default), ``"date"`` (newest first) or ``"date_asc"`` (oldest
            first); undated articles come last in both.
        date_from, date_to:
            Inclusive bounds, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
        person, org, place:
            Keep only articles that mention this entity (a name or alias, any case); a list
            of names keeps the articles that mention all of them.
        facet_limit:
            Most values to return per facet; 0 counts none (faster).
        explain:
            Attach to each hit how much each query term contributed to its score.
        correct:
            Suggest a spelling correction for words the index does not know and, when the
            query finds nothing, search the correction instead (``Results.corrected``).
        snippets:
            Pick a passage of each hit's text (``Hit.snippet``); ``False`` leaves them empty,
            for scripts that want only ids, titles and scores, faster.
        snippet_chars:
            About how many characters of text a snippet shows (at least 40).
        highlight:
            How ``Hit.snippet`` marks the query's words: ``"markdown"`` (``**word**``),
            ``"html"`` (``<mark>word</mark>``, the text escaped), ``"ansi"`` (terminal colour),
            ``"none"``, or a ``(before, after)`` pair of your own.
        collapse:
            One hit per story: of each group of near-duplicates (see :meth:`duplicates`)
            only the best ranked is shown, the others' ids in its ``Hit.similar``. ``total``,
            the facets and the timeline still count articles.
        """
        started = time.perf_counter()
        if limit < 1 or page < 1:
            raise ValueError("limit and page must be at least 1")
        if snippet_chars < 40:
            raise ValueError("snippet_chars must be at least 40")
        render = highlighter(highlight)
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        current = self._current()
        parsed = current.parse(query, self._variants)
        wanted = {"person": person, "org": org, "place": place}
        flt = current.filter(
            date_from,
            date_to,
            {
                kind: [self._variants(kind, name) for name in _names(names)]
                for kind, names in wanted.items()
            },
        )
        asked = engines.Request(limit, page, sort, facet_limit, explain, snippets)
        shown = _Shown(snippet_chars, render)
        run = self._collapsed(current) if collapse else current.run
        found = run(parsed, flt, asked)
        results = self._results(current, query, parsed, found, asked, shown)
        suggestion = suggest_spelling(query, current) if correct else None
        if suggestion is not None and results.total == 0:
            fixed = current.parse(suggestion, self._variants)
            found = run(fixed, flt, asked)
            retry = self._results(current, query, fixed, found, asked, shown)
            if retry.total:
                results = replace(retry, corrected=True)
        took = (time.perf_counter() - started) * 1000
        warnings = field_warnings(query)
        return replace(results, suggestion=suggestion, took_ms=took, warnings=warnings)

    def _collapsed(self, current: Engine) -> Callable[[Any, Any, engines.Request], Ranked]:
        """``current.run`` giving one hit per story."""
        made = self._stories
        if made is None or made[0] is not current:  # (numbers are a generation's own)
            made = self._stories = (current, story_numbers(current, self._groups))
        stories = made[1]
        return lambda parsed, flt, asked: collapsed(current, parsed, flt, asked, stories)

    def _results(
        self,
        current: Engine,
        query: str,
        parsed: Any,
        found: Ranked,
        asked: engines.Request,
        shown: _Shown,
    ) -> Results:
        """The page ``asked`` for: the hits of ``found`` with the facets and dates counted over
        all its matches."""
        hits = self._hits(
            current,
            parsed,
            found.scored,
            asked.first,
            explain=asked.explain,
            ranked=found.ranked,
            snippets=asked.snippets,
            snippet_chars=shown.chars,
            render=shown.render,
        )
        return Results(
            query=query,
            total=found.total,
            page=asked.page,
            limit=asked.limit,
            hits=hits,
            facets=found.facets,
            _dates=found.dates,
        )

    def _hits(
        self,
        current: Engine,
        parsed: Any,
        scored: list[tuple[int, float]],
        first_rank: int,
        *,
        explain: bool = False,
        ranked: Any = None,
        snippets: bool = True,
        snippet_chars: int = SNIPPET_CHARS,
        render: Callable[[list[tuple[str, bool]]], str] | None = None,
    ) -> list[Hit]:
        terms = current.terms(parsed)
        render = render or highlighter()
        hits = []
        for rank, (docnum, score) in enumerate(scored, first_rank):
            stored = current.stored(docnum)
            pieces = make_snippet(stored.get("body", ""), terms, snippet_chars) if snippets else []
            hits.append(
                Hit(
                    rank=rank,
                    id=stored["id"],
                    title=stored.get("title", ""),
                    date=stored.get("date"),
                    score=float(score or 0.0),
                    snippet=render(pieces),
                    entities=self._entities(stored),
                    fragments=tuple(pieces),
                    explanation=(current.explain(ranked or parsed, docnum) if explain else None),
                    source=stored.get("source", ""),
                    author=stored.get("author", ""),
                    similar=self._groups.others(stored["id"]),
                )
            )
        return hits

    @_reads_index
    def similar(self, article_id: str, *, limit: int = 10, terms: int = 12) -> Results:
        """Articles most like the given one, by the ``terms`` most distinctive words of its body.

        Facets count the articles returned (similarity has no natural "all matches").
        """
        current = self._current()
        docnum = current.docnum(article_id)
        if docnum is None:
            raise ArticleNotFoundError(
                f"no article with id {article_id!r} in index {self.name!r}",
                "find ids with: searchlib search QUERY",
            )
        scored, key_terms = current.similar(docnum, limit, terms)
        facets, dates = current.counts(sorted(d for d, _ in scored), limit)
        return Results(
            query=f"similar:{article_id}",
            total=len(scored),
            page=1,
            limit=limit,
            hits=self._hits(current, key_terms, scored, 1),
            facets=facets,
            _dates=dates,
        )

    @_reads_index
    def timeline(self, query: str = "", *, freq: str = "year", **filters: Any) -> Timeline:
        """Count every article that matches ``query`` (with the filters of :meth:`search`) per
        ``"year"``, ``"month"``, ``"week"`` or ``"day"``; undated ones apart."""
        return self.search(query, limit=1, facet_limit=0, snippets=False, **filters).timeline(freq)

    # -- entities ----------------------------------------------------------------------------

    @property
    def _table(self) -> EntityTable:
        return self._tables.get()

    def _entities(self, stored: dict[str, Any]) -> dict[str, list[str]]:
        """An article's entities under their canonical names (from the facet columns: the
        table's names of every name the articles hold)."""
        # (The current engine as it is: switching here would close the reader a search in
        # this thread is still reading its hits from.)
        columns = self._engine.facet_columns()
        return {
            kind: list(dict.fromkeys(columns.canonical(kind, raw) for raw in raws))
            for kind, raws in stored_entities(stored).items()
        }

    def _variants(self, kind: str, name: str | None) -> list[str] | None:
        """Every stored name that means what ``name`` (canonical or alias, any case) means."""
        if not name:
            return None
        canonical = self._table.canonical(kind, name)
        return self._table.variants(kind, canonical) or [canonical] if canonical else [name]

    @_reads_index
    def entities(
        self, kind: str | None = None, *, limit: int | None = None, min_count: int = 1
    ) -> list[Entity]:
        """The people, organisations and places of the index, most mentioned first.

        Each :class:`Entity` has its canonical name, the number of articles that mention it,
        the aliases it answers to and those articles' ids. ``limit`` keeps at most that many of
        each kind, and ``min_count`` only those mentioned in at least that many articles.
        """
        if kind is not None and kind not in ENTITY_FIELDS:
            raise ValueError(f"kind must be one of {', '.join(ENTITY_FIELDS)}")
        import numpy as np

        # From the facet columns (each article's canonical names, each once): reading every
        # stored article instead took 40 s at a million articles.
        current = self._current()
        columns, article_ids = current.facet_columns(), current.article_ids()
        live = article_ids != ""  # (a deleted article's pairs stay in the columns)
        found = []
        for name_kind in ENTITY_FIELDS if kind is None else (kind,):
            docs, name_ids, names = columns.entities[name_kind]
            held_live = live[docs]
            docs, name_ids = docs[held_live], name_ids[held_live]
            counts = np.bincount(name_ids, minlength=len(names))
            # Most mentioned first, then by name (name ids are in name order).
            order = np.lexsort((np.arange(len(names)), -counts))
            order = order[counts[order] >= max(min_count, 1)][:limit]
            by_name = np.argsort(name_ids, kind="stable")
            starts = np.searchsorted(name_ids[by_name], order)
            aliases = self._table.aliases[name_kind]
            for number, start in zip(order.tolist(), starts.tolist(), strict=True):
                mentions = article_ids[docs[by_name[start : start + counts[number]]]]
                name = names[number]
                held = tuple(sorted(str(article_id) for article_id in mentions.tolist()))
                found.append(Entity(name_kind, name, len(held), tuple(aliases.get(name, ())), held))
        return found

    # -- articles and statistics -------------------------------------------------------------

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or ``None``."""
        stored = self._current().document(article_id)
        return None if stored is None else self._article(stored)

    @_reads_index
    def duplicates(self, *, limit: int | None = None) -> list[Story]:
        """The groups of near-duplicate articles (the same story sent again, corrected or
        updated), found at build time: the largest first, at most ``limit`` of them."""
        current = self._current()
        stories = []
        for group in self._groups.largest(limit):
            found = [current.document(article_id) or {"id": article_id} for article_id in group]
            titles = tuple(stored.get("title", "") for stored in found)
            stories.append(Story(group, titles, tuple(stored.get("date") for stored in found)))
        return stories

    @_reads_index
    def duplicate_totals(self) -> tuple[int, int]:
        """How many stories the index holds more than once, and how many articles they are
        (without reading them, as :meth:`duplicates` does)."""
        return len(self._groups), len(self._groups.members)

    def articles(self) -> Iterator[Article]:
        """Every stored article, in index order."""
        for stored in self._current().iter_stored():
            yield self._article(stored)

    @_reads_index
    def to_pandas(self) -> pd.DataFrame:
        """Every article with its fields and entities as a DataFrame (needs
        ``searchlib[pandas]``)."""
        from ..present import frames

        return frames.articles_frame(self.articles())

    def _article(self, stored: dict[str, Any]) -> Article:
        entities = self._entities(stored)
        canonical: dict[str, Any] = {kind: tuple(entities[kind]) for kind in ENTITY_FIELDS}
        similar = self._groups.others(stored["id"])
        return replace(article_from_stored(stored), **canonical, similar=similar)

    @_reads_index
    def stats(self) -> dict[str, Any]:
        """Facts about the index: size, dates, when and from what it was built."""
        counts = self._current().stats()
        folder = self.location.path / self.manifest["generation"]
        return {
            "name": self.name,
            "path": str(self.location.path),
            **counts,
            "size_bytes": sum(f.stat().st_size for f in folder.iterdir() if f.is_file()),
            "built_at": self.manifest.get("built_at"),
            "generation": self.manifest["generation"],
            "sources": self.manifest.get("sources", []),
        }


class _Shown(NamedTuple):
    """How a search's snippets are shown: their length and their renderer."""

    chars: int
    render: Callable[[list[tuple[str, bool]]], str]


def _names(names: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The entity names of a ``person=``/``org=``/``place=`` filter: one name or several."""
    if not names:
        return []
    return [names] if isinstance(names, str) else [name for name in names if name]


class _TableOnDemand:
    """A generation's entity table, read when first needed (entity filters and lists, the
    aliases of an entity): a plain search shows canonical names from the facet columns."""

    def __init__(self, location: definitions.Location, manifest: dict[str, Any]) -> None:
        self._location, self._manifest = location, manifest
        self._lock = threading.Lock()
        self._table: EntityTable | None = None

    def get(self) -> EntityTable:
        """The table, read on the first call."""
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._table = load_entity_table(self._location, self._manifest)
        return self._table


def open_index(
    index: str | os.PathLike[str] = definitions.DEFAULT_INDEX,
    *,
    build: bool = True,
    engine: str = "auto",
) -> Index:
    """Open an index by name (``indexes/NAME.toml``) or path.

    With ``build`` (the default), an index that has a definition but was never built is built
    first, so ``searchlib.open("seeds")`` works in a fresh clone. ``engine`` chooses what
    answers searches (see :class:`Index`).
    """
    location = definitions.locate(index)
    if build and not location.is_built and location.definition is not None:
        from ..store.build import build as build_index  # most opens build nothing

        log.info("index %r is not built yet; building it from its definition…", location.name)
        report = build_index(index)
        log.info("built %r: %d articles in %.2f s", location.name, report.articles, report.seconds)
    return Index(location, engine=engine)
