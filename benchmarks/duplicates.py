"""Benchmark: near-duplicate detection's share of a build, and the precision of judged groups.

    python benchmarks/duplicates.py [--data DIR] [--corpus reuters21578] [--sample 40]
    python benchmarks/duplicates.py --index /tmp/reuters --sample 40 --weakest 20
    python benchmarks/duplicates.py --judged benchmarks/truth/duplicates-reuters21578.tsv
    python benchmarks/duplicates.py --index /tmp/reuters --scale 100k,1m [--baseline CHECKOUT]

A full build (one process) and a one-article-changed build of the corpus, each timed whole and
in its detection step (``searchlib.store.duplicates.write``, timed by wrapping it here, in the
same run); the cost is the build's time over the time it would take without detection. With
``--sample N`` it prints N groups drawn at random (seed 17) for reading, with ``--weakest N``
the N groups whose weakest member is least like the others (the hardest cases); with
``--judged FILE`` (``group's first id<TAB>same|different<TAB>note`` lines, as in
``benchmarks/truth/duplicates/``) the precision of those groups.

With ``--scale``, the grouping step alone (:func:`duplicates.find_groups`) at the sizes of the
speed benchmark's replicated corpora: the signatures of a built index's articles copied as
``benchmarks/speed.py`` copies its articles (ids ``K-id``, dated ones ``K % 20`` years later),
each size in a fresh process, timed, with the peak memory it adds over its input; with
``--baseline CHECKOUT`` the same for that checkout in the same run, and whether both found the
same groups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
# (--baseline: a child process measures another checkout's searchlib.)
sys.path.insert(0, os.environ.get("DUPLICATES_CHECKOUT", str(REPO)))

import searchlib  # noqa: E402
from searchlib.store import build as build_module  # noqa: E402
from searchlib.store import duplicates  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

SPENT: list[float] = []
_write = duplicates.write


def _timed_write(*args: object, **kwargs: object) -> int:
    started = time.perf_counter()
    try:
        return _write(*args, **kwargs)  # type: ignore[arg-type]
    finally:
        SPENT.append(time.perf_counter() - started)


def timed_build(*args: object, **kwargs: object) -> tuple[float, float]:
    """Seconds of a build and of its detection step."""
    SPENT.clear()
    started = time.perf_counter()
    searchlib.build(*args, **kwargs)  # type: ignore[arg-type]
    return time.perf_counter() - started, sum(SPENT)


def costs(corpus: Path, folder: Path) -> list[tuple[str, float, float]]:
    """A full build and a one-line-change build: (label, build s, detection s)."""
    build_module.duplicates.write = _timed_write  # type: ignore[assignment]
    source = folder / corpus.name
    shutil.copy(corpus, source)
    index = folder / "ix"
    rows = [("full build, 1 process", *timed_build(index, [source]))]
    lines = source.read_text("utf-8").splitlines(keepends=True)
    first = json.loads(lines[0])
    first["text"] += " A sentence added for the benchmark."
    lines[0] = json.dumps(first) + "\n"
    source.write_text("".join(lines), "utf-8")
    rows.append(("one article changed", *timed_build(index, [source])))
    return rows


def sample(index: Path, count: int, weakest: bool = False) -> None:
    """Print ``count`` groups drawn at random (or the least alike), for reading."""
    with searchlib.open(index) as ix:
        groups = ix.duplicates()
        if weakest:
            alike = _weakest_link(Path(ix.path) / ix.manifest["generation"])
            chosen = sorted(groups, key=lambda group: (alike(group.ids), group.ids))[:count]
        else:
            random.seed(17)
            chosen = random.sample(groups, min(count, len(groups)))
        for group in chosen:
            print(f"\n=== {group.ids[0]} ({len(group.ids)} articles)")
            for article_id in group.ids:
                article = ix.get(article_id)
                assert article is not None
                text = " ".join(article.body.split())[:400]
                print(f"  [{article_id}] {article.date} {article.title!r}: {text}")


def _weakest_link(folder: Path) -> Callable[[tuple[str, ...]], float]:
    """How alike a group's least typical article is to its closest fellow (signatures)."""
    import numpy as np

    ids = np.load(folder / duplicates.IDS, allow_pickle=False)
    signatures = np.load(folder / duplicates.SIGNATURES, allow_pickle=False)
    row = {str(article_id): n for n, article_id in enumerate(ids)}

    def alike(group: tuple[str, ...]) -> float:
        def share(a: str, b: str) -> float:
            return float(np.mean(signatures[row[a]] == signatures[row[b]]))

        return min(max(share(a, b) for b in group if b != a) for a in group)

    return alike


