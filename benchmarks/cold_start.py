"""Cold start: the wall time of one search in a fresh process, beside the peers' command lines.

    python benchmarks/cold_start.py [--corpus bbc] [--runs 10] [--query "Tony Blair"]
                                    [--out benchmarks/RESULTS.md]

Each row runs its command ``--runs`` times, each a new process, and reports the median and the
fastest wall time, and the ratio of the median to sqlite-utils' (the baseline of the same run:
these machines are noisy). Indexes are built once into a cache folder outside the repository
and reused. Rows: ``searchlib --help``; ``search QUERY -i INDEX`` (the installed command);
``sqlite-utils search`` on an FTS5 table of the same articles; a Python script that opens a
tantivy-py index and searches it. A peer that is not installed is skipped with a note.

The commands may keep compiled bytecode (``__pycache__``), as every installed package has it:
the untimed run writes it, as a user's first run does. Under ``PYTHONDONTWRITEBYTECODE=1`` (set
in some sandboxes) each process of a checkout would compile searchlib's modules from source
again, which is not what a user waits for, so the commands run without it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import speed  # noqa: E402  (its corpora and machine description)

SECTION = "## Cold start"
TANTIVY_SEARCH = """
import sys, tantivy
index = tantivy.Index.open(sys.argv[1])
searcher = index.searcher()
hits = searcher.search(index.parse_query(sys.argv[2], ["title", "body"]), 10).hits
for _, address in hits:
    print(searcher.doc(address)["id"][0])
"""


def cache_folder() -> Path:
    """Where the built indexes are kept between runs."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "searchlib-bench" / "cold-start"


def sqlite_utils_command() -> str | None:
    """The sqlite-utils command beside this Python (a venv's, activated or not), else on PATH:
    the same one builds the FTS table and is timed searching it."""
    bin_dir = Path(sys.executable).parent
    return shutil.which("sqlite-utils", path=str(bin_dir)) or shutil.which("sqlite-utils")


def build_all(corpus: Path, folder: Path) -> dict[str, Path]:
    """Build (or reuse) the searchlib index, an FTS5 database and a tantivy index of ``corpus``."""
    folder.mkdir(parents=True, exist_ok=True)
    built: dict[str, Path] = {}
    ix = folder / "searchlib"
    subprocess.run(
        [sys.executable, "-m", "searchlib", "index", "build", "--index", str(ix), str(corpus)],
        check=True,
        capture_output=True,
    )
    built["searchlib"] = ix
    db = folder / "fts5.sqlite"
    if not db.is_file():
        docs = speed.read_docs(corpus)
        connection = sqlite3.connect(db)
        connection.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT, body TEXT)")
        connection.executemany(
            "INSERT INTO articles VALUES (?, ?, ?)",
            [(d["id"], d["title"], d["text"]) for d in docs],
        )
        connection.commit()
        connection.close()
        sqlite_utils = sqlite_utils_command()
        if sqlite_utils:
            subprocess.run(
                [sqlite_utils, "enable-fts", str(db), "articles", "title", "body"], check=True
            )
    built["fts5"] = db
    tantivy_folder = folder / "tantivy"
    if not tantivy_folder.is_dir():
        try:
            tantivy_folder.mkdir()
            speed.tantivy_build(corpus, tantivy_folder)
        except speed.Skip:
            shutil.rmtree(tantivy_folder)
    if tantivy_folder.is_dir():
        built["tantivy"] = tantivy_folder
    return built


def commands(built: dict[str, Path], query: str) -> dict[str, list[str] | None]:
    """The command of each row (``None``: the peer is not installed)."""
    bin_dir = Path(sys.executable).parent
    searchlib_cmd = shutil.which("searchlib", path=str(bin_dir)) or shutil.which("searchlib")
    search_cmd = shutil.which("search", path=str(bin_dir)) or shutil.which("search")
    sqlite_utils = sqlite_utils_command()
    return {
        "searchlib --help": [searchlib_cmd, "--help"] if searchlib_cmd else None,
        "search QUERY (searchlib)": (
            [search_cmd, query, "-i", str(built["searchlib"]), "--limit", "10"]
            if search_cmd
            else None
        ),
        "sqlite-utils search": (
            [sqlite_utils, "search", str(built["fts5"]), "articles", query, "--limit", "10"]
            if sqlite_utils
            else None
        ),
        "tantivy-py script": (
            [sys.executable, "-c", TANTIVY_SEARCH, str(built["tantivy"]), query]
            if "tantivy" in built
            else None
        ),
    }


