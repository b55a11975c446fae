"""Benchmark: full builds of this checkout beside a baseline checkout's, and an identity check.

    python benchmarks/build_compare.py --baseline DIR [--articles N] [--runs 2] [--workers 2]
                                        [--check 400] [--data DIR]

``--baseline`` is another checkout of searchlib (``git worktree add /tmp/base main --detach``).
Each build runs in a fresh process with ``PYTHONPATH`` at one checkout, the two checkouts
alternating (which goes first alternates too), so that a shared machine's load falls on both
alike; the table gives the median articles/s of each and their ratio, in one process and with
``--workers``. ``--check N`` first builds the first N articles with both and compares
everything a build writes: every stored document (entities included), every term's postings
with their weights and positions, every field length, the sidecar's arrays and the JSON files
beside them. The build is not timed then. Nothing is written into either repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from build import cpu_model  # noqa: E402  (the machine line of the build benchmark)

# Run in the child process, with PYTHONPATH at one checkout: a full build, its numbers as JSON.
BUILD = """
import json, os, sys, time
from pathlib import Path
import searchlib
source, index, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
started, cpu = time.perf_counter(), os.times()
report = searchlib.build(index, [source], workers=workers)
wall, done = time.perf_counter() - started, os.times()
used = sum(done[:4]) - sum(cpu[:4])
print(json.dumps({"articles": report.articles, "seconds": wall, "cpu": used,
                  "module": searchlib.__file__}))
"""

# Run in the child process: a digest of everything the index's current generation holds,
# independent of segment names (random) and of the order files were written in.
FINGERPRINT = """
import hashlib, json, sys
from pathlib import Path
import numpy as np
from whoosh import index as whoosh_index
import searchlib.engine.whoosh.patches as patches

folder = Path(sys.argv[1])
generation = folder / json.loads((folder / "searchlib.json").read_text())["generation"]
patches.apply()
out = {}
store = whoosh_index.open_dir(str(generation))
segments = [s.segment_id() for s in store._segments()]
def named(text):
    for n, segment in enumerate(segments):
        text = text.replace(segment, f"SEGMENT{n}")
    return text
def digest(value):
    return hashlib.sha256(repr(value).encode()).hexdigest()
with store.reader() as reader:
    out["doc_count"] = reader.doc_count()
    out["stored"] = digest([reader.stored_fields(d) for d in reader.all_doc_ids()])
    for name in sorted(reader.schema.names()):
        postings = []
        for field, term in reader.all_terms():
            if field != name:
                continue
            m = reader.postings(field, term)
            values = []
            while m.is_active():
                values.append((m.id(), m.weight(), m.value()))
                m.next()
            postings.append((term, values))
        out["postings:" + name] = digest(postings)
        if reader.schema[name].scorable:
            out["lengths:" + name] = digest(
                [reader.doc_field_length(d, name) for d in reader.all_doc_ids()])
for path in sorted(generation.iterdir()):
    if path.suffix in (".seg", ".toc") or path.name.endswith("WRITELOCK"):
        continue
    if path.suffix in (".npy", ".npz"):
        loaded = np.load(path, allow_pickle=False)
        arrays = dict(loaded) if path.suffix == ".npz" else {"": loaded}
        value = {k: (str(a.dtype), a.shape, hashlib.sha256(a.tobytes()).hexdigest())
                 for k, a in sorted(arrays.items())}
    elif path.name == "sources.json":  # holds the source's path and times
        state = json.loads(path.read_text())
        value = digest([f.get("articles") for f in state.get("files", {}).values()]
                       if isinstance(state.get("files"), dict) else state.get("files"))
    else:
        value = hashlib.sha256(named(path.read_bytes().decode("utf-8", "replace")).encode()
                               ).hexdigest()
    out["file:" + named(path.name)] = value
print(json.dumps(out, sort_keys=True))
"""


def child(checkout: Path, code: str, *args: object) -> dict:
    """Run ``code`` in a new Python process importing searchlib from ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def subset(corpus: Path, target: Path, articles: int | None) -> Path:
    with corpus.open(encoding="utf-8") as f, target.open("w", encoding="utf-8") as out:
        for n, line in enumerate(f):
            if articles is not None and n == articles:
                break
            out.write(line)
    old = time.time() - 3600  # as a file that has not changed since a build
    os.utime(target, (old, old))
    return target


