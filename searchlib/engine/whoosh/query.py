"""Queries for Whoosh: the query language parsed into Whoosh queries, filters and entity clauses."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ..spelling import Speller
from whoosh import query as wq
from whoosh.qparser import (
    FuzzyTermPlugin,
    MultifieldParser,
    OperatorsPlugin,
    OrGroup,
    PlusMinusPlugin,
)

from ...errors import InvalidDateError, QuerySyntaxError
from ...fields import ENTITY_FIELDS, FIELD_WEIGHTS, RESTRICTION_FIELDS, SEARCH_FIELDS
from ...search.query import all_capitals, check_size, check_syntax, date_bound, expand_dates
from ...text import stem
from . import ranking


def _parser(schema: Any, *, operators: bool = True) -> MultifieldParser:
    parser = MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=FIELD_WEIGHTS,
        group=OrGroup,
    )
    # + and - mark required and excluded words only at the start of a word: "Kassym-Jomart" is a
    # name, not "Kassym but not Jomart".
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(FuzzyTermPlugin())
    if not operators:
        parser.remove_plugin_class(OperatorsPlugin)
    return parser


#: Limits that bound what one query costs: the edits a fuzzy term may allow, and how many
#: words the prefix, wildcard and fuzzy terms of one query may stand for together (each is
#: searched as a word). A query over a limit is a QuerySyntaxError that says which and what
#: to do; the limits on words are in :mod:`searchlib.search.query`.
MAX_FUZZY_EDITS = 2
MAX_EXPANSIONS = 256


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
    check_size(text)
    plain = _parse_plain_words(text, schema)
    if plain is not None:
        return plain
    check_syntax(text)
    try:
        parser = _parser(schema, operators=not all_capitals(text))
        # Unnormalized, so that ranking can count repeated words before Whoosh merges them.
        parsed = parser.parse(expand_dates(text), normalize=False)
        parsed = ranking.prepare(_everything_except(parsed))
    except InvalidDateError:
        raise
    except Exception as error:  # Whoosh's parser signals problems with assorted exceptions
        raise QuerySyntaxError(
            f"cannot parse query {text!r} ({type(error).__name__}: {error})",
            "check its operators and parentheses: a group cannot hold only excluded words",
        ) from error
    return ranking.in_query_order(_restrict(_exclude(parsed)))


def _everything_except(parsed: wq.Query) -> wq.Query:
    """A query of excluded words only (``-oil -gas``) means every article but those, as
    ``NOT oil NOT gas`` does (Whoosh's parser would match nothing)."""
    if (
        isinstance(parsed, wq.AndNot)
        and isinstance(parsed.a, (wq.Or, wq.And))
        and not parsed.a.subqueries
    ):
        excluded = parsed.b.subqueries if isinstance(parsed.b, wq.Or) else [parsed.b]
        return wq.Or([wq.Not(sub) for sub in excluded])
    return parsed


def bound_cost(parsed: wq.Query, reader: Any, speller: Speller | None = None) -> wq.Query:
    """``parsed`` with each prefix, wildcard and fuzzy term's words found once, in ``reader``'s
    whole index (Whoosh would look for them in every segment, twice: a fuzzy automaton over
    every segment's words took seconds), fuzzy words from the ``speller`` when there is one.

    Raises :class:`QuerySyntaxError` when a fuzzy term allows more than
    :data:`MAX_FUZZY_EDITS` edits, a wildcard starts with ``*`` or ``?`` (every word of the
    index would be tried), or these terms stand for more than :data:`MAX_EXPANSIONS` words
    together."""
    found: dict[str, set[bytes]] = {}

    def expanded(leaf: wq.Query) -> wq.Query:
        kind = _FROZEN.get(type(leaf))
        if kind is None:
            return leaf
        shown = _shown(leaf)
        if isinstance(leaf, wq.FuzzyTerm) and leaf.maxdist > MAX_FUZZY_EDITS:
            raise QuerySyntaxError(
                f"{shown} allows {leaf.maxdist} edits; fuzzy terms allow at most {MAX_FUZZY_EDITS}",
                f"write {leaf.text}~1 or {leaf.text}~2",
            )
        if isinstance(leaf, wq.Wildcard) and leaf.text[:1] in ("*", "?"):
            raise QuerySyntaxError(
                f"{shown} starts with a wildcard, which would try every word of the index",
                "begin with at least one letter, as in tele* or wom?n",
            )
        # (Each field's words are counted up to the limit: the fields share most words.)
        words = list(itertools.islice(_words(leaf, reader, speller), MAX_EXPANSIONS + 1))
        found.setdefault(shown, set()).update(words)
        if sum(len(words) for words in found.values()) > MAX_EXPANSIONS:
            one = len(found) == 1
            raise QuerySyntaxError(
                f"{shown + ' stands' if one else 'the prefix, wildcard and fuzzy terms stand'} "
                f"for more than {MAX_EXPANSIONS} words of the index",
                "type more letters before the * or ?, use ~1, or fewer such terms",
            )
        frozen = copy.copy(leaf)
        frozen.__class__ = kind
        frozen.words = tuple(sorted(words))  # (scores add up in this order, see _Frozen)
        return frozen

    if not any(type(leaf) in _FROZEN for leaf in parsed.leaves()):
        return parsed  # (most queries: nothing to rebuild)
    return parsed.accept(expanded)


def _words(leaf: Any, reader: Any, speller: Speller | None) -> Iterator[bytes]:
    """The words of ``reader``'s index that a prefix, wildcard or fuzzy term stands for."""
    if not isinstance(leaf, wq.FuzzyTerm) or speller is None:
        yield from leaf._btexts(reader)
        return
    # The spelling index finds the words within two edits in milliseconds; the index holds
    # their stems.
    close = [c.word for c in speller.candidates([leaf.text], leaf.maxdist)]
    start = leaf.text[: leaf.prefixlength]
    terms = [leaf.text, *(stem(word) for word in close if word.startswith(start))]
    for term in dict.fromkeys(terms):
        text = term.encode("utf-8")
        if (leaf.fieldname, text) in reader:
            yield text


class _Frozen:
    """A prefix, wildcard or fuzzy term whose words were found beforehand (see
    :func:`bound_cost`): each segment matches those it holds."""

    fieldname: str
    boost: float
    words: tuple[bytes, ...] = ()

    def _btexts(self, ixreader: Any) -> list[bytes]:
        return [word for word in self.words if (self.fieldname, word) in ixreader]

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """The articles holding any of the words, scored alike in every segment."""
        words = self._btexts(searcher.reader())
        return ranking.expansion_matcher(searcher, context, self.fieldname, words, self.boost)


class _FrozenPrefix(_Frozen, wq.Prefix):
    pass


class _FrozenWildcard(_Frozen, wq.Wildcard):
    pass


class _FrozenFuzzy(_Frozen, wq.FuzzyTerm):
    pass


_FROZEN: dict[type, type] = {
    wq.Prefix: _FrozenPrefix,
    wq.Wildcard: _FrozenWildcard,
    wq.FuzzyTerm: _FrozenFuzzy,
}


def _shown(leaf: wq.Query) -> str:
    """A prefix, wildcard or fuzzy term as the user typed it (without its field)."""
    if isinstance(leaf, wq.FuzzyTerm):
        return f"{leaf.text}~{leaf.maxdist}" if leaf.maxdist != 1 else f"{leaf.text}~"
    return f"{leaf.text}*" if isinstance(leaf, wq.Prefix) else str(leaf.text)


# A query of words and spaces only, and the words that make one more than that. (OR between
# words changes nothing: any word may match anyway.)
_PLAIN_WORDS = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")
_OPERATOR_WORDS = frozenset({"AND", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def _parse_plain_words(text: str, schema: Any) -> wq.Query | None:
    """What :func:`parse_query` gives for a query of plain words, built without Whoosh's parser
    (which took most of a fast search's time); ``None`` for any other query."""
    if not _PLAIN_WORDS.fullmatch(text) or all_capitals(text):
        return None
    words = text.split()
    if not _OPERATOR_WORDS.isdisjoint(words) or "OR" in (words[0], words[-1]):
        return None
    if any(one == other == "OR" for one, other in itertools.pairwise(words)):
        return None
    if "OR" in words:
        text = " ".join(word for word in words if word != "OR")
    # Each word is one token or none (a stop word): analysing the whole text at once gives the
    # words' terms in order.
    title, body = (list(schema[name].process_text(text, mode="query")) for name in SEARCH_FIELDS)
    if title != body:
        return None
    groups = [
        wq.Or([wq.Term(name, term, boost=FIELD_WEIGHTS[name]) for name in SEARCH_FIELDS])
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


def build_filter(
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    **entities: str | list[str] | list[list[str] | None] | None,
) -> wq.Query | None:
    """The filter for dates and entities, or ``None`` when nothing is filtered.

    An entity's value is a name, a list of names (any of them: the variants of one entity), or
    a list of such lists (all of them: several entities, each by any of its names)."""
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
        if isinstance(value, str) or not value:
            groups: list[Any] = [[value] if value else []]
        else:
            groups = value if all(isinstance(v, list) or v is None for v in value) else [value]
        for group in groups:
            clause = entity_clause(name, list(group or ()))
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


def with_entity_names(
    parsed: wq.Query, variants: Callable[[str, str], list[str] | None]
) -> wq.Query:
    """``person:…``, ``org:…`` and ``place:…`` clauses match every name the entity goes by
    (``variants(kind, name)``), as the ``person=…`` filters do."""

    def every_name(clause: wq.Query) -> wq.Query:
        if type(clause) is not wq.Term or clause.fieldname not in ENTITY_FIELDS:
            return clause
        names = variants(clause.fieldname, clause.text) or [clause.text]
        found = entity_clause(clause.fieldname, names)
        return clause if found is None else found

    return parsed.accept(every_name)


def query_terms(parsed: wq.Query) -> set[str]:
    """The terms of a query in the fields searched for words (what snippets highlight)."""
    return {text_of(text) for name, text in parsed.iter_all_terms() if name in SEARCH_FIELDS}


def text_of(term: str | bytes) -> str:
    """A term as text (Whoosh gives some as UTF-8 bytes)."""
    return term.decode("utf-8") if isinstance(term, bytes) else term
