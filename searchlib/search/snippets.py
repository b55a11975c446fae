"""Snippets: the passage of an article that best shows the query's words, and its renderings."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..fields import SNIPPET_CHARS
from ..text import stem, stopwords, word_spans

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def make_snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """Choose the passage of ``text`` with the most distinct query terms, split into
    ``(text, is_match)`` pieces; matches are the article's own words, not stems."""
    stops = stopwords()
    # A stem keeps its word's first letter (Snowball only rewrites endings): most words are
    # ruled out without stemming, which is most of a snippet's time in a fresh process.
    initials = {term[:1] for term in terms}
    matches = [
        (start, end, stemmed)
        for word, start, end in word_spans(text)
        if word[:1] in initials and word not in stops and (stemmed := stem(word)) in terms
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


def render_snippet(
    pieces: Iterable[tuple[str, bool]],
    before: str = "**",
    after: str = "**",
    escape: Callable[[str], str] = str,
) -> str:
    """Snippet pieces as one string, each match between ``before`` and ``after`` and all text
    passed through ``escape``: the one renderer behind the Markdown, HTML and terminal forms."""
    return "".join(
        f"{before}{escape(text)}{after}" if hit else escape(text) for text, hit in pieces
    ).strip()


def markdown_snippet(pieces: Iterable[tuple[str, bool]]) -> str:
    """Render snippet pieces as plain text with matches in ``**bold**``."""
    return render_snippet(pieces)


#: The named ways of marking a snippet's matches: what goes before and after each, and whether
#: the text is HTML-escaped.
HIGHLIGHTS: dict[str, tuple[str, str, bool]] = {
    "markdown": ("**", "**", False),
    "html": ("<mark>", "</mark>", True),
    "ansi": ("\x1b[1;33m", "\x1b[0m", False),  # bold yellow, as the terminal shows them
    "none": ("", "", False),
}


# What html.escape does (quotes too), without importing html's table of every entity.
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
)


def _escape_html(text: str) -> str:
    return text.translate(_HTML_ESCAPES)


def highlighter(
    highlight: str | tuple[str, str] = "markdown",
) -> Callable[[Iterable[tuple[str, bool]]], str]:
    """A renderer of snippet pieces for a named highlight (see :data:`HIGHLIGHTS`) or for a
    ``(before, after)`` pair of markers of the caller's own."""
    if isinstance(highlight, tuple):
        before, after = highlight
        escape: Callable[[str], str] = str
    elif highlight in HIGHLIGHTS:
        before, after, escaped = HIGHLIGHTS[highlight]
        escape = _escape_html if escaped else str
    else:
        raise ValueError(
            f"highlight must be one of {', '.join(HIGHLIGHTS)} or a (before, after) pair, "
            f"not {highlight!r}"
        )
    return lambda pieces: render_snippet(pieces, before, after, escape)