def precision(judged: Path) -> None:
    """The share of judged groups whose articles are all one story."""
    verdicts = [
        line.split("\t")[1]
        for line in judged.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    same = verdicts.count("same")
    print(f"{judged.name}: {same} of {len(verdicts)} groups one story: {same / len(verdicts):.1%}")


def replicated(index: Path, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids (sorted), signatures and days of ``size`` articles copied from those of the
    generation of ``index`` as ``benchmarks/speed.py`` replicates a corpus."""
    import numpy as np

    manifest = json.loads((index / "searchlib.json").read_text("utf-8"))
    folder = index / manifest["generation"]
    ids = np.load(folder / duplicates.IDS)
    signatures = np.load(folder / duplicates.SIGNATURES)
    days = np.load(folder / duplicates.DAYS)
    copies = -(-size // len(ids))
    out_ids = np.concatenate([np.char.add(f"{k}-", ids) for k in range(copies)])[:size]
    out_days = []
    for k in range(copies):
        shifted = days.copy()
        for n, day in enumerate(days.tolist()):
            date = None if day == duplicates.UNDATED else dt.date.fromordinal(day)
            if date is not None and (date.month, date.day) != (2, 29):
                shifted[n] = date.replace(year=date.year + k % 20).toordinal()
        out_days.append(shifted)
    all_days = np.concatenate(out_days)[:size]
    all_signatures = np.concatenate([signatures] * copies)[:size]
    order = np.argsort(out_ids, kind="stable")
    return out_ids[order], all_signatures[order], all_days[order]


def scale_child(index: Path, size: int) -> None:
    """Print (JSON) the grouping step's seconds and added peak memory at ``size`` articles."""
    ids, signatures, days = replicated(index, size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    groups = duplicates.find_groups(ids, signatures, days)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest = hashlib.sha256(json.dumps(groups).encode()).hexdigest()[:12]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "added_mb": peak - before,
                "groups": len(groups),
                "digest": digest,
                "input_mb": before,
            }
        )
    )


def scale(index: Path, sizes: list[str], baseline: Path | None) -> None:
    """The table of :func:`scale_child` at each size, for this checkout and ``baseline``."""
    checkouts = [("this checkout", REPO)] + ([("baseline", baseline)] if baseline else [])
    print(f"\nfind_groups on the signatures of {index} replicated, {dt.date.today()}\n")
    print("| articles | checkout | seconds | peak added MB | groups | same groups |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for name in sizes:
        size = int(name.lower().replace("k", "000").replace("m", "000000"))
        found = {}
        for label, checkout in checkouts:
            done = subprocess.run(
                [sys.executable, __file__, "--index", str(index), "--scale-child", str(size)],
                env={**os.environ, "DUPLICATES_CHECKOUT": str(checkout)},
                capture_output=True,
                text=True,
                check=True,
            )
            found[label] = json.loads(done.stdout.splitlines()[-1])
        same = len({row["digest"] for row in found.values()}) == 1
        for label, row in found.items():
            print(
                f"| {size:,} | {label} | {row['seconds']:.1f} | {row['added_mb']:,.0f} "
                f"| {row['groups']:,} | {'yes' if same else 'no'} |",
                flush=True,
            )


def main() -> None:
    """Run what the options ask and print a Markdown table of the build costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--corpus", default="reuters21578")
    parser.add_argument("--index", type=Path, help="Sample or judge this built index instead.")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--weakest", type=int, default=0)
    parser.add_argument("--judged", type=Path, action="append", default=[])
    parser.add_argument("--keep", type=Path, help="Build in this (new) folder and keep it.")
    parser.add_argument("--scale", help="Time grouping at these sizes (100k,1m) from --index.")
    parser.add_argument("--baseline", type=Path, help="With --scale: this checkout too.")
    parser.add_argument("--scale-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.index, args.scale_child)
        return
    if args.scale:
        scale(args.index, args.scale.split(","), args.baseline)
        return
    for judged in args.judged:
        precision(judged)
    if args.index is not None:
        if args.sample:
            sample(args.index, args.sample)
        if args.weakest:
            sample(args.index, args.weakest, weakest=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = costs(args.data / args.corpus / "docs.jsonl", folder)
        print(f"\n{args.corpus}, {dt.date.today()}\n")
        print("| build | build s | detection s | build / build without detection |")
        print("| --- | ---: | ---: | ---: |")
        for label, total, spent in rows:
            print(f"| {label} | {total:.2f} | {spent:.2f} | {total / (total - spent):.3f} |")
        if args.sample:
            sample(folder / "ix", args.sample)


if __name__ == "__main__":
    main()
