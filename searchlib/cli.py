"""Command line: a thin Click layer over the public ``searchlib`` API.

``searchlib`` is the command group; ``search`` is also installed on its own, so
``search "Astana Declaration"`` works at the root of a clone. Errors from the library are shown
as one line on stderr with what to do next; the exit code is 2 for usage mistakes, 1 for failures.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

import searchlib
from searchlib.fields import ENTITY_FIELDS
from searchlib.options import (
    BUILD_HELP,
    CHECK_HELP,
    LIST_HELP,
    SEARCH_HELP,
    TIMELINE_HELP,
    filter_options,
    index_option,
    json_option,
    search_options,
)

if TYPE_CHECKING:
    from searchlib.present import terminal as terminal_module

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SKIPPED = 1
EXIT_STALE = 1
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C (128 + SIGINT)
#: The exit code of each library error: 2 for a mistake in how the command was called, 1 for a
#: failure of the work itself (the first matching type counts).
EXIT_CODES: tuple[tuple[type[searchlib.SearchlibError], int], ...] = (
    (searchlib.IndexNotFoundError, EXIT_USAGE),
    (searchlib.ArticleNotFoundError, EXIT_USAGE),
    (searchlib.QuerySyntaxError, EXIT_USAGE),
    (searchlib.InvalidDateError, EXIT_USAGE),
    (searchlib.SourceError, EXIT_USAGE),
    (searchlib.SearchlibError, EXIT_FAILURE),
)


def terminal() -> ModuleType:
    """The terminal renderings (:mod:`searchlib.present.terminal`), imported when first used
    so that ``--help`` and commands that print JSON start without them."""
    from searchlib.present import terminal as module

    return module


def exit_code(error: searchlib.SearchlibError) -> int:
    """The exit code for a library error (see :data:`EXIT_CODES`)."""
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


class FriendlyCommand(click.Command):
    """A command that reports :class:`searchlib.SearchlibError` as one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a library error exits with its code after one line on stderr."""
        if os.environ.get("NO_COLOR"):  # https://no-color.org
            ctx.color = False
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # where a reader that went away shows, when output is piped
            return result
        except BrokenPipeError:
            # `search … | head -1`: stop quietly with 0, as cat does. Python would report the
            # broken pipe again when it flushes stdout at exit, so stdout goes nowhere now.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except searchlib.SearchlibError as error:
            click.secho(f"Error: {terminal().safe(error)}", err=True, fg="red")
            ctx.exit(exit_code(error))
        except KeyboardInterrupt:  # one line, not a traceback (a build cleans up on its way out)
            build = ctx.info_name == "build"
            kept = ": the index is as the last finished build left it" if build else ""
            click.echo(f"Interrupted{kept}.", err=True)
            ctx.exit(EXIT_INTERRUPTED)


class FriendlyGroup(click.Group):
    """A command group whose commands are :class:`FriendlyCommand`."""

    command_class = FriendlyCommand


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"searchlib: {terminal().safe(record.getMessage())}", err=True)


def _show_library_log() -> None:
    # The library logs what it does on its own (such as building a missing index); the CLI
    # shows those messages on stderr, where they do not disturb --json output.
    logger = logging.getLogger("searchlib")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
        logger.setLevel(logging.INFO)


def _emit_json(data: Any) -> None:
    # JSON escapes C0 controls itself; DEL and the C1 controls (8-bit escapes to a terminal)
    # are escaped too: the same JSON value, nothing a terminal would obey.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    click.echo(_C1_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", text))


_C1_CONTROLS = re.compile("[\x7f-\x9f\u2028\u2029]")


# ---------------------------------------------------------------------------------------------
# search


@click.command(
    "search",
    cls=FriendlyCommand,
    help=SEARCH_HELP,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(searchlib.__version__, prog_name="search")
@click.argument("query", nargs=-1)
@index_option
@search_options
@click.pass_context
def search_command(
    ctx: click.Context,
    query: tuple[str, ...],
    index: str,
    as_json: bool,
    as_jsonl: bool,
    as_csv: bool,
    facet_limit: int | None,
    highlight: str,
    **options: Any,
) -> None:
    if as_json + as_jsonl + as_csv > 1:
        raise click.UsageError("choose one of --json, --jsonl and --csv")
    _show_library_log()
    text = " ".join(query)
    machine = as_json or as_jsonl or as_csv
    # Snippets in --json and the records are marked as asked; the terminal marks its own.
    marked = (
        "markdown" if highlight == "auto" or (highlight == "ansi" and not machine) else highlight
    )
    with searchlib.open(index) as ix:
        results = ix.search(
            text,
            facet_limit=20 if facet_limit is None else facet_limit,
            highlight=marked,
            **options,
        )
    if as_json:
        _emit_json(results.to_dict())
    elif as_jsonl or as_csv:
        from searchlib.present import records  # here: most searches print no records

        (records.write_jsonl if as_jsonl else records.write_csv)(results.hits, sys.stdout)
    else:
        if highlight == "ansi":
            ctx.color = True
        terminal().print_results(results, highlight, 4 if facet_limit is None else facet_limit)


# ---------------------------------------------------------------------------------------------
# timeline


@click.command("timeline", cls=FriendlyCommand, help=TIMELINE_HELP)
@click.argument("query", nargs=-1)
@index_option
@click.option(
    "--freq",
    type=click.Choice(["year", "month", "week", "day"]),
    default="year",
    show_default=True,
    help="Count per year, month, ISO week or day.",
)
@filter_options
@json_option
def timeline_command(
    query: tuple[str, ...], index: str, freq: str, as_json: bool, **filters: Any
) -> None:
    _show_library_log()
    with searchlib.open(index) as ix:
        timeline = ix.timeline(" ".join(query), freq=freq, **filters)
    if as_json:
        _emit_json(timeline.to_dict())
    else:
        terminal().print_timeline(timeline)


# ---------------------------------------------------------------------------------------------
# searchlib group


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(searchlib.__version__, prog_name="searchlib")
def cli() -> None:
    """searchlib: full-text search for archives of news articles.

    \b
    Quick start, at the root of a clone:
      searchlib search "Astana Declaration"
      searchlib index build seeds
      searchlib show 000_0802c507da2f2354
      searchlib timeline Congress
    """


cli.add_command(search_command)
cli.add_command(timeline_command)


@cli.group("index", cls=FriendlyGroup)
def index_group() -> None:
    """Build indexes and check them against their sources."""


def _parse_fields(values: tuple[str, ...]) -> dict[str, str] | None:
    fields = {}
    for value in values:
        name, sep, column = value.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise click.BadParameter(
                f"{value!r} is not NAME=KEY (e.g. text=body)", param_hint="--field"
            )
        fields[name.strip()] = column.strip()
    return fields or None


field_option = click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=KEY",
    help="For JSON, JSON Lines and CSV sources: the key or column that holds an article field "
    "(id, title, date, text, author). Repeat for each field; the definition's [fields] table "
    "does this for named indexes.",
)


def _build_target(args: tuple[str, ...], index: str | None) -> tuple[str, list[str] | None]:
    if index is None:
        if len(args) > 1:
            raise click.UsageError(
                "to build from files, name the index folder: "
                "searchlib index build --index PATH SOURCES..."
            )
        return (args[0] if args else "seeds"), None
    return index, list(args) or None


@index_group.command("build", help=BUILD_HELP)
@click.argument("args", nargs=-1, metavar="[NAME] | --index PATH SOURCES...")
@click.option(
    "--index",
    "-i",
    "index",
    default=None,
    metavar="NAME|PATH",
    help="The index to build (default: seeds).",
)
@click.option("--rebuild", is_flag=True, help="Read and index every source afresh.")
@click.option(
    "--strict", is_flag=True, help="Stop at the first unreadable file or record; change nothing."
)
@field_option
@click.option(
    "--workers",
    "-w",
    default="1",
    show_default=True,
    metavar="N|auto",
    help="Analyse articles in N local processes (auto: one per core); same index for any N.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:8786",
    help="Analyse articles on a Dask distributed cluster; the index is written here.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and errors.")
@json_option
def build_command(
    args: tuple[str, ...],
    index: str | None,
    rebuild: bool,
    strict: bool,
    fields: tuple[str, ...],
    workers: str,
    scheduler: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    index, sources = _build_target(args, index)
    bar = _progress(quiet or as_json)
    try:
        report = searchlib.build(
            index,
            sources,
            fields=_parse_fields(fields),
            rebuild=rebuild,
            strict=strict,
            progress=bar,
            workers=_workers(workers),
            scheduler=scheduler,
        )
    finally:
        if bar is not None:
            bar.clear()
    for problem in report.problems:
        label = "skipped" if problem.skipped else "warning"
        click.echo(f"{label}: {terminal().safe(problem)}", err=True)
    if as_json:
        _emit_json(report.to_dict())
    elif not quiet:
        terminal().print_build(report)
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def _workers(value: str) -> int:
    if value == "auto":
        from searchlib.store.parallel import default_workers

        return default_workers()
    if not value.isdigit() or int(value) < 1:
        raise click.BadParameter(
            f"{value!r} is not a number of processes or auto", param_hint="--workers"
        )
    return int(value)


def _progress(quiet: bool) -> terminal_module.ProgressBar | None:
    present = terminal()
    if quiet or not present.progress_wanted():  # piped, or in CI: no bar
        return None
    return present.ProgressBar()


@index_group.command("list", help=LIST_HELP)
@json_option
def list_command(as_json: bool) -> None:
    from searchlib.store import definitions  # here: the other commands never list

    found = definitions.visible_indexes()
    if as_json:
        _emit_json(
            {
                "home": str(definitions.home()),
                "indexes": [listed.to_dict() for listed in found],
            }
        )
    else:
        terminal().print_index_list(found, definitions.home())


@index_group.command("check", help=CHECK_HELP)
@click.argument("name", required=False, metavar="[NAME]")
@click.option(
    "--index", "-i", "index", default=None, metavar="NAME|PATH", help="The index to check."
)
@field_option
@click.option("--deep", is_flag=True, help="Read every file of the index, not only the small ones.")
@json_option
def check_command(
    name: str | None, index: str | None, fields: tuple[str, ...], deep: bool, as_json: bool
) -> None:
    report = searchlib.check(index or name or "seeds", fields=_parse_fields(fields), deep=deep)
    if as_json:
        _emit_json(report.to_dict())
    else:
        terminal().print_check(report)
    if report.stale or report.damaged:
        sys.exit(EXIT_STALE)


@cli.command("similar")
@click.argument("article_id", metavar="ID")
@index_option
@click.option(
    "--limit",
    "-n",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many similar articles.",
)
@json_option
def similar_command(article_id: str, index: str, limit: int, as_json: bool) -> None:
    """Find the articles most like article ID (by its most distinctive words).

    \b
    Example:
      searchlib similar 003_28bfb9e752ea3f2c --limit 3
    """
    _show_library_log()
    with searchlib.open(index) as ix:
        results = ix.similar(article_id, limit=limit)
    if as_json:
        _emit_json(results.to_dict())
        return
    click.echo(f"{results.total} articles like {terminal().safe(article_id)}")
    terminal().print_hits(results.hits)


@cli.command("eval")
@index_option
@click.option(
    "--queries",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Queries, one per line: QID<TAB>QUERY.",
)
@click.option(
    "--qrels",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="TREC relevance judgments: QID 0 DOCID GRADE.",
)
@click.option(
    "--run-out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the ranked results here as a TREC run file.",
)
@click.option(
    "--depth",
    default=100,
    show_default=True,
    type=click.IntRange(min=10),
    help="Results per query.",
)
@click.option("--tag", default="searchlib", show_default=True, help="Run tag in the run file.")
@json_option
def eval_command(
    index: str, queries: str, qrels: str, run_out: str | None, depth: int, tag: str, as_json: bool
) -> None:
    """Measure ranking quality on judged queries: nDCG@10, MAP@100, P@10, Recall@100.

    Runs every query (top 100), optionally writes a TREC run file, and averages trec_eval's
    measures over the queries that have judgments.

    \b
    Example:
      searchlib index build --index /tmp/med ../shared/data/med/docs.jsonl
      searchlib eval --index /tmp/med --queries ../shared/data/med/queries.tsv \\
                     --qrels ../shared/data/med/qrels.txt --run-out med.run
    """
    _show_library_log()
    report = searchlib.evaluate(index, queries, qrels, depth=depth, run_out=run_out, tag=tag)
    if as_json:
        _emit_json(report.to_dict())
        return
    click.echo(
        f"{report.queries} judged queries, {depth} results each, index {terminal().safe(index)}"
    )
    for name, value in report.measures.items():
        click.echo(f"{name:>11}: {value:.4f}")
    if run_out:
        click.echo(f"run written to {terminal().safe(run_out)}")


@cli.command("entities")
@click.option(
    "--type",
    "kind",
    type=click.Choice(list(ENTITY_FIELDS)),
    help="Only people, organisations or places.",
)
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most this many per type.")
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Only entities mentioned in at least N articles.",
)
@index_option
@json_option
def entities_command(
    kind: str | None, limit: int | None, min_count: int, index: str, as_json: bool
) -> None:
    """List the people, organisations and places of an index, most mentioned first.

    Each entity appears once, under its canonical name, with the number of articles that
    mention it and the aliases it answers to (in --json also the ids of those articles). Add
    your own aliases in indexes/NAME.aliases.toml, for example:

    \b
      [person]
      "Kassym-Jomart Tokayev" = ["K. Tokayev", "President Tokayev"]

    \b
    Examples:
      searchlib entities --type person
      searchlib entities --min-count 50 --limit 20     # the most mentioned, on a large archive
      searchlib entities --json
    """
    _show_library_log()
    with searchlib.open(index) as ix:
        found = ix.entities(kind, limit=limit, min_count=min_count)
    if as_json:
        _emit_json([entity.to_dict() for entity in found])
    else:
        terminal().print_entities(found)


# ---------------------------------------------------------------------------------------------
# duplicates, show, stats


@cli.command("duplicates")
@index_option
@click.option("--limit", "-n", type=click.IntRange(min=1), help="At most this many, largest first.")
@json_option
def duplicates_command(index: str, limit: int | None, as_json: bool) -> None:
    """List the stories an index holds more than once: its groups of near-duplicate articles.

    Found at build time: articles whose five-word shingles mostly agree (a wire story sent
    again, corrected or updated), dated at most 3 days apart. search --collapse shows one
    hit per story; show and search --json list an article's group as "similar".

    \b
    Examples:
      searchlib duplicates --index reuters --limit 5
      searchlib duplicates --json
    """
    _show_library_log()
    with searchlib.open(index) as ix:
        # Only the groups shown are read: a million-article archive holds hundreds of
        # thousands, each article of them a stored-field lookup.
        stories = ix.duplicates(limit=limit)
        held, articles = ix.duplicate_totals()
    if as_json:
        _emit_json([story.to_dict() for story in stories])
    else:
        terminal().print_stories(stories, held, articles)


@cli.command("show")
@click.argument("article_id", metavar="ID")
@index_option
@json_option
def show_command(article_id: str, index: str, as_json: bool) -> None:
    """Print one article: its fields and full text.

    \b
    Example:
      searchlib show 000_0802c507da2f2354
    """
    _show_library_log()
    with searchlib.open(index) as ix:
        article = ix.get(article_id)
    if article is None:
        raise searchlib.ArticleNotFoundError(
            f"no article with id {article_id!r} in index {index!r}",
            "find ids with: searchlib search QUERY",
        )
    if as_json:
        _emit_json(article.to_dict())
    else:
        terminal().print_article(article)


@cli.command("stats")
@index_option
@json_option
def stats_command(index: str, as_json: bool) -> None:
    """Print facts about an index: articles, dates, terms, size, when it was built.

    \b
    Example:
      searchlib stats --json
    """
    _show_library_log()
    with searchlib.open(index) as ix:
        stats = ix.stats()
    if as_json:
        _emit_json(stats)
        return
    for key, value in stats.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key:>11}: {terminal().safe(shown)}")


@cli.command("serve")
@click.option(
    "--index",
    "-i",
    "indexes",
    multiple=True,
    metavar="NAME|PATH",
    help="An index to serve; repeat for several (default: seeds). The first is the default.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve_command(indexes: tuple[str, ...], host: str, port: int) -> None:
    """Serve indexes in the browser: search, article and entity pages and a JSON API.

    Needs the serve extra: pip install -e ".[serve]". Listens on this machine only unless
    --host says otherwise; the API is described at /api/openapi.json.

    \b
    Examples:
      searchlib serve                                  # http://127.0.0.1:8080
      searchlib serve --index seeds --index /tmp/news --port 9000
    """
    _show_library_log()
    from searchlib import serve  # here, so that other commands start without the web stack

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(
            f"Warning: --host {host} lets other machines read the served archives; "
            "searchlib serve has no login",
            err=True,
            fg="yellow",
        )
    serve.run(
        indexes or ("seeds",),
        host=host,
        port=port,
        ready=lambda url, names: click.echo(
            f"Serving {', '.join(names)} at {url} (Ctrl+C stops)", err=True
        ),
    )


def _one_blas_thread() -> None:
    # No command multiplies matrices, and starting OpenBLAS's threads when numpy is imported
    # costs a cold search tens of milliseconds on a busy machine (the user's setting wins).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    """Entry point of the ``searchlib`` command."""
    _one_blas_thread()
    cli(prog_name="searchlib")


def search_main() -> None:
    """Entry point of the ``search`` command."""
    _one_blas_thread()
    search_command(prog_name="search")