def check_identity(checkouts: dict[str, Path], source: Path, tmp: Path) -> list[str]:
    """The parts of the two builds' indexes that differ (empty when they are identical)."""
    prints = {}
    for label, checkout in checkouts.items():
        index = tmp / f"check-{label}"
        child(checkout, BUILD, source, index, 1)
        prints[label] = child(checkout, FINGERPRINT, index)
    branch, baseline = prints.values()
    return sorted(k for k in branch.keys() | baseline.keys() if branch.get(k) != baseline.get(k))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout to compare with")
    parser.add_argument(
        "--branch", type=Path, default=REPO, help="the checkout measured (this one)"
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--articles", type=int, default=None, help="first N articles (all)")
    parser.add_argument(
        "--runs", type=int, default=2, help="builds of each per setup (0: check only)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel build")
    parser.add_argument("--check", type=int, default=400, help="articles to compare (0: none)")
    args = parser.parse_args()
    corpus = args.data / "reuters21578" / "docs.jsonl"
    if not corpus.is_file():
        sys.exit(f"no corpus at {corpus}; give --data DIR")
    checkouts = {"branch": args.branch.resolve(), "baseline": args.baseline.resolve()}

    with tempfile.TemporaryDirectory(prefix="searchlib-compare-") as tmp_name:
        tmp = Path(tmp_name)
        if args.check:
            checked = subset(corpus, tmp / "check.jsonl", args.check)
            differ = check_identity(checkouts, checked, tmp)
            print(
                f"Identity check, first {args.check} articles: "
                + (f"DIFFERENT in {', '.join(differ)}" if differ else "identical")
                + ".\n",
                flush=True,
            )
            if differ:
                sys.exit(1)
        if not args.runs:
            return
        source = subset(corpus, tmp / "docs.jsonl", args.articles)
        results: dict[tuple[int, str], list[dict]] = {}
        count = 0
        for run in range(args.runs):
            for workers in (1, args.workers):
                order = list(checkouts.items())
                if (run + workers) % 2:
                    order.reverse()
                for label, checkout in order:
                    count += 1
                    built = child(checkout, BUILD, source, tmp / f"ix-{count}", workers)
                    results.setdefault((workers, label), []).append(built)
                    print(
                        f"  run {run + 1}, workers {workers}, {label}: "
                        f"{built['articles'] / built['seconds']:.0f} articles/s, "
                        f"{built['cpu']:.0f} CPU s",
                        file=sys.stderr,
                        flush=True,
                    )

    articles = results[1, "branch"][0]["articles"]
    print(
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), shared; Python "
        f"{platform.python_version()}, {dt.date.today().isoformat()}. {articles:,} articles of "
        f"reuters21578, entities on; median of {args.runs} builds each, checkouts alternating.\n"
    )
    print(
        "| build | baseline articles/s | branch articles/s | ratio | ratio of each run's pair "
        "| baseline CPU s | branch CPU s | CPU ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for workers in (1, args.workers):
        rate = {
            label: statistics.median(r["articles"] / r["seconds"] for r in results[workers, label])
            for label in checkouts
        }
        cpu = {
            label: statistics.median(r["cpu"] for r in results[workers, label])
            for label in checkouts
        }
        # Builds of one run are next to each other: the ratio of each pair sees one load.
        pairs = [
            b["seconds"] / a["seconds"]
            for a, b in zip(results[workers, "branch"], results[workers, "baseline"], strict=True)
        ]
        name = "1 process" if workers == 1 else f"--workers {workers}"
        print(
            f"| {name} | {rate['baseline']:.0f} | {rate['branch']:.0f} "
            f"| {rate['branch'] / rate['baseline']:.2f}x "
            f"| {', '.join(f'{p:.2f}x' for p in pairs)} | {cpu['baseline']:.0f} "
            f"| {cpu['branch']:.0f} | {cpu['baseline'] / cpu['branch']:.2f}x |"
        )
    print(
        "\nCPU seconds are the build's process (and its finished children): with workers, "
        "those of the process that hands out the work and writes the sidecar only."
    )
    print(f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")


if __name__ == "__main__":
    main()
