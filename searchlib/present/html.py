"""HTML renderings of results and hits, for notebooks (``_repr_html_``).

Everything taken from articles or queries is HTML-escaped: an article that contains
``<script>`` shows it as text. The only markup is our own: the layout, ``<mark>`` around the
query's words in snippets, and entity chips. The command line renders the same objects for the
terminal itself (see :mod:`searchlib.present.terminal`).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from ..search.snippets import render_snippet
from . import quoted

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..model import FacetValue, Hit, Results

ENTITY_COLOURS = {"person": "#dbeafe", "org": "#dcfce7", "place": "#fef3c7"}
FACETS_SHOWN = 8

# Styles are scoped to .searchlib so they cannot restyle the rest of the notebook.
STYLE = """<style>
.searchlib { font-family: system-ui, sans-serif; line-height: 1.4; max-width: 60em; }
.searchlib .sl-head { font-weight: 600; margin-bottom: .4em; }
.searchlib ol { padding-left: 2.2em; margin: 0; }
.searchlib li { margin-bottom: .8em; }
.searchlib .sl-title { font-weight: 600; }
.searchlib .sl-meta { color: #666; font-size: .85em; }
.searchlib .sl-snippet mark { background: #fde68a; padding: 0 .1em; }
.searchlib .sl-chip { display: inline-block; border-radius: .8em; padding: 0 .55em;
  margin: .15em .25em 0 0; font-size: .8em; color: #222; }
.searchlib .sl-facets { margin-top: .6em; font-size: .9em; }
.searchlib .sl-facets b { display: inline-block; min-width: 4em; }
</style>"""


def results_html(results: Results) -> str:
    """A page of results: a heading with the total, the ranked hits and a facet summary."""
    pages = max(1, -(-results.total // results.limit))
    noun = "article" if results.total == 1 else "articles"
    query = f" for {escape(quoted(results.query, '“', '”'))}" if results.query.strip() else ""
    head = f"{results.total} {noun}{query} · page {results.page} of {pages}"
    start = results.hits[0].rank if results.hits else 1
    items = "".join(f"<li>{_hit_body(hit)}</li>" for hit in results.hits)
    listing = f'<ol start="{start}">{items}</ol>' if items else ""
    return (
        f'{STYLE}<div class="searchlib"><div class="sl-head">{head}</div>'
        f"{listing}{_facets(results.facets)}</div>"
    )


def hit_html(hit: Hit) -> str:
    """One hit on its own, with its rank."""
    return (
        f'{STYLE}<div class="searchlib"><ol start="{hit.rank}"><li>{_hit_body(hit)}</li></ol></div>'
    )


def _hit_body(hit: Hit) -> str:
    meta = (
        f"{escape(hit.date or 'undated')} · score {hit.score:.2f} · <code>{escape(hit.id)}</code>"
    )
    if hit.similar:  # its near-duplicates (see Index.duplicates)
        meta += f" · +{len(hit.similar)} similar: " + ", ".join(
            f"<code>{escape(other)}</code>" for other in hit.similar
        )
    chips = "".join(_chip(kind, name) for kind, names in hit.entities.items() for name in names)
    # A Hit made by hand may have only the Markdown snippet: show it as plain text.
    snippet = snippet_html(hit.fragments) if hit.fragments else escape(hit.snippet)
    return (
        f'<div class="sl-title">{escape(hit.title)}</div>'
        f'<div class="sl-meta">{meta}</div>'
        f'<div class="sl-snippet">{snippet}</div>'
        + (f'<div class="sl-entities">{chips}</div>' if chips else "")
    )


def snippet_html(fragments: Iterable[tuple[str, bool]]) -> str:
    """Snippet pieces as escaped text with the query's words in ``<mark>``."""
    return render_snippet(fragments, "<mark>", "</mark>", escape)


def _chip(kind: str, text: str, count: int | None = None) -> str:
    colour = ENTITY_COLOURS.get(kind, "#eee")
    number = f" ({count})" if count is not None else ""
    return (
        f'<span class="sl-chip" style="background:{colour}" title="{escape(kind)}">'
        f"{escape(text)}{number}</span>"
    )


def _facets(facets: dict[str, list[FacetValue]]) -> str:
    rows = []
    for name, values in facets.items():
        if values:
            chips = "".join(_chip(name, v.value, v.count) for v in values[:FACETS_SHOWN])
            more = len(values) - FACETS_SHOWN
            rest = f" +{more} more" if more > 0 else ""
            rows.append(f"<div><b>{escape(name)}</b> {chips}{rest}</div>")
    return f'<div class="sl-facets">{"".join(rows)}</div>' if rows else ""
