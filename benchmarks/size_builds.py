"""Index size beside build and mending times: one checkout's full and incremental builds of Reuters.

    python benchmarks/size_builds.py OUT [--data DIR] [--workers N]
    python benchmarks/size_builds.py --compare INDEX_A INDEX_B

The first form copies reuters21578's docs.jsonl into the folder OUT (emptied first) and builds
it there with the searchlib this script is run with (``PYTHONPATH=CHECKOUT`` for another
checkout): a full build in one process (kept, and measured by ``index_size.py`` into
``OUT/size.md``), a full build with ``--workers N`` (removed), a search timing, then one
article of the file changed and a second file of 100 articles added (each an incremental
build of the kept index). It prints the seconds as JSON (also ``OUT/times.json``).

The second form times searches of two built indexes in one process, alternating (the same
queries, with and without snippets): a machine's load then weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from edits import change_one_story

REPO = Path(__file__).resolve().parent.parent
QUERIES = (
    "oil prices",
    "bank interest rates",
    "coffee",
    '"crude oil"',
    "dollar yen trade surplus",
    "wheat exports",
    "opec",
    '"interest rates"',
)


def search_ms(indexes: list[object], rounds: int, **options: object) -> list[float]:
    """Median milliseconds of a search of each index (rounds of every query, alternating)."""
    times: list[list[float]] = [[] for _ in indexes]
    for warm in (True, False):
        for _ in range(1 if warm else rounds):
            for index, spent in zip(indexes, times, strict=True):
                for query in QUERIES:
                    started = time.perf_counter()
                    list(index.search(query, **options))  # type: ignore[attr-defined]
                    if not warm:
                        spent.append(time.perf_counter() - started)
    return [statistics.median(spent) * 1000 for spent in times]


def builds(out: Path, data: Path, workers: int) -> dict[str, float]:
    import searchlib

    corpus = data / "reuters21578" / "docs.jsonl"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    source = out / "docs.jsonl"
    shutil.copyfile(corpus, source)
    old = time.time() - 3600  # as a file that has not changed since the last build
    os.utime(source, (old, old))
    times: dict[str, float] = {}
    full = searchlib.build(out / "index", [source])
    times["full build, 1 process"] = full.seconds
    measure = REPO / "benchmarks" / "index_size.py"
    size = subprocess.run(
        [sys.executable, str(measure), str(out / "index"), "--source", str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    (out / "size.md").write_text(size.stdout, "utf-8")
    parallel = searchlib.build(out / "parallel", [source], workers=workers)
    times[f"full build, --workers {workers}"] = parallel.seconds
    shutil.rmtree(out / "parallel")
    index = searchlib.open(out / "index")
    times["search, no snippets (ms)"] = search_ms([index], 5, snippets=False)[0]
    times["search with snippets (ms)"] = search_ms([index], 5)[0]

    lines = change_one_story(source, old + 60)
    one = searchlib.build(out / "index")
    assert (one.updated, one.unchanged) == (1, full.articles - 1), one
    times["one article updated"] = one.seconds
    extra = out / "extra.jsonl"
    with extra.open("w", encoding="utf-8") as handle:
        for number, line in enumerate(lines[:100]):
            handle.write(json.dumps({**json.loads(line), "id": f"new-{number}"}) + "\n")
    added = searchlib.build(out / "index", [source, extra])
    assert added.added == 100, added
    times["100 articles added"] = added.seconds
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", type=Path, nargs=2, metavar="INDEX")
    args = parser.parse_args()
    if args.compare:
        import searchlib

        indexes = [searchlib.open(path) for path in args.compare]
        for label, options in (("no snippets", {"snippets": False}), ("with snippets", {})):
            first, second = search_ms(indexes, 15, **options)
            print(f"search {label}: {first:.2f} ms / {second:.2f} ms")
        return
    if args.out is None:
        parser.error("give OUT, or --compare INDEX_A INDEX_B")
    times = builds(args.out, args.data, args.workers)
    (args.out / "times.json").write_text(json.dumps(times, indent=1), "utf-8")
    print(json.dumps(times, indent=1))


if __name__ == "__main__":  # (worker processes import this module again)
    main()
