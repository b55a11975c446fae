"""Benchmark: time and peak memory of hostile queries on reuters21578, as a Markdown table.

    python benchmarks/hostile.py [--index DIR] [--data DIR] [--timeout S] [--code DIR]

Each query runs in a process of its own that opens the index, runs one ordinary search (so that
what every search loads is loaded), then the hostile query: the table shows its wall time, its
CPU time and how far it raised the process's peak memory above what the open index held
(``VmHWM`` reset through ``/proc/self/clear_refs``, Linux). A query still running after
``--timeout`` seconds is stopped and shown as ``> timeout``. The outcome column is the number
of hits, or the first words of the error or warning a capped query gets.

The index is built into ``--index`` (default: a folder in the system's temporary folder) if it
is not there yet. ``--code`` runs the queries with another checkout's ``searchlib`` (to measure
a baseline in the same run); by default this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def hostile_queries(corpus: Path) -> list[tuple[str, str, bool]]:
    """``(label, query, correct)`` for each hostile query of issue 14, and two ordinary ones."""
    words: list[str] = []
    seen: set[str] = set()
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:  # the first 1,000 distinct plain words of the corpus
            for word in re.findall(r"[a-z]{3,}", json.loads(line)["text"]):
                if word not in seen:
                    seen.add(word)
                    words.append(word)
            if len(words) >= 1000:
                break
    ored = " OR ".join(words[:1000])
    return [
        ("ordinary word", "oil", True),
        ("ordinary words", "oil prices opec", True),
        ("unknown word", "Yeuter wheat", True),
        ("rare word (Volker)", "Volker", True),
        ("30-character word", "x" * 30, True),
        ("300-character word", "x" * 300, True),
        ("1,000-character word", "x" * 1000, True),
        ("10,000-character word", "x" * 10_000, True),
        ("10,000-character word, correct=False", "x" * 10_000, False),
        ("`**`", "**", True),
        ("`*a*`", "*a*", True),
        ("`a*`", "a*", True),
        ("`blair~9`", "blair~9", True),
        ("`oil~2`", "oil~2", True),
        ("`oil~`", "oil~", True),
        ("`blair~2`", "blair~2", True),
        ("`com*` (the most words a prefix may have here)", "com*", True),
        ("1,000 words joined by OR", ored, True),
        ("1,000 words", ored.replace(" OR ", " "), True),
        ("`-oil`", "-oil", True),
        ("`nosuchfield:foo`", "nosuchfield:foo", True),
    ]


# Runs in the child: open, warm up, reset the peak, run the query, report.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import searchlib

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

ix = searchlib.open(sys.argv[2], build=False)
ix.search("oil prices")
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
query, correct = json.loads(sys.stdin.read())
cpu = time.process_time()
wall = time.perf_counter()
try:
    results = ix.search(query, correct=correct)
    warned = " ".join(getattr(results, "warnings", ()))
    outcome = f"{results.total:,} hits" + (f"; warning: {warned}" if warned else "")
except searchlib.SearchlibError as error:
    outcome = f"{type(error).__name__}: {error.message}"
wall = time.perf_counter() - wall
cpu = time.process_time() - cpu
print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": status("VmHWM") - before,
                  "outcome": outcome, "engine": ix.engine}))
"""


def run(code: Path, index: Path, query: str, correct: bool, timeout: float) -> dict[str, object]:
    """One query in a fresh process: its times, peak memory above the open index, outcome."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(code), str(index)],
            input=json.dumps([query, correct]),
            capture_output=True,
            text=True,
            timeout=timeout + 30,  # (opening the index and warming up take some seconds too)
        )
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    if done.returncode:
        return {"outcome": f"crashed: {done.stderr.strip().splitlines()[-1]}"}
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if float(found["wall"]) > timeout:  # type: ignore[arg-type]
        found["timeout"] = True
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "reuters-q")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--code", type=Path, default=REPO)
    args = parser.parse_args()
    corpus = args.data / "reuters21578" / "docs.jsonl"
    if not (args.index / "searchlib.json").exists():  # (the manifest: built)
        print(f"building {args.index} from {corpus}…", file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); import searchlib;"
                "searchlib.build(sys.argv[2], [sys.argv[3]])",
                str(args.code),
                str(args.index),
                str(corpus),
            ],
            check=True,
        )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; code: {args.code}; index: {args.index}\n"
    )
    print("| query | wall s | CPU s | peak MB over open index | outcome |")
    print("|---|---:|---:|---:|---|")
    for label, query, correct in hostile_queries(corpus):
        found = run(args.code, args.index, query, correct, args.timeout)
        if found.get("timeout"):
            print(f"| {label} | > {args.timeout:.0f} | | | (stopped) |", flush=True)
            continue
        if "wall" not in found:
            print(f"| {label} | | | | {found['outcome']} |", flush=True)
            continue
        outcome = str(found["outcome"]).replace("|", "\\|")
        outcome = outcome if len(outcome) <= 110 else outcome[:107] + "…"
        print(
            f"| {label} | {found['wall']:.3f} | {found['cpu']:.3f} | {found['peak_mb']:.1f} "
            f"| {outcome} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
