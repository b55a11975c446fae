"""Terminal: results, timelines, checks, entities and articles rendered for a person."""

from __future__ import annotations

import re
import shutil
import textwrap
import time
from typing import TYPE_CHECKING

import click

from ..fields import ENTITY_FIELDS
from ..search.snippets import render_snippet

if TYPE_CHECKING:
    from ..model import Article, Contribution, Entity, Hit, Results
    from ..present.timeline import Timeline
    from ..store.build import BuildReport
    from ..store.check import CheckReport

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


def print_results(results: Results) -> None:
    """A page of results: the count, each hit, and a summary of the facets."""
    query = safe(results.query)
    what = f' for "{query}"' if query.strip() else ""
    noun = "article" if results.total == 1 else "articles"
    if results.corrected:
        click.echo(f'No articles for "{query}"; showing results for "{safe(results.suggestion)}".')
    elif results.suggestion:
        click.echo(f'Did you mean "{safe(results.suggestion)}"?')
    for warning in results.warnings:
        click.echo(click.style(f"Warning: {safe(warning)}", fg="yellow"), err=True)
    click.echo(f"{results.total} {noun}{what} · page {results.page} of {results.pages}")
    print_hits(results.hits)
    summary = facet_summary(results)
    if summary:
        click.echo()
        click.echo(summary)


def print_hits(hits: list[Hit]) -> None:
    """Each hit: rank and title, date, score and id, the snippet with its matches coloured."""
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
        on, off = click.style("", fg="yellow", bold=True, reset=False), click.style("", reset=True)
        click.echo(wrapped.replace(_MARK_ON, on).replace(_MARK_OFF, off))
        if hit.explanation is not None:
            click.echo(
                textwrap.fill(
                    " · ".join(_explained(c) for c in hit.explanation) or "(no scored terms)",
                    width=columns,
                    initial_indent="     explain: ",
                    subsequent_indent="       ",
                )
            )


def _explained(contribution: Contribution) -> str:
    times = f" ×{contribution.frequency}" if contribution.frequency is not None else ""
    return f"{contribution.field}:{safe(contribution.clause)}{times} +{contribution.score:.2f}"


def facet_summary(results: Results, most: int = 4) -> str:
    """The first values of each facet, one line per facet."""
    lines = []
    for name, values in results.facets.items():
        if values:
            shown = " · ".join(f"{safe(v.value)} ({v.count})" for v in values[:most])
            more = f" · +{len(values) - most} more" if len(values) > most else ""
            lines.append(f"  {click.style(name, bold=True)}: {shown}{more}")
    return "Facets\n" + "\n".join(lines) if lines else ""


def print_timeline(timeline: Timeline) -> None:
    """A text histogram: one bar per period, undated articles counted apart."""
    what = f' for "{safe(timeline.query)}"' if timeline.query.strip() else ""
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


def print_build(report: BuildReport) -> None:
    """One line: what the build did, how fast."""
    kind = "full build" if report.full else "incremental"
    click.echo(
        f"Indexed {report.articles:,} articles into {safe(report.path)} in {report.seconds:.2f} s "
        f"({report.articles_per_second:,.0f} articles/s, {kind}): {report.added:,} added, "
        f"{report.updated:,} updated, {report.deleted:,} deleted, "
        f"{report.unchanged:,} unchanged; {report.skipped:,} skipped"
    )


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
    click.echo()
    click.echo(safe(article.body, layout=True))


class ProgressBar:
    """A progress bar on stderr, drawn only once a build has lasted a second."""

    WIDTH = 30

    def __init__(self, delay: float = 1.0) -> None:
        self.started = time.monotonic()
        self.delay = delay
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed < self.delay:
            return
        filled = self.WIDTH * done // max(total, 1)
        rate = done / elapsed if elapsed > 0 else 0.0
        line = (
            f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done:,}/{total:,} articles "
            f"· {rate:,.0f}/s"
        )
        click.echo(f"\r{line}", err=True, nl=False)
        self.drawn = True

    def clear(self) -> None:
        """Erase the bar, so the report that follows starts on a clean line."""
        if self.drawn:
            click.echo("\r\x1b[2K", err=True, nl=False)
