"""Benchmark: near-duplicate detection's share of a build, and the precision of judged groups.

    python benchmarks/duplicates.py [--data DIR] [--corpus reuters21578] [--sample 40]
    python benchmarks/duplicates.py --index /tmp/reuters --sample 40 --weakest 20
    python benchmarks/duplicates.py --judged benchmarks/truth/duplicates-reuters21578.tsv

A full build (one process) and a one-article-changed build of the corpus, each timed whole and
in its detection step (``searchlib.store.duplicates.write``, timed by wrapping it here, in the
same run); the cost is the build's time over the time it would take without detection. With
``--sample N`` it prints N groups drawn at random (seed 17) for reading, with ``--weakest N``
the N groups whose weakest member is least like the others (the hardest cases); with
``--judged FILE`` (``group's first id<TAB>same|different<TAB>note`` lines, as in
``benchmarks/truth/duplicates/``) the precision of those groups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import searchlib  # noqa: E402
from searchlib.store import build as build_module  # noqa: E402
from searchlib.store import duplicates  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

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
    args = parser.parse_args()
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
