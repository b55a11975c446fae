"""Before/after of the impact sidecar: query latency through Whoosh and through the sidecar.

    python benchmarks/impacts.py INDEX --corpus 100k [--queries 50] [--classes phrase] [--plain]

INDEX is a built searchlib index, for example one left by ``speed.py --keep-indexes`` in
``~/.cache/searchlib-bench/indexes/100k/searchlib/index``. It is not changed: its current
generation is hard-linked into a temporary folder and the sidecar written there (timed). Then
the speed benchmark's 1-, 2-, 5-10-word and phrase queries run through both paths of the same
open index (``Index.search`` counts its four facets every time), after a warm-up, and each
query's two answers are compared (ids, scores, total, facets). Phrases also run a third way:
the sidecar with their matching and scoring left to Whoosh's matchers, as before the sidecar
kept positions. With ``--plain`` each search asks for the top 10 only (no snippets, no facets),
as ``speed.py``'s plain rows do. Prints p50/p95 in ms per class.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import speed  # the benchmark's corpora and queries

import searchlib
from searchlib.engine.sidecar import files as impacts
from searchlib.engine.sidecar.scorer import SidecarEngine
from searchlib.store.manifest import MANIFEST, SOURCES_STATE

CLASSES = ("1-word", "2-word", "5-10-word", "phrase")
#: Searches the sidecar answered (the others go to Whoosh: phrases, prefixes, sort by date…).
answered: list[bool] = []


def _counted(run: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        result = run(*args, **kwargs)
        answered.append(result is not None)
        return result

    return counted


class _NoPositions:
    """Phrases left to Whoosh's matchers: the sidecar before it kept positions."""

    def scores(self, query: Any) -> None:
        return None


def copy_index(source: Path, target: Path) -> str:
    """Hard-link the current generation of ``source`` into ``target``; its generation name."""
    target.mkdir()
    shutil.copy(source / MANIFEST, target / MANIFEST)
    manifest = (target / MANIFEST).read_text("utf-8")
    generation = next(p.name for p in source.glob("gen-*") if f'"{p.name}"' in manifest)
    (target / generation).mkdir()
    for item in (source / generation).iterdir():
        if item.is_file() and item.name != SOURCES_STATE:
            os.link(item, target / generation / item.name)
    return generation


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--corpus", default="100k")
    parser.add_argument("--queries", type=int, default=50, help="per class")
    parser.add_argument("--workdir", type=Path, default=speed.DEFAULT_WORKDIR)
    parser.add_argument("--classes", default=",".join(CLASSES), help="comma-separated")
    parser.add_argument("--plain", action="store_true", help="top 10 only: no snippets, facets")
    args = parser.parse_args()
    options: dict[str, Any] = (
        {"limit": 10, "facet_limit": 0, "snippets": False} if args.plain else {}
    )
    classes = [name for name in args.classes.split(",") if name]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "index"
        generation = copy_index(args.index, folder)
        started = time.perf_counter()
        impacts.write(folder / generation, generation)
        seconds = time.perf_counter() - started
        size = sum(f.stat().st_size for f in (folder / generation).glob(f"{impacts.PREFIX}*"))
        print(f"sidecar: built in {seconds:.1f} s, {size / 2**20:.1f} MB")
        SidecarEngine._run = _counted(SidecarEngine._run)  # type: ignore[method-assign]
        engines = {False: searchlib.open(folder, engine="whoosh"), True: searchlib.open(folder)}
        assert engines[True].engine == "sidecar", "the sidecar did not load"
        before_positions = searchlib.open(folder)
        object.__setattr__(before_positions._engine.accel, "phrases", _NoPositions())
        corpus = speed.corpus_file(args.corpus, speed.DEFAULT_DATA, args.workdir)
        queries = speed.make_queries(corpus, args.queries + 5)
        for name in classes:  # warm-up with other queries than the timed ones
            for query in queries[name][args.queries :]:
                for use in (False, True):
                    engines[use].search(speed.query_text(query), **options)
                if name == "phrase":
                    before_positions.search(speed.query_text(query), **options)
        for name in classes:
            times: dict[bool, list[float]] = {False: [], True: []}
            old: list[float] = []
            answered.clear()
            for query in queries[name][: args.queries]:
                answers = {}
                for use in (False, True):
                    started = time.perf_counter()
                    results = engines[use].search(speed.query_text(query), **options)
                    times[use].append(1000 * (time.perf_counter() - started))
                    answers[use] = (
                        [h.id for h in results],
                        [round(h.score, 9) for h in results],
                        results.total,
                        results.facets,
                    )
                assert answers[False] == answers[True], query
                if name == "phrase":
                    started = time.perf_counter()
                    results = before_positions.search(speed.query_text(query), **options)
                    old.append(1000 * (time.perf_counter() - started))
                    assert [h.id for h in results] == answers[True][0], query
            before, after = times[False], times[True]
            print(
                f"{name}: Whoosh p50 {statistics.median(before):.1f} ms, "
                f"p95 {percentile(before, 0.95):.1f} ms; sidecar p50 "
                f"{statistics.median(after):.1f} ms, p95 {percentile(after, 0.95):.1f} ms "
                f"(p50 ×{statistics.median(before) / statistics.median(after):.1f}); "
                f"{sum(answered)} of {len(answered)} answered by the sidecar"
            )
            if old:
                print(
                    f"  phrases by Whoosh's matchers within the sidecar (before): p50 "
                    f"{statistics.median(old):.1f} ms, p95 {percentile(old, 0.95):.1f} ms "
                    f"(p50 ×{statistics.median(old) / statistics.median(after):.1f}, p95 "
                    f"×{percentile(old, 0.95) / percentile(after, 0.95):.1f})"
                )


if __name__ == "__main__":
    main()
