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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import whoosh
from whoosh import query as wq
from whoosh.qparser import (
    FuzzyTermPlugin,
    MultifieldParser,
    OperatorsPlugin,
    OrGroup,
    PlusMinusPlugin,
)
from whoosh.sorting import FieldFacet, ScoreFacet

from . import display, frames, impacts, ranking
from . import index as store
from .analysis import Article, stem, stopwords, word_spans
from .errors import ArticleNotFoundError, InvalidDateError, QuerySyntaxError, SearchlibError
from .timeline import Timeline

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pandas as pd
    from whoosh.searching import Searcher

log = logging.getLogger("searchlib")

SEARCH_FIELDS = ("title", "body")
#: Fields whose query clauses restrict the results instead of ranking them.
RESTRICTION_FIELDS = frozenset({"date", "year", "person", "org", "place"})
FIELD_BOOSTS = ranking.FIELD_WEIGHTS
SORTS = ("relevance", "date")
FACETS = ("person", "org", "place", "year")
SNIPPET_CHARS = 240
#: Score bag-of-words queries from the impact sidecar (:mod:`searchlib.impacts`) when the index
#: has a current one; ``SEARCHLIB_IMPACTS=0`` makes every search go through Whoosh.
USE_IMPACTS = os.environ.get("SEARCHLIB_IMPACTS", "1") != "0"


# ---------------------------------------------------------------------------------------------
# Results


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
    explanation: list[Contribution] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The hit as in ``search --json`` (with ``explain`` only when it was asked for)."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "entities": self.entities,
        }
        if self.explanation is not None:
            data["explain"] = [c.to_dict() for c in self.explanation]
        return data

    def _repr_html_(self) -> str:
        return display.hit_html(self)


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
    # Counted when first asked for (see dates): most searches draw no timeline.
    _dates: Counter[str | None] | Callable[[], Counter[str | None]] = field(
        default_factory=Counter, repr=False, compare=False
    )

    @functools.cached_property
    def dates(self) -> Counter[str | None]:
        """All matching articles counted by publication date (``None`` for undated ones), so
        :meth:`timeline` covers every match, not only the page."""
        return self._dates() if callable(self._dates) else self._dates

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
            "suggestion": self.suggestion,
            "corrected": self.corrected,
        }

    def timeline(self, freq: str = "year") -> Timeline:
        """Count all matching articles per ``"year"`` or ``"month"``; undated ones apart."""
        return Timeline.count(self.dates, freq, query=self.query)

    def to_pandas(self) -> pd.DataFrame:
        """The hits of this page as a DataFrame, one row per hit (needs ``searchlib[pandas]``)."""
        return frames.hits_frame(self.hits)

    def _repr_html_(self) -> str:
        return display.results_html(self)


# ---------------------------------------------------------------------------------------------
# Queries and filters


def _parser(schema: Any, *, operators: bool = True) -> MultifieldParser:
    parser = MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=FIELD_BOOSTS,
        group=OrGroup,
    )
    # + and - mark required and excluded words only at the start of a word: "Kassym-Jomart" is a
    # name, not "Kassym but not Jomart".
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(FuzzyTermPlugin())
    if not operators:
        parser.remove_plugin_class(OperatorsPlugin)
    return parser


def _all_capitals(text: str) -> bool:
    """True for a query typed in capitals, where AND, OR and NOT are words, not operators."""
    return not any(char.islower() for char in text) and any(char.isupper() for char in text)


# date:2023..2025, date:2023-01.., date:[2023-01-01 TO 2025-06-30], date:2024-02
_DATE_SYNTAX = re.compile(
    r"\bdate:(?:\[\s*(?P<lo>[^\]\s]*)\s+TO\s*(?P<hi>[^\]\s]*)\s*\]"
    r"|(?P<lo2>[\d-]*)\.\.(?P<hi2>[\d-]*)"
    r"|(?P<one>\d{4}(?:-\d{2}){0,2})\b)",
    re.IGNORECASE,
)


