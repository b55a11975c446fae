"""Terminal: results, timelines, checks, entities and articles rendered for a person."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..fields import ENTITY_FIELDS
from ..search.query import capitals_note
from ..search.snippets import HIGHLIGHTS, render_snippet
from . import quoted

if TYPE_CHECKING:
    from ..model import Article, Contribution, Entity, Hit, Results, Story
    from ..present.timeline import Timeline
    from ..store.build import BuildReport
    from ..store.check import CheckReport
    from ..store.definitions import Listed

# Snippet matches are marked with these while the text is wrapped, then coloured: the colour
# codes would count as characters if they were put in first. (Control characters: none is left
# in the text they mark, see safe.)
_MARK_ON, _MARK_OFF = "\x01", "\x02"
BAR_WIDTH = 40

# What a terminal would obey rather than show: escape sequences (CSI such as ESC[2J or ESC[6n,
# OSC such as window titles and OSC 8 links, DCS/SOS/PM/APC strings, two-character escapes),
# their 8-bit C1 forms, and every other C0/C1 control character and DEL.
_STRING_END = r"(?:\x07|\x1b\\|\x9c|$)"
_CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    rf"|\x1b[\]PX^_][^\x07\x1b\x9c]*{_STRING_END}"  # OSC, DCS, SOS, PM, APC ... ST or BEL
    rf"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*{_STRING_END}"  # their 8-bit forms
    r"|\x1b[ -/]*[0-~]?"  # other escapes (ESC c resets the terminal)
    r"|[\x00-\x1f\x7f-\x9f]"
)
_LAYOUT = re.compile(r"\r\n?|[\n\t]")


def safe(text: object, *, layout: bool = False) -> str:
    """``text`` as a terminal may show it: every escape sequence and control character from
    article data (or anything else not ours) removed, so it can neither move the cursor, set
    the title, make links, ring the bell nor make the terminal type an answer.

    Line breaks and tabs become spaces, or with ``layout`` (an article's text) stay as they are.
    Every value printed here goes through this function before our own colours are added.
    """
    value = str(text)
    if value.isprintable():
        return value  # most titles and ids: nothing to do
    if not layout:
        return _CONTROLS.sub(lambda m: " " if m[0] in "\t\n\r" else "", value)
    pieces = _LAYOUT.split(value)
    breaks = [("\n" if m[0].startswith("\r") else m[0]) for m in _LAYOUT.finditer(value)]
    cleaned = [_CONTROLS.sub("", piece) for piece in pieces]
    return "".join(p + b for p, b in zip(cleaned, [*breaks, ""], strict=True))


def width() -> int:
    """The width to wrap text to: the terminal's, at most 110 columns."""
    return min(shutil.get_terminal_size((100, 24)).columns, 110)


def print_results(results: Results, highlight: str = "auto", facets: int = 4) -> None:
    """A page of results: the count, each hit, and a summary of the first ``facets`` values
    of each facet; ``highlight`` marks the query's words (see :func:`print_hits`)."""
    what = f" for {quoted(safe(results.query))}" if results.query.strip() else ""
    noun = "article" if results.total == 1 else "articles"
    note = capitals_note(results.query)
    if note:
        click.echo(note)
    if results.corrected:
        click.echo(
            f"No articles for {quoted(safe(results.query))}; "
            f"showing results for {quoted(safe(results.suggestion or ''))}."
        )
    elif results.suggestion:
        click.echo(f"Did you mean {quoted(safe(results.suggestion))}?")
    for warning in results.warnings:
        click.echo(click.style(f"Warning: {safe(warning)}", fg="yellow"), err=True)
    click.echo(f"{results.total} {noun}{what} · page {results.page} of {results.pages}")
    if results.past_last_page:
        fill = "1 page" if results.pages == 1 else f"{results.pages} pages"
        click.echo(f"Page {results.page} is past the end: the matches fill {fill}.")
    print_hits(results.hits, highlight)
    summary = facet_summary(results, facets)
    if summary:
        click.echo()
        click.echo(summary)


def print_hits(hits: list[Hit], highlight: str = "auto") -> None:
    """Each hit: rank and title, date, score and id, the snippet with its matches marked:
    coloured (``"auto"``, ``"ansi"``) or between the markers of ``"markdown"``, ``"html"`` or
    ``"none"`` (see :data:`searchlib.search.snippets.HIGHLIGHTS`)."""
    columns = width()
    for hit in hits:
        click.echo()
        title = textwrap.wrap(safe(hit.title), width=columns - 5) or [""]
        click.echo(f"{hit.rank:>3}. " + click.style(title[0], bold=True))
        for line in title[1:]:
            click.echo("     " + click.style(line, bold=True))
        meta = f"{safe(hit.date or 'undated')} · score {hit.score:.2f} · {safe(hit.id)}"
        click.echo("     " + click.style(meta, dim=True))
        marked = render_snippet(hit.fragments, _MARK_ON, _MARK_OFF, escape=safe)
        wrapped = textwrap.fill(
            marked, width=columns, initial_indent="     ", subsequent_indent="     "
        )
        on, off = _markers(highlight)
        click.echo(wrapped.replace(_MARK_ON, on).replace(_MARK_OFF, off))
        if hit.similar:
            click.echo("     " + click.style(_similar(hit.similar, columns - 5), dim=True))
        if hit.explanation is not None:
            click.echo(
                textwrap.fill(
                    " · ".join(_explained(c) for c in hit.explanation) or "(no scored terms)",
                    width=columns,
                    initial_indent="     explain: ",
                    subsequent_indent="       ",
                )
            )


def _similar(ids: tuple[str, ...], most: int) -> str:
    """``+N similar: id, id, …`` cut to ``most`` characters."""
    line = f"+{len(ids)} similar: {', '.join(map(safe, ids))}"
    return line if len(line) <= most else line[: most - 1] + "…"


def _markers(highlight: str) -> tuple[str, str]:
    if highlight in ("auto", "ansi"):  # click drops the colour where the output is no terminal
        return click.style("", fg="yellow", bold=True, reset=False), click.style("", reset=True)
    before, after, _ = HIGHLIGHTS[highlight]
    return before, after


def _explained(contribution: Contribution) -> str:
    times = f" ×{contribution.frequency}" if contribution.frequency is not None else ""
    return f"{contribution.field}:{safe(contribution.clause)}{times} +{contribution.score:.2f}"


def facet_summary(results: Results, most: int = 4) -> str:
    """The first ``most`` values of each facet, one line per facet."""
    lines = []
    for name, values in results.facets.items():
        if values:
            shown = " · ".join(f"{safe(v.value)} ({v.count})" for v in values[:most])
            more = f" · +{len(values) - most} more" if len(values) > most else ""
            lines.append(f"  {click.style(name, bold=True)}: {shown}{more}")
    return "Facets\n" + "\n".join(lines) if lines else ""


def print_timeline(timeline: Timeline) -> None:
    """A text histogram: one bar per period, undated articles counted apart."""
    what = f" for {quoted(safe(timeline.query))}" if timeline.query.strip() else ""
    noun = "article" if timeline.dated == 1 else "articles"
    undated = f" ({timeline.undated} undated)" if timeline.undated else ""
    click.echo(f"{timeline.dated} dated {noun}{what} by {timeline.freq}{undated}")
    most = max(timeline.counts.values(), default=0)
    for period, count in timeline.counts.items():
        # Any non-zero count gets at least one block, so small periods stay visible.
        bar = "█" * max(1, round(count / most * BAR_WIDTH)) if count else ""
        click.echo(
            f"  {period:>7} " + (click.style(bar, fg="cyan") + " " if bar else "") + str(count)
        )


#: A build that wrote fewer articles than this shows no rate: it would measure only the
#: start-up (loading the entity model, opening the index), not indexing.
RATE_FROM = 100


def print_build(report: BuildReport) -> None:
    """One line: what the build did, and how fast when it wrote enough articles to tell."""
    counts = (
        f"{report.added:,} added, {report.updated:,} updated, {report.deleted:,} deleted, "
        f"{report.unchanged:,} unchanged; {report.skipped:,} skipped"
    )
    if not (report.full or report.added or report.updated or report.deleted):
        click.echo(
            f"Up to date: {_plural(report.articles, 'article')} in {safe(report.path)}, nothing to "
            f"index (checked in {report.seconds:.2f} s): {counts}"
        )
        return
    kind = "full build" if report.full else "incremental"
    written = report.added + report.updated
    rate = f"{written / report.seconds:,.0f} articles/s, " if written >= RATE_FROM else ""
    click.echo(
        f"Indexed {_plural(report.articles, 'article')} into {safe(report.path)} in "
        f"{report.seconds:.2f} s ({rate}{kind}): {counts}"
    )


def _plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def print_check(report: CheckReport, most: int = 20) -> None:
    """Whether an index is up to date, and if not what changed and how to update it."""
    changes = report.changes
    if report.damaged:
        click.echo(f"Damaged: {_count(report.damaged, 'problem')}.")
        for line in report.damaged[:most]:
            click.echo(f"  {line}")
        if len(report.damaged) > most:
            click.echo(f"  … and {len(report.damaged) - most} more (see --json)")
        click.echo(f"Repair it with: {report.update_command}")
        return
    if not report.stale:
        click.echo(f"Up to date: {report.articles:,} articles.")
        return
    click.echo(
        f"Stale: {_count(report.files_added, 'file')} added, "
        f"{len(report.files_changed)} changed, {len(report.files_removed)} removed; "
        f"{_count(changes.added, 'article')} to add, {len(changes.updated)} to update, "
        f"{len(changes.deleted)} to delete."
    )
    listed = [
        *(("added file", p) for p in report.files_added),
        *(("changed file", p) for p in report.files_changed),
        *(("removed file", p) for p in report.files_removed),
        *(("new article", i) for i in changes.added),
        *(("changed article", i) for i in changes.updated),
        *(("removed article", i) for i in changes.deleted),
    ]
    for label, value in listed[:most]:
        click.echo(f"  {label}: {safe(value)}")
    if len(listed) > most:
        click.echo(f"  … and {len(listed) - most} more (see --json)")
    click.echo(f"Update it with: {safe(report.update_command)}")


def print_index_list(found: list[Listed], home: Path) -> None:
    """The indexes a name finds from here: name, whether built, folder and definition."""
    click.echo(f"Indexes found from {Path.cwd()} (home: {home}, set by $SEARCHLIB_HOME):")
    if not found:
        click.echo("  none; build one with: searchlib index build --index PATH FILES...")
    names = max((len(listed.name) for listed in found), default=0)
    for listed in found:
        state = f"{listed.articles:,} articles" if listed.articles is not None else "built"
        state = state if listed.built else "not built"
        defined = f" (defined in {listed.definition})" if listed.definition else ""
        click.echo(f"  {listed.name:<{names}}  {state:>16}  {listed.path}{defined}")


def print_entities(found: list[Entity]) -> None:
    """Entities grouped by kind, each with its article count and aliases."""
    current = None
    for entity in found:
        if entity.kind != current:
            current = entity.kind
            click.echo(click.style(current, bold=True))
        aliases = f"  (also: {', '.join(map(safe, entity.aliases))})" if entity.aliases else ""
        click.echo(f"  {entity.count:>5}  {safe(entity.name)}{click.style(aliases, dim=True)}")


def print_article(article: Article) -> None:
    """One article: title, date and id, where it came from, its entities and its text."""
    click.echo(click.style(safe(article.title), bold=True))
    click.echo(click.style(f"{safe(article.date or 'undated')} · {safe(article.id)}", dim=True))
    for label, value in (("dateline", article.dateline), ("source", article.source)):
        if value:
            click.echo(click.style(f"{label}: {safe(value)}", dim=True))
    for name in ENTITY_FIELDS:
        values = getattr(article, name)
        if values:
            click.echo(click.style(f"{name}: {', '.join(map(safe, values))}", dim=True))
    if article.similar:
        click.echo(click.style(f"similar: {', '.join(map(safe, article.similar))}", dim=True))
    click.echo()
    click.echo(safe(article.body, layout=True))


def print_stories(stories: list[Story], held: int, articles: int) -> None:
    """The largest groups of near-duplicates (``stories``) of the ``held`` an index has,
    ``articles`` articles in all: each group's size, then one line per article (id, date,
    title)."""
    noun = "story" if held == 1 else "stories"
    more = f"; the {len(stories):,} largest below" if len(stories) < held else ""
    click.echo(f"{held:,} {noun} held more than once ({articles:,} articles{more})")
    for story in stories:
        click.echo()
        click.echo(click.style(f"{len(story.ids)} articles", bold=True))
        for article_id, title, date in zip(story.ids, story.titles, story.dates, strict=True):
            click.echo(f"  {safe(article_id)}  {safe(date or 'undated'):<10}  {safe(title)}")


def progress_wanted() -> bool:
    """Whether a build may draw a progress bar: stderr is a terminal and this is not CI."""
    in_ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    return sys.stderr.isatty() and not in_ci


def _stderr_columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 0


class ProgressBar:
    """A build's progress on stderr with tqdm: articles written of all, rate and time left.

    Drawn at once and redrawn at least every second (so the clock runs while sources are read,
    before the first article is written); ``build(progress=…)`` calls it with counts."""

    REDRAW = 0.5  # seconds

    def __init__(self) -> None:
        from tqdm import tqdm  # here: only builds on a terminal draw a bar

        sized = _stderr_columns() > 0
        self.bar: Any = tqdm(
            total=None,
            desc="Indexing",
            unit=" articles",
            file=sys.stderr,
            mininterval=self.REDRAW,
            # A terminal that states no size (a bare pseudo-terminal) gets 80 columns and 24
            # rows; tqdm would draw nothing in 0 columns.
            dynamic_ncols=sized,
            ncols=None if sized else 80,
            nrows=None if sized else 24,
            leave=False,
        )
        self._stop = threading.Event()
        self._redraw = threading.Thread(target=self._keep_drawing, daemon=True)
        self._redraw.start()

    def _keep_drawing(self) -> None:
        while not self._stop.wait(self.REDRAW):
            self.bar.refresh()

    #: Once the total is known: tqdm's own layout, with the rate always in articles a second.
    LAYOUT = (
        "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
        "[{elapsed}<{remaining}, {rate_noinv_fmt}]"
    )

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
            self.bar.bar_format = self.LAYOUT
        self.bar.update(done - self.bar.n)

    def clear(self) -> None:
        """Erase the bar, so the report that follows starts on a clean line."""
        self._stop.set()
        self._redraw.join()
        self.bar.close()
