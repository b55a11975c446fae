"""Query text: the checks and rewrites of the query language that need no engine."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import InvalidDateError, QuerySyntaxError


def all_capitals(text: str) -> bool:
    """True for a query typed in capitals, where AND, OR and NOT are words, not operators."""
    return not any(char.islower() for char in text) and any(char.isupper() for char in text)


def capitals_note(text: str) -> str | None:
    """How a query typed in capitals that holds AND, OR or NOT was read (as words), and the
    same query with its other words in lower case, where they are operators; ``None`` for any
    other query."""
    operator = re.compile(r"\b(AND|OR|NOT)\b")
    found = list(dict.fromkeys(operator.findall(re.sub(r'"[^"]*"', " ", text))))
    if not all_capitals(text) or not found:
        return None
    named = " and ".join([", ".join(found[:-1]), found[-1]] if len(found) > 1 else found)
    lowered = " ".join(w if operator.fullmatch(w) else w.lower() for w in text.split())
    many = len(found) > 1
    return (
        f"Read {text.strip()} as words: in a query typed all in capitals {named} "
        f"{'are words' if many else 'is a word'}; "
        f"to use {'them as operators' if many else 'it as an operator'}, "
        f"type the rest in lower case: {lowered}"
    )


# date:2023..2025, date:2023-01.., date:[2023-01-01 TO 2025-06-30], date:2024-02
_DATE_SYNTAX = re.compile(
    r"\bdate:(?:\[\s*(?P<lo>[^\]\s]*)\s+TO\s*(?P<hi>[^\]\s]*)\s*\]"
    r"|(?P<lo2>[\d-]*)\.\.(?P<hi2>[\d-]*)"
    r"|(?P<one>\d{4}(?:-\d{2}){0,2})(?![\w-]))",
    re.IGNORECASE,
)


def expand_dates(text: str) -> str:
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
    expanded = [p if p.startswith('"') else _DATE_SYNTAX.sub(whole_days, p) for p in parts]
    for part in expanded:
        if not part.startswith('"'):
            _check_values(part)
    return "".join(expanded)


# What is left of date: and year: clauses once dates are expanded, and the forms they take.
_CLAUSE = re.compile(r"\b(?P<field>date|year):(?P<value>\[[^\]]*\]?[^\s)]*|[^\s)]*)", re.IGNORECASE)
_VALID = {
    "date": re.compile(r"\[\d{4}-\d{2}-\d{2} TO \d{4}-\d{2}-\d{2}\]"),
    "year": re.compile(r"\d{4}|\[\s*(?:\d{4})?\s+TO\s*(?:\d{4})?\s*\]", re.IGNORECASE),
}


def _check_values(text: str) -> None:
    """Raise :class:`InvalidDateError` for a ``date:`` or ``year:`` clause whose value is not
    a date or a year (Whoosh would look for the word and find nothing, silently)."""
    for match in _CLAUSE.finditer(text):
        field, value = match["field"].lower(), match["value"]
        if not _VALID[field].fullmatch(value):
            form = "YYYY, YYYY-MM, YYYY-MM-DD or a range such as date:2023..2025"
            raise InvalidDateError(
                f"{field}:{value} is not a {'date' if field == 'date' else 'year'}",
                f"write {'date:' + form if field == 'date' else 'year:YYYY, as in year:1987'}",
            )


#: The fields a query may name (``field:value``); the documented ones come first.
QUERY_FIELDS = (
    "title", "person", "org", "place", "year", "date", "body", "author", "id", "source",
    "dateline",
)  # fmt: skip
# A field name before a colon, at the start of a word, followed by a value (not "http://").
_FIELD = re.compile(r"(?:(?<=^)|(?<=[\s(+-]))(?P<name>[^\W\d]\w*):(?=[^\s:/])")


def field_warnings(text: str) -> tuple[str, ...]:
    """A warning for each ``name:value`` in ``text`` (outside quotes) whose name is not one of
    :data:`QUERY_FIELDS`: the query parser searches such a clause as the words it holds."""
    names = dict.fromkeys(
        match["name"]
        for part in re.split(r'"[^"]*"', text)
        for match in _FIELD.finditer(part)
        if match["name"] not in QUERY_FIELDS
    )
    return tuple(
        f"{name!r} is not a field, so {name}:… was searched as words "
        f"(fields: {', '.join(QUERY_FIELDS[:6])})"
        for name in names
    )


#: The longest word a query may hold (no index holds longer ones; looking one up would cost
#: memory in proportion), and the most words.
MAX_WORD_CHARS = 100
MAX_WORDS = 1000


def check_size(text: str) -> None:
    """Raise :class:`QuerySyntaxError` for a query with a word over :data:`MAX_WORD_CHARS`
    characters or over :data:`MAX_WORDS` words (before any of its words is looked up)."""
    words = [word for word in _WORDS.findall(text) if word not in _OPERATORS]
    longest = max(words, key=len, default="")
    if len(longest) > MAX_WORD_CHARS:
        raise QuerySyntaxError(
            f"the query holds a word of {len(longest):,} characters "
            f"({longest[:20]}…); words are at most {MAX_WORD_CHARS}",
            "search for a shorter part of it, or a phrase of its words",
        )
    if len(words) > MAX_WORDS:
        raise QuerySyntaxError(
            f"the query holds {len(words):,} words; a query holds at most {MAX_WORDS:,}",
            "keep the words that matter most",
        )


# What counts as a word for those limits: any run of letters and digits but the operators.
_WORDS = re.compile(r"[^\W_]+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


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