def _expand_dates(text: str) -> str:
    """Rewrite the date forms users type into the range syntax the parser understands."""

    def whole_days(match: re.Match[str]) -> str:
        lo = match["lo"] if match["lo"] is not None else match["lo2"] or match["one"]
        hi = match["hi"] if match["hi"] is not None else match["hi2"] or match["one"]
        lo = date_bound(lo) if lo and lo != "*" else "0000-01-01"
        hi = date_bound(hi, end=True) if hi and hi != "*" else "9999-12-31"
        if lo > hi:
            raise InvalidDateError(
                f"the date range {lo} .. {hi} is empty", "put the earlier date first"
            )
        return f"date:[{lo} TO {hi}]"

    # Only outside "quoted phrases", which are searched as written.
    parts = re.split(r'("[^"]*")', text)
    return "".join(p if p.startswith('"') else _DATE_SYNTAX.sub(whole_days, p) for p in parts)


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
    """Parse a user's query; an empty query or ``*`` matches every article.

    The syntax: words (any may match), ``"phrases"``, ``AND``/``OR``/``NOT`` (in capitals, and
    only in a query that is not typed all in capitals), ``+required``/``-excluded``,
    ``field:value`` (``title``, ``person``, ``org``, ``place``, ``year``), dates
    (``date:2023..2025``, ``date:[2023-01-01 TO 2025-06-30]``, ``date:2024-02``),
    ``prefix*`` and ``fuzzy~`` (``~2`` for two edits), and ``(groups)``.
    """
    text = text.strip()
    if not text or text == "*":
        return wq.Every()
    plain = _parse_plain_words(text, schema)
    if plain is not None:
        return plain
    check_syntax(text)
    try:
        parser = _parser(schema, operators=not _all_capitals(text))
        # Unnormalized, so that ranking can count repeated words before Whoosh merges them.
        parsed = ranking.prepare(parser.parse(_expand_dates(text), normalize=False))
    except InvalidDateError:
        raise
    except Exception as error:  # Whoosh's parser signals problems with assorted exceptions
        raise QuerySyntaxError(
            f"cannot parse query {text!r} ({type(error).__name__}: {error})",
            "check its operators and parentheses: a group cannot hold only excluded words",
        ) from error
    return ranking.in_query_order(_restrict(_exclude(parsed)))


# A query of words and spaces only, and the words that make one more than that.
_PLAIN_WORDS = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def _parse_plain_words(text: str, schema: Any) -> wq.Query | None:
    """What :func:`parse_query` gives for a query of plain words, built without Whoosh's parser
    (which took most of a fast search's time); ``None`` for any other query."""
    if not _PLAIN_WORDS.fullmatch(text) or _all_capitals(text):
        return None
    words = text.split()
    if not _OPERATOR_WORDS.isdisjoint(words):
        return None
    # Each word is one token or none (a stop word): analysing the whole text at once gives the
    # words' terms in order.
    title, body = (list(schema[name].process_text(text, mode="query")) for name in SEARCH_FIELDS)
    if title != body:
        return None
    groups = [
        wq.Or([wq.Term(name, term, boost=FIELD_BOOSTS[name]) for name in SEARCH_FIELDS])
        for term in body
    ]
    return ranking.in_query_order(_restrict(_exclude(ranking.prepare(wq.Or(groups)))))


def _exclude(parsed: wq.Query) -> wq.Query:
    """``a b NOT c`` means a or b, but never c (not "a or b or anything without c")."""
    if not isinstance(parsed, wq.Or):
        return parsed
    excluded = [sub.query for sub in parsed.subqueries if isinstance(sub, wq.Not)]
    if not excluded:
        return parsed
    kept = [sub for sub in parsed.subqueries if not isinstance(sub, wq.Not)]
    positive = wq.Or(kept) if kept else wq.Every()
    return wq.AndNot(positive, wq.Or(excluded) if len(excluded) > 1 else excluded[0])


def _restrict(parsed: wq.Query) -> wq.Query:
    """Top-level ``date:``, ``year:`` and entity clauses filter the results; they add no score."""
    if _is_restriction(parsed):
        return wq.Require(wq.Every(), parsed)
    if isinstance(parsed, wq.AndNot):
        return wq.AndNot(_restrict(parsed.a), parsed.b)
    if not isinstance(parsed, (wq.Or, wq.And)):
        return parsed
    restrictions = [sub for sub in parsed.subqueries if _is_restriction(sub)]
    if not restrictions:
        return parsed
    kept = [sub for sub in parsed.subqueries if not _is_restriction(sub)]
    scored = (kept[0] if len(kept) == 1 else type(parsed)(kept)) if kept else wq.Every()
    return wq.Require(scored, wq.And(restrictions) if len(restrictions) > 1 else restrictions[0])


