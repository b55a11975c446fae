"""Options: the command line's shared options and filters, and its commands' help texts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .fields import SNIPPET_CHARS, SORTS

if TYPE_CHECKING:
    from collections.abc import Callable

#: The named highlights of snippets (searchlib.search.snippets.HIGHLIGHTS, which --help must
#: not import).
HIGHLIGHT_NAMES = ("markdown", "html", "ansi", "none")

index_option = click.option(
    "--index",
    "-i",
    "index",
    default="seeds",
    show_default=True,
    envvar="SEARCHLIB_INDEX",
    metavar="NAME|PATH",
    help="An index defined in indexes/NAME.toml, or the folder of a built index.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the date and entity filters shared by every command that searches."""
    options = [
        click.option(
            "--from", "date_from", metavar="DATE", help="Published on or after YYYY[-MM[-DD]]."
        ),
        click.option(
            "--to", "date_to", metavar="DATE", help="Published on or before YYYY[-MM[-DD]]."
        ),
        click.option(
            "--person",
            metavar="NAME",
            multiple=True,
            help="Only articles that mention this person; repeat for all of several.",
        ),
        click.option(
            "--org",
            metavar="NAME",
            multiple=True,
            help="Only articles that mention this organisation; repeat for all of several.",
        ),
        click.option(
            "--place",
            metavar="NAME",
            multiple=True,
            help="Only articles that mention this place; repeat for all of several.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


SEARCH_HELP = """Search articles and print ranked results with highlighted snippets.

\b
QUERY syntax:
  words                  any may match; articles with more of them rank first
  "exact phrase"         the words together, in this order
  a AND b, a OR b, NOT c operators, in capitals (in an all-capitals query they are words)
  +must -mustnot         a word that must, or must not, appear
  title:word             search one field: title, person, org, place, year
  date:2023..2025        a date range; also date:2024-02, date:2023.., date:..2021,
                         date:[2023-01-01 TO 2025-06-30]
  kazakh*  ashimbaev~    prefix, and fuzzy (one edit; ~2 for two)
  (a OR b) AND c         groups
An empty query or * matches every article, so the filters alone can browse. A word the
index does not know (or holds rarely, next to a far more frequent one) gets a "did you mean"
suggestion; when nothing matches, the suggestion is searched instead. Limits: words of at most
100 characters, 1,000 words, ~2 edits, wildcards after a letter, 256 words for all prefix,
wildcard and fuzzy terms together. Repeated --person, --org or --place filters must all match.

\b
Examples:
  search "Astana Declaration"
  search '"Kassym-Jomart Tokayev"' --sort date
  search 'Congress date:2023..2025 -Vatican'
  search Congress --from 2023 --to 2025-06 --limit 5
  search '*' --sort date --json
  search 'Astana Declaration' --explain
  search '*' --person Tokayev --person Ashimbayev      # articles that name both
  search Congress --csv > hits.csv                     # also --jsonl, one hit a line
  search Congress --highlight html --snippet-chars 120
  search 'oil prices' --collapse --index reuters       # one hit per story
  search desecration --index path/to/index

If the index has a definition but was never built, it is built first.
Exit codes: 0 success (even with no results), 1 failure, 2 usage error.
"""


def search_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options of ``search``: paging, order, filters, facets, snippets and formats."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option(
            "--limit",
            "-n",
            default=10,
            show_default=True,
            type=click.IntRange(min=1),
            help="Results per page.",
        ),
        click.option(
            "--page",
            "-p",
            default=1,
            show_default=True,
            type=click.IntRange(min=1),
            help="Page number, from 1.",
        ),
        click.option(
            "--sort",
            type=click.Choice(list(SORTS)),
            default="relevance",
            show_default=True,
            help="Rank by relevance, newest first (date) or oldest first (date_asc); undated last.",
        ),
        filter_options,
        click.option(
            "--facet-limit",
            type=click.IntRange(min=0),
            metavar="N",
            help="Values shown per facet (default: 4 here, 20 in --json); 0 counts none, faster.",
        ),
        click.option(
            "--highlight",
            type=click.Choice(["auto", *HIGHLIGHT_NAMES]),
            default="auto",
            show_default=True,
            help="How snippets mark the query's words: colour on a terminal (auto, ansi: always), "
            "**markdown**, <mark>html</mark> or none. Also for --json, --jsonl and --csv (auto: "
            "markdown there).",
        ),
        click.option(
            "--snippet-chars",
            type=click.IntRange(min=40),
            default=SNIPPET_CHARS,
            show_default=True,
            metavar="N",
            help="About how many characters of text each snippet shows.",
        ),
        click.option(
            "--explain", is_flag=True, help="Show what each query term added to each score."
        ),
        click.option(
            "--collapse",
            is_flag=True,
            help="One hit per story: near-duplicates (see searchlib duplicates) fold into the "
            "best ranked, shown as +N similar; the total and facets still count articles.",
        ),
        json_option,
        click.option(
            "--jsonl", "as_jsonl", is_flag=True, help="Print each hit as one line of JSON."
        ),
        click.option(
            "--csv", "as_csv", is_flag=True, help="Print the hits as CSV, with a header row."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


TIMELINE_HELP = """Count the articles that match QUERY per year, month, week or day, as a histogram.

Every matching article is counted, not only a page of them; undated articles are reported
apart. Takes the same query and filters as search.

\b
Examples:
  searchlib timeline Congress
  searchlib timeline '*' --freq month --from 2023
  searchlib timeline interfaith --json
"""


BUILD_HELP = """Bring an index up to date with its sources.

Without SOURCES, builds the index named by NAME or --index from its definition
(indexes/NAME.toml). With --index PATH and SOURCES (files, folders or glob patterns), builds an
ad-hoc index in the folder PATH. Sources: .txt, .md, .html, .jsonl, .json (an array of
objects), .csv, and RSS or Atom feeds (.rss, .atom, .xml).

Builds are incremental: unchanged files are not read again, and only the articles that were
added, changed or removed are indexed; --rebuild reads and indexes everything afresh. The new
index replaces the old one only once it is complete: a failed or interrupted build leaves the
previous index as it was. Files and records that cannot be read are reported with their line
and skipped; the exit code is then 1. With --strict the build stops at the first one and the
index is left unchanged.

\b
Examples:
  searchlib index build                      # the seeds index
  searchlib index build seeds --rebuild
  searchlib index build --index /tmp/news ~/articles/ feeds/*.jsonl
  searchlib index build --index /tmp/csv news.csv --field id=doc_id --field text=body
  searchlib index build --index /tmp/big big.jsonl --workers auto
  searchlib index build --index /tmp/big big.jsonl --scheduler tcp://10.0.0.5:8786
"""


LIST_HELP = """List the indexes a name finds from this folder, and where they live.

An index name is looked up in indexes/NAME.toml here and in each parent folder, then in your
home of indexes: $SEARCHLIB_HOME (default ~/.local/share/searchlib), which holds definitions
(indexes/NAME.toml) and built index folders (NAME/). An index built there is found from any
folder, so `search Astana` works anywhere.

\b
Examples:
  searchlib index list
  searchlib index build --index ~/.local/share/searchlib/seeds seeds/
  searchlib index list --json
"""


CHECK_HELP = """Check that an index matches its sources, without changing anything.

Exits with 0 when the index is up to date, and with 1 listing what is stale: files added,
changed or removed since the last build, and the articles a build would add, update or delete.
Each file of the index is checked against the size and SHA-256 its build recorded (the content
of files up to 4 MB); with --deep every file is read, every segment opened and the sidecar's
ids checked. A damaged index is listed file by file (exit 1); a build repairs it.

\b
Examples:
  searchlib index check                      # the seeds index
  searchlib index check seeds --json
  searchlib index check --index /tmp/news --deep
"""