def environment() -> dict[str, str]:
    """The commands' environment: this one, letting Python keep bytecode."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def time_runs(command: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall seconds of ``runs`` fresh processes of ``command`` (after one untimed run, so the
    files are in the page cache, and the bytecode written, for every row alike)."""
    subprocess.run(command, check=True, capture_output=True, env=env)
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - started)
    return walls


def measure(corpus_name: str, runs: int, query: str) -> dict[str, object]:
    """Every row's median and fastest wall time, and the ratio to sqlite-utils'."""
    corpus = speed.corpus_file(corpus_name, speed.DEFAULT_DATA, cache_folder())
    built = build_all(corpus, cache_folder() / corpus_name)
    rows: dict[str, dict[str, float | None]] = {}
    for name, command in commands(built, query).items():
        if command is None:
            rows[name] = {"median_s": None, "min_s": None}
            continue
        walls = time_runs(command, runs, environment())
        rows[name] = {"median_s": statistics.median(walls), "min_s": min(walls)}
    baseline = rows.get("sqlite-utils search", {}).get("median_s")
    for row in rows.values():
        median = row["median_s"]
        row["ratio"] = median / baseline if median is not None and baseline else None
    return {
        "corpus": corpus_name,
        "query": query,
        "runs": runs,
        "rows": rows,
        "machine": speed.machine(),
        "load": os.getloadavg()[0],
    }


def table(report: dict[str, object]) -> str:
    """The report as a Markdown table."""
    rows = report["rows"]
    assert isinstance(rows, dict)
    lines = [
        "| command | median s | fastest s | median / sqlite-utils |",
        "|---|---|---|---|",
    ]
    for name, row in rows.items():
        if row["median_s"] is None:
            lines.append(f"| {name} | not installed | | |")
            continue
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "n/a"
        lines.append(f"| {name} | {row['median_s']:.3f} | {row['min_s']:.3f} | {ratio} |")
    return "\n".join(lines)


def section(report: dict[str, object]) -> str:
    """The RESULTS.md section for this run."""
    machine = report["machine"]
    assert isinstance(machine, dict)
    return (
        f"{SECTION}\n\n"
        f"`python benchmarks/cold_start.py --corpus {report['corpus']} --runs {report['runs']}`: "
        f'one search for "{report["query"]}" in a fresh process, {report["runs"]} runs each '
        f"after one untimed run (which writes the bytecode). Machine: {machine['nproc']} cores, "
        f"{machine['cpu']}, {machine['ram']}, Python {machine['python']}, {machine['date']}, "
        f"load average {report['load']:.1f} at the end.\n\n{table(report)}\n"
    )


def update_results(path: Path, body: str) -> None:
    """Replace (or append) this benchmark's section of RESULTS.md."""
    text = path.read_text("utf-8") if path.is_file() else "# Benchmark results\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        following = re.search(r"^## ", text[start + len(SECTION) :], re.MULTILINE)
        end = start + len(SECTION) + following.start() if following else len(text)
        text = text[:start] + body + ("\n" + text[end:] if text[end:] else "")
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the rows, print the table (or JSON), and optionally update RESULTS.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="bbc", help="a corpus of benchmarks/speed.py")
    ap.add_argument("--runs", type=int, default=10, help="fresh processes per row")
    ap.add_argument("--query", default="Tony Blair", help="the query of every row")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--out", type=Path, help="write the cold-start section of this RESULTS.md")
    args = ap.parse_args(argv)
    report = measure(args.corpus, args.runs, args.query)
    print(json.dumps(report, indent=2) if args.json else table(report))
    if args.out:
        update_results(args.out, section(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