def _is_restriction(parsed: wq.Query) -> bool:
    return getattr(parsed, "fieldname", None) in RESTRICTION_FIELDS


# Spans of a query that are syntax rather than words to spell-check: field clauses, wildcard
# and fuzzy terms, operators.
_NOT_SPELLED = re.compile(
    r'\b[a-z_]+:(?:"[^"]*"|\[[^\]]*\]|\S+)|\S*[*?~]\S*|\b(?:AND|OR|NOT|ANDNOT|TO)\b'
)


def suggest_spelling(
    searcher: Searcher, text: str, *, frequency: Callable[[str], int] | None = None
) -> str | None:
    """The query with each word the index does not know replaced by the closest word it knows,
    or ``None`` when every word is known (or nothing better is found).

    ``frequency(term)``, if given, counts the articles that hold an analysed word in title or
    body (the impact sidecar answers at once; Whoosh asks every segment).
    """
    skip = [match.span() for match in _NOT_SPELLED.finditer(text)]
    reader, stops = searcher.reader(), stopwords()
    pieces, cursor, changed = [], 0, False
    for word, start, end in word_spans(text):
        if len(word) < 4 or not word.isalpha() or word in stops:
            continue
        if any(lo <= start < hi for lo, hi in skip):
            continue
        stemmed = stem(word)
        if frequency is not None:
            if frequency(stemmed):
                continue
        elif any(reader.doc_frequency(name, stemmed) for name in SEARCH_FIELDS):
            continue
        corrector = searcher.corrector("body")
        found = corrector.suggest(word, limit=1, maxdist=1 if len(word) <= 5 else 2)
        if found:
            pieces += [text[cursor:start], _same_case(text[start:end], found[0])]
            cursor, changed = end, True
    return "".join([*pieces, text[cursor:]]) if changed else None


def _same_case(original: str, word: str) -> str:
    if original.isupper():
        return word.upper()
    return word.capitalize() if original[:1].isupper() else word


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
    **entities: str | list[str] | None,
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
        clause = entity_clause(name, [value] if isinstance(value, str) else list(value or ()))
        if clause is not None:
            parts.append(clause)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def entity_clause(kind: str, names: list[str]) -> wq.Query | None:
    """Articles that name any of ``names`` as a ``kind`` entity (``None``: no names)."""
    terms = [wq.Term(kind, name.strip().lower()) for name in names if name and name.strip()]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.Or(terms)


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
        best = _richest_window(matches, width - 40)
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


def _richest_window(matches: list[tuple[int, int, str]], span: int) -> int:
    """The first match whose next ``span`` characters hold the most distinct terms (one pass
    of a sliding window: long articles can hold hundreds of matches)."""
    in_window: Counter[str] = Counter()
    best, most, end = 0, 0, 0
    for i, (start, _, term) in enumerate(matches):
        while end < len(matches) and matches[end][0] < start + max(span, 1):
            in_window[matches[end][2]] += 1
            end += 1
        if len(in_window) > most:
            best, most = i, len(in_window)
        in_window[term] -= 1
        if not in_window[term]:
            del in_window[term]
    return best


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
# Explanations


def explain_score(searcher: Searcher, parsed: wq.Query, docnum: int) -> list[Contribution]:
    """What each leaf clause of ``parsed`` (a term, a phrase…) adds to ``docnum``'s score.

    Whoosh has no explain API: each clause is scored on its own with the searcher's weighting,
    and for the bag-of-words queries searchlib builds the contributions add up to the score.
    """
    contributions = []
    context = searcher.context()
    for leaf in parsed.leaves():
        name = getattr(leaf, "fieldname", None)
        if name not in SEARCH_FIELDS:
            continue
        matcher = leaf.matcher(searcher, context)
        if matcher.is_active():
            matcher.skip_to(docnum)
        if not matcher.is_active() or matcher.id() != docnum:
            continue
        frequency = None
        if isinstance(leaf, wq.Term) and matcher.supports("frequency"):
            frequency = int(matcher.value_as("frequency"))
        if isinstance(leaf, wq.Phrase):
            clause = '"' + " ".join(leaf.words) + '"'
        else:
            clause = _text(getattr(leaf, "text", "")) or str(leaf)
        contributions.append(Contribution(name, clause, float(matcher.score()), frequency))
    return sorted(contributions, key=lambda c: -c.score)


def _key_terms(found: Any) -> list[str]:
    # The key terms Whoosh's more_like chose are the terms of the query it ran.
    return sorted({_text(text) for name, text in found.q.iter_all_terms() if name == "body"})


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


@dataclass(frozen=True)
class _Page:
    """What a search asks for besides the query: which page, in what order, with what."""

    limit: int
    page: int
    sort: str
    facet_limit: int
    explain: bool
    snippets: bool

    @property
    def wanted(self) -> int:
        """How many hits the pages up to this one hold."""
        return self.page * self.limit

    @property
    def first(self) -> int:
        """The rank of this page's first hit."""
        return self.wanted - self.limit + 1


class Index:
    """A built index, open for searching. Use :func:`searchlib.open` to get one."""

    def __init__(self, location: store.Location) -> None:
        self.location = location
        self._lock = threading.Lock()
        self._local = threading.local()
        self._version = 0
        self._stamp: int | None = None
        self._store, self.manifest = store.open_store(location)
        self._table = store.load_entity_table(location, self.manifest)
        self._stamp = self._manifest_stamp()
        self._columns: dict[int, list[tuple[str | None, dict[str, list[str]]]]] = {}
        #: Whether searches may use the impact sidecar (tests compare both paths).
        self.use_impacts = USE_IMPACTS
        self._impacts = (self._version, self._load_impacts())

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
                    self._table = store.load_entity_table(self.location, self.manifest)
                    self._stamp, self._version = stamp, self._version + 1
                    self._columns.clear()
                    self._impacts = (self._version, self._load_impacts())
        searcher = getattr(self._local, "searcher", None)
        if searcher is None or self._local.version != self._version:
            if searcher is not None:
                searcher.close()
            searcher = self._store.searcher(weighting=ranking.BM25())
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
        explain: bool = False,
        correct: bool = True,
        snippets: bool = True,
    ) -> Results:
        """Rank the articles that match ``query`` and count facets over all of them.

        Parameters
        ----------
        query:
            Words (any of them may match; articles with more of them rank first),
            ``"exact phrases"``, ``AND``/``OR``/``NOT``, ``+required``/``-excluded``,
            ``title:word``, ``date:2023..2025``, ``prefix*``, ``fuzzy~``; see
            :func:`parse_query`. Empty or ``*`` matches every article.
        limit, page:
            Page size and 1-based page number.
        sort:
            ``"relevance"`` (default) or ``"date"`` (newest first, undated articles last).
        date_from, date_to:
            Inclusive bounds, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
        person, org, place:
            Keep only articles that mention this entity.
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
        """
        if limit < 1 or page < 1:
            raise ValueError("limit and page must be at least 1")
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        searcher = self._searcher()
        parsed = self._entity_variants(parse_query(query, searcher.schema))
        wanted = {"person": person, "org": org, "place": place}
        flt = build_filter(
            date_from, date_to, **{kind: self._variants(kind, v) for kind, v in wanted.items()}
        )
        asked = _Page(limit, page, sort, facet_limit, explain, snippets)
        results = self._run(searcher, query, parsed, flt, asked)
        accel = self._accelerator()
        counts = accel.sidecar.document_frequency if accel else None
        suggestion = suggest_spelling(searcher, query, frequency=counts) if correct else None
        if suggestion is None:
            return results
        if results.total == 0:
            fixed = parse_query(suggestion, searcher.schema)
            retry = self._run(searcher, query, fixed, flt, asked)
            if retry.total:
                return replace(retry, suggestion=suggestion, corrected=True)
        return replace(results, suggestion=suggestion)

    def _run(
        self, searcher: Searcher, query: str, parsed: wq.Query, flt: wq.Query | None, asked: _Page
    ) -> Results:
        if self.use_impacts:
            fast = self._run_impacts(searcher, query, parsed, flt, asked)
            if fast is not None:
                return fast
        matching = parsed if flt is None else wq.And([parsed, flt])
        docnums = sorted(searcher.docs_for_query(matching))
        ranked = ranking.expand(searcher, parsed, flt)  # feedback reorders matches, adds none
        # Ties are broken by id, so the order does not depend on where an article sits in the
        # index: a full build writes articles in file order, an incremental one appends them.
        order = [ScoreFacet(), FieldFacet("id")]
        if asked.sort == "date":
            order.insert(0, FieldFacet("date", reverse=True))
        found = searcher.search(ranked, filter=flt, limit=asked.wanted, sortedby=order)
        # Whoosh's sort key holds -score where the ScoreFacet is in ``order``.
        scored = [(docnum, -key[-2]) for docnum, key in list(found.items())[asked.first - 1 :]]
        counts = self._counts(searcher, docnums, asked.facet_limit)
        return self._results(searcher, query, parsed, ranked, scored, len(docnums), counts, asked)

    def _accelerator(self) -> _Accelerator | None:
        """The sidecar, if it is of this thread's searcher's generation and can answer (its
        dates are all exact)."""
        version, accel = self._impacts
        if accel is None or version != self._local.version or not accel.sidecar.exact_dates:
            return None
        return accel

    def _load_impacts(self) -> _Accelerator | None:
        """The current generation's impact sidecar with its facet columns, if it has one."""
        generation = self.manifest["generation"]
        with self._store.reader() as reader:
            docs_all = reader.doc_count_all()
        sidecar = impacts.load(self.location.path / generation, generation, docs_all)
        if sidecar is None:
            log.debug("no current impact sidecar in %s: searching with Whoosh", generation)
            return None
        return _Accelerator.build(sidecar, self._table.names)

    def _run_impacts(
        self, searcher: Searcher, query: str, parsed: wq.Query, flt: wq.Query | None, asked: _Page
    ) -> Results | None:
        """:meth:`_run` with the impact sidecar: words joined by AND, OR, NOT, + and - are
        scored from it; other queries (phrases, prefixes, ``title:``…) are matched and scored by
        Whoosh in one pass, and the sidecar adds the feedback terms, ranks and counts facets.
        ``None`` when there is no current sidecar or a filter it cannot apply."""
        accel = self._accelerator()
        if accel is None:
            return None
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
                added = accel.add_words(ranked.b, docnums, scores)
                if added is None:
                    return None
                scores = added
        wanted = asked.wanted
        id_rank = accel.sidecar.id_rank[docnums]
        if asked.sort == "date":  # newest first (undated last), then as for relevance
            order = np.lexsort((id_rank, -scores, -accel.sidecar.dates[docnums]))[:wanted]
        else:
            order = _best(np.arange(len(docnums)), scores, id_rank, wanted)
        scored = [(int(docnums[i]), float(scores[i])) for i in order[asked.first - 1 :]]
        counts = accel.counts(docnums, asked.facet_limit)
        return self._results(searcher, query, parsed, ranked, scored, len(docnums), counts, asked)

    def _results(
        self,
        searcher: Searcher,
        query: str,
        parsed: wq.Query,
        ranked: wq.Query,
        scored: list[tuple[int, float]],
        total: int,
        counts: dict[str, Any],
        asked: _Page,
    ) -> Results:
        """The page ``asked`` for: the hits of ``scored`` with the facets and dates counted over
        all ``total`` matches."""
        options = {"explain": asked.explain, "ranked": ranked, "snippets": asked.snippets}
        hits = self._hits(searcher, parsed, scored, asked.first, **options)
        page, limit = asked.page, asked.limit
        return Results(query=query, total=total, page=page, limit=limit, hits=hits, **counts)

    def _hits(
        self,
        searcher: Searcher,
        parsed: wq.Query,
        scored: list[tuple[int, float]],
        first_rank: int,
        *,
        explain: bool = False,
        ranked: wq.Query | None = None,
        snippets: bool = True,
    ) -> list[Hit]:
        terms = {_text(text) for name, text in parsed.iter_all_terms() if name in SEARCH_FIELDS}
        hits = []
        for rank, (docnum, score) in enumerate(scored, first_rank):
            stored = searcher.stored_fields(docnum)
            pieces = make_snippet(stored.get("body", ""), terms) if snippets else []
            hits.append(
                Hit(
                    rank=rank,
                    id=stored["id"],
                    title=stored.get("title", ""),
                    date=stored.get("date"),
                    score=float(score or 0.0),
                    snippet=markdown_snippet(pieces),
                    entities=self._entities(stored),
                    fragments=tuple(pieces),
                    explanation=(
                        explain_score(searcher, ranked or parsed, docnum) if explain else None
                    ),
                )
            )
        return hits

    @_reads_index
    def similar(self, article_id: str, *, limit: int = 10, terms: int = 12) -> Results:
        """Articles most like the given one, by the ``terms`` most distinctive words of its body.

        Facets count the articles returned (similarity has no natural "all matches").
        """
        searcher = self._searcher()
        docnum = searcher.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFoundError(
                f"no article with id {article_id!r} in index {self.name!r}",
                "find ids with: searchlib search QUERY",
            )
        found = searcher.more_like(docnum, "body", top=limit, numterms=terms, normalize=True)
        scored = list(found.items())
        key_terms = wq.Or([wq.Term("body", text) for text in _key_terms(found)])
        return Results(
            query=f"similar:{article_id}",
            total=len(scored),
            page=1,
            limit=limit,
            hits=self._hits(searcher, key_terms, scored, 1),
            facets=self._facets(searcher, sorted(d for d, _ in scored), limit),
            _dates=self._dates(searcher, [d for d, _ in scored]),
        )

    def _counts(self, searcher: Searcher, docnums: list[int], most: int) -> dict[str, Any]:
        """``facets`` and ``dates`` of these articles: from the sidecar's columns when it is
        current, else from the stored fields."""
        accel = self._accelerator()
        if accel is not None:
            return accel.counts(np.array(docnums, np.int64), most)
        return {
            "facets": self._facets(searcher, docnums, most),
            "_dates": self._dates(searcher, docnums),
        }

    def _facets(
        self, searcher: Searcher, docnums: list[int], most: int
    ) -> dict[str, list[FacetValue]]:
        columns = self._facet_columns(searcher)
        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        for docnum in docnums:
            date, entities = columns[docnum]
            if date:
                counts["year"][date[:4]] += 1
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

    def _dates(self, searcher: Searcher, docnums: list[int]) -> Counter[str | None]:
        """How many of these articles were published on each date (``None``: undated)."""
        columns = self._facet_columns(searcher)
        return Counter(columns[docnum][0] for docnum in docnums)

    def _facet_columns(self, searcher: Searcher) -> list[tuple[str | None, dict[str, list[str]]]]:
        # Read once per generation: facet counting and timelines then touch no stored fields
        # per query. Each column is (date, entities).
        version = self._version
        columns = self._columns.get(version)
        if columns is None:
            reader = searcher.reader()
            columns = [(None, {name: [] for name in store.ENTITY_FIELDS})] * reader.doc_count_all()
            for docnum, stored in reader.iter_docs():
                columns[docnum] = (stored.get("date"), self._entities(stored))
            self._columns = {version: columns}
        return columns

    # -- entities ----------------------------------------------------------------------------

    def _entities(self, stored: dict[str, Any]) -> dict[str, list[str]]:
        """An article's entities under their canonical names."""
        names = self._table.names
        return {
            kind: list(dict.fromkeys(names[kind].get(raw, raw) for raw in raws))
            for kind, raws in _stored_entities(stored).items()
        }

    def _entity_variants(self, parsed: wq.Query) -> wq.Query:
        """``person:…``, ``org:…`` and ``place:…`` clauses match every name the entity goes
        by, as the ``person=…`` filters do."""

        def every_name(clause: wq.Query) -> wq.Query:
            if type(clause) is not wq.Term or clause.fieldname not in store.ENTITY_FIELDS:
                return clause
            names = self._variants(clause.fieldname, clause.text) or [clause.text]
            found = entity_clause(clause.fieldname, names)
            return clause if found is None else found

        return parsed.accept(every_name)

    def _variants(self, kind: str, name: str | None) -> list[str] | None:
        """Every stored name that means what ``name`` (canonical or alias, any case) means."""
        if not name:
            return None
        canonical = self._table.canonical(kind, name)
        return self._table.variants(kind, canonical) or [canonical] if canonical else [name]

    @_reads_index
    def entities(self, kind: str | None = None) -> list[Entity]:
        """The people, organisations and places of the index, most mentioned first.

        Each :class:`Entity` has its canonical name, the number of articles that mention it,
        the aliases it answers to and those articles' ids.
        """
        if kind is not None and kind not in store.ENTITY_FIELDS:
            raise ValueError(f"kind must be one of {', '.join(store.ENTITY_FIELDS)}")
        searcher = self._searcher()
        ids: dict[tuple[str, str], list[str]] = {}
        for _, stored in searcher.reader().iter_docs():
            for name_kind, names in self._entities(stored).items():
                for name in names:
                    ids.setdefault((name_kind, name), []).append(stored["id"])
        found = [
            Entity(
                k,
                name,
                len(article_ids),
                tuple(self._table.aliases[k].get(name, ())),
                tuple(sorted(article_ids)),
            )
            for (k, name), article_ids in ids.items()
            if kind in (None, k)
        ]
        return sorted(found, key=lambda e: (store.ENTITY_FIELDS.index(e.kind), -e.count, e.name))

    # -- articles and statistics -------------------------------------------------------------

    @_reads_index
    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or ``None``."""
        stored = self._searcher().document(id=article_id)
        return None if stored is None else self._article(stored)

    def articles(self) -> Iterator[Article]:
        """Every stored article, in index order."""
        for _, stored in self._searcher().reader().iter_docs():
            yield self._article(stored)

    @_reads_index
    def to_pandas(self) -> pd.DataFrame:
        """Every article with its fields and entities as a DataFrame (needs
        ``searchlib[pandas]``)."""
        return frames.articles_frame(self.articles())

    def _article(self, stored: dict[str, Any]) -> Article:
        entities = self._entities(stored)
        return replace(
            store.article_from_stored(stored),
            person=tuple(entities["person"]),
            org=tuple(entities["org"]),
            place=tuple(entities["place"]),
        )

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


@dataclass(frozen=True)
class _Accelerator:
    """An impact sidecar with its entity columns under canonical names: scores bag-of-words
    queries, filters and counts facets with numpy, as :meth:`Index._run` does with Whoosh."""

    sidecar: impacts.Sidecar
    #: Per entity kind: (article, canonical name id) pairs, each pair once, and the canonical
    #: names in sorted order (so name ids sort as names do).
    entities: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]
    #: Per entity kind: where each article's pairs start (an article's pairs are together).
    entity_starts: dict[str, np.ndarray]
    #: Articles not deleted, and whether that is all of them (builds leave no deletions).
    live: np.ndarray
    complete: bool
    #: Each article's year (0: undated); read-only.
    years: np.ndarray
    #: The distinct dates (yyyymmdd, 0: undated) and each article's place among them.
    days: np.ndarray
    day_of: np.ndarray

    @classmethod
    def build(cls, sidecar: impacts.Sidecar, names: dict[str, dict[str, str]]) -> _Accelerator:
        """Map the sidecar's raw entity names to canonical ones, as ``Index._entities`` does."""
        entities = {}
        for kind, (docs, raw_ids, raw_names) in sidecar.entities.items():
            canonical = [names.get(kind, {}).get(raw, raw) for raw in raw_names]
            sorted_names = sorted(set(canonical))
            number = {name: i for i, name in enumerate(sorted_names)}
            ids = np.array([number[name] for name in canonical], np.int64)
            # An article that names one entity two ways counts once.
            keys = np.unique(docs.astype(np.int64) * max(len(sorted_names), 1) + ids[raw_ids])
            width = max(len(sorted_names), 1)
            entities[kind] = (keys // width, keys % width, sorted_names)
        starts = {
            kind: np.searchsorted(docs, np.arange(sidecar.docs_all + 1))
            for kind, (docs, _, _) in entities.items()
        }
        live = ~sidecar.deleted
        years = (sidecar.dates // 10000).astype(np.int32)
        days, day_of = np.unique(sidecar.dates, return_inverse=True)
        for column in (live, years, days, day_of):
            column.flags.writeable = False
        complete = bool(live.all())
        return cls(sidecar, entities, starts, live, complete, years, days, day_of)

    def words(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docnums, scores)`` of the articles matching words joined by OR (in docnum order),
        or ``None`` for any other query. Few postings are merged by sorting; many are added up
        over all articles, as :meth:`bag` does."""
        postings = self._words_postings(query)
        if postings is None:
            return None
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

    def add_words(
        self, query: wq.Query, docnums: np.ndarray, scores: np.ndarray
    ) -> np.ndarray | None:
        """``scores`` of the articles ``docnums`` (sorted) plus those of words joined by OR,
        where they match; ``None`` for any other query."""
        subs = _or_of_words(query)
        if subs is None:
            return None
        total = scores.copy()
        if not len(docnums):
            return total
        if len(docnums) * 16 > len(self.live):  # many matches: add over all articles
            found = self.bag(query)
            if found is None:
                return None
            return total + found[1][docnums]  # (0 where the words do not match)
        for sub in subs:  # in query order
            found = self.postings(sub)
            if found is None:
                return None
            docs, tf = found
            if not len(docs):
                continue
            # Look the shorter list up in the longer one (both are sorted).
            if len(docnums) < len(docs):
                at = np.minimum(np.searchsorted(docs, docnums), len(docs) - 1)
                hit = docs[at] == docnums
                where, tf = np.flatnonzero(hit), tf[at[hit]]
            else:
                at = np.minimum(np.searchsorted(docnums, docs), len(docnums) - 1)
                hit = docnums[at] == docs
                where, tf = at[hit], tf[hit]
            # Scores are computed element by element: those of the matches alone are the same.
            total[where] += impacts.word_scores(tf, len(docs), self.sidecar.docs_all, sub.boost)
        return total

    def bag(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray] | None:
        """``(matches, scores)`` over all articles for a query of BM25F words joined by OR,
        AND, AND NOT and AND MAYBE (``+``), or ``None`` for any other query."""
        n = self.sidecar.docs_all
        kind = _PLAIN_KIND.get(type(query), type(query))
        if query is wq.NullQuery:  # only stop words: nothing matches
            return np.zeros(n, bool), np.zeros(n)
        if _or_of_words(query) is not None:  # the common query: one pass over the postings
            postings = self._words_postings(query)
            return None if postings is None else self._summed(postings)
        if kind in (wq.Or, wq.And) and query.boost == 1.0:
            if kind is wq.Or and (query.minmatch or query.scale):
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

    def postings(self, query: ranking.FieldsTerm) -> tuple[np.ndarray, np.ndarray] | None:
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
        return docs, impacts.word_scores(tf, len(docs), self.sidecar.docs_all, query.boost)

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
        if type(flt) in (wq.Term, wq.Or) and fields <= set(store.ENTITY_FIELDS):
            matched = np.zeros(sidecar.docs_all, bool)
            matched[list(searcher.docs_for_query(flt))] = True
            return matched & ~sidecar.deleted
        return None

    def facets(self, found: np.ndarray, most: int) -> dict[str, list[FacetValue]]:
        """Facet counts over the matching articles, as :meth:`Index._facets` gives them
        (none when ``most`` is 0)."""
        out: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
        if most < 1:
            return out
        matched = None
        for name in FACETS:
            if name == "year":
                counts = np.bincount(self.years[found], minlength=1)
                counts[0] = 0  # undated
                label: Callable[[int], str] = "{:04d}".format
            else:
                docs, ids, names = self.entities[name]
                if len(found) * 8 < len(self.live):  # few matches: read only their pairs
                    starts, ends = (
                        self.entity_starts[name][found],
                        self.entity_starts[name][found + 1],
                    )
                    sizes = ends - starts
                    offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
                    counts = np.bincount(
                        ids[offsets + np.arange(len(offsets))], minlength=len(names)
                    )
                else:
                    if matched is None:
                        matched = np.zeros(len(self.live), bool)
                        matched[found] = True
                    counts = np.bincount(ids[matched[docs]], minlength=len(names))
                label = names.__getitem__
            present = np.flatnonzero(counts)
            # Most articles first, then by value (ids and years are in value order).
            order = present[np.lexsort((present, -counts[present]))][:most]
            out[name] = [FacetValue(label(i), int(counts[i])) for i in order.tolist()]
        return out

    def counts(self, docnums: np.ndarray, most: int) -> dict[str, Any]:
        """``facets`` and ``dates`` of these articles, as :class:`Results` holds them (the
        dates are counted when first asked for)."""
        return {
            "facets": self.facets(docnums, most),
            "_dates": functools.partial(self.dates, docnums),
        }

    def dates(self, docnums: np.ndarray) -> Counter[str | None]:
        """How many of these articles were published on each date (``None``: undated)."""
        counts = np.bincount(self.day_of[docnums], minlength=len(self.days))
        present = np.flatnonzero(counts)
        values, counts = self.days[present], counts[present]
        return Counter(
            {
                (f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}" if v else None): int(c)
                for v, c in zip(values.tolist(), counts.tolist(), strict=True)
            }
        )


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


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _stored_entities(stored: dict[str, Any]) -> dict[str, list[str]]:
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
