"""Where searchlib spends its time: a cProfile of its query path and of its build path.

    python benchmarks/profile_searchlib.py query INDEX [--corpus reuters] [--queries 50]
    python benchmarks/profile_searchlib.py build [--corpus reuters] [--articles 3000]

``query`` opens a built searchlib index (for example one left by ``speed.py --keep-indexes`` in
``~/.cache/searchlib-bench/indexes/100k/searchlib/index``), warms it up, then profiles
``Index.search`` on the speed benchmark's queries, the four classes in turn (first timed
without the profiler; ``--ids-only`` searches as the benchmark's "top 10 ids" rows, without
facets or snippets). ``build`` profiles ``searchlib.build`` on the first N articles of a
corpus. Both print the stages as shares of the profiled time: inclusive time of the functions
that make up each stage, and self time by package. The profiler's overhead inflates small,
frequent Python calls, so read shares, not milliseconds.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import speed  # the benchmark's corpora and queries

# Stages of the query path: (label, file suffix, function name); inclusive (cumulative) time.
QUERY_STAGES = [
    ("Index.search, all of it", "searchlib/search/index.py", "search"),
    ("parse (the query language, Whoosh's parser)", "searchlib/engine/whoosh/searcher.py", "parse"),
    ("filter (date and entity filters)", "searchlib/engine/whoosh/searcher.py", "filter"),
    ("SidecarEngine.run (match, score, feed back, rank, count)", "engine/sidecar/scorer.py", "run"),
    ("  words (postings of OR-ed words, or a phrase)", "engine/sidecar/scorer.py", "words"),
    ("    _summed (dense sums over every article)", "engine/sidecar/scorer.py", "_summed"),
    ("    PhraseScorer.scores (phrases from positions)", "engine/sidecar/positions.py", "scores"),
    ("  bag (AND, NOT, + queries over every article)", "engine/sidecar/scorer.py", "bag"),
    ("  _whoosh_scores (shapes left to Whoosh)", "sidecar/scorer.py", "_whoosh_scores"),
    ("  _best (the feedback articles: top 10 of the first pass)", "sidecar/scorer.py", "_best"),
    ("  with_feedback (choose the 20 feedback terms)", "engine/whoosh/ranking.py", "with_feedback"),
    ("  prune.best (feedback scores, MaxScore-pruned)", "engine/sidecar/prune.py", "best"),
    ("  add_words (feedback scores of every match)", "engine/sidecar/scorer.py", "add_words"),
    ("  counts (facets over every match)", "searchlib/engine/whoosh/searcher.py", "counts"),
    ("_hits (stored fields, snippets, entities of the page)", "search/index.py", "_hits"),
    ("  stored_fields (our codec: one zlib'd JSON a hit)", "whoosh/codec.py", "stored_fields"),
    ("  make_snippet (tokenize + stem the body)", "searchlib/search/snippets.py", "make_snippet"),
    ("suggest_spelling (did-you-mean check)", "searchlib/search/spelling.py", "suggest_spelling"),
]  # fmt: skip
BUILD_STAGES = [
    ("searchlib.build, all of it", "searchlib/store/build.py", "build"),
    ("read_sources (JSONL reading)", "searchlib/prepare/sources.py", "read_sources"),
    ("prepare (header, title, date, entities)", "searchlib/prepare/articles.py", "prepare"),
    ("  extract_mentions (the tagger, all of it)", "searchlib/prepare/ner.py", "extract_mentions"),
    ("    loading the models and word lists", "searchlib/prepare/ner.py", "_recognizer"),
    ("    _analyse (tokenize, features of every token)", "searchlib/prepare/ner.py", "_analyse"),
    ("      _token_features (a word's, once)", "prepare/ner.py", "_token_features"),
    ("    labels (two CRF taggers, crfsuite's C)", "searchlib/prepare/ner.py", "labels"),
    ("      _consistency (stage two's features)", "searchlib/prepare/ner.py", "_consistency"),
    ("  article_entities (mention rules, names)", "prepare/entities.py", "article_entities"),
    ("    _places (loading the gazetteer)", "searchlib/prepare/places.py", "_places"),
    ("analyze_document (words, stems, postings)", "whoosh/schema.py", "analyze_document"),
    ("  Snowball stemming (NLTK)", "nltk/stem/snowball.py", "stem"),
    ("add_document (Whoosh in-memory postings)", "whoosh/writing.py", "add_document"),
    ("SegmentPostings.add (the sidecar's postings)", "searchlib/engine/sidecar/parts.py", "add"),
    ("_finalize_segment (Whoosh writes a segment)", "whoosh/writing.py", "_finalize_segment"),
    ("sidecar files (impacts.write)", "searchlib/engine/sidecar/files.py", "write"),
    ("spelling.write (the vocabulary's deletions)", "searchlib/engine/spelling.py", "write"),
    ("duplicates.write (MinHash of every article)", "searchlib/store/duplicates.py", "write"),
    ("write_entity_table (joins the names)", "store/entity_table.py", "write_entity_table"),
]  # fmt: skip
TOP = 12
PACKAGES = [
    ("searchlib.prepare.articles", "searchlib/prepare/articles.py"),
    ("searchlib.text", "searchlib/text.py"),
    ("searchlib.prepare.entities", "searchlib/prepare/entities.py"),
    ("searchlib (other)", "searchlib/"),
    ("nltk", "/nltk/"),
    ("whoosh.analysis", "/whoosh/analysis/"),
    ("whoosh (other)", "/whoosh/"),
]


def inclusive(stats: pstats.Stats, suffix: str, name: str) -> float:
    """Inclusive time of every function called ``name`` in files ending with ``suffix``.

    cProfile counts a recursive function's inclusive time once per outermost call, so the
    largest entry wins rather than a sum when the same name appears at several lines.
    """
    found = [
        cumulative
        for (path, _, function), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
        if function == name and path.endswith(suffix)
    ]
    return max(found, default=0.0)


def by_package(stats: pstats.Stats) -> Counter[str]:
    """Self time grouped by the package a function belongs to."""
    shares: Counter[str] = Counter()
    for (path, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if path == "~":  # cProfile's name for C functions: pickle, zlib, re, sorted…
            label = "C built-ins (pickle, zlib, re, sorted…)"
        else:
            label = next((label for label, part in PACKAGES if part in path), "other Python")
        shares[label] += own
    return shares


def report(stats: pstats.Stats, stages: list[tuple[str, str, str]], total: float) -> str:
    lines = ["| stage | seconds | share |", "|---|---|---|"]
    for label, suffix, name in stages:
        seconds = inclusive(stats, suffix, name)
        lines.append(f"| {label} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    lines += ["", "| self time by package | seconds | share |", "|---|---|---|"]
    for label, seconds in by_package(stats).most_common():
        lines.append(f"| {label} | {seconds:.2f} | {100 * seconds / total:.0f}% |")
    lines += ["", "| top functions by self time | calls | seconds | share |", "|---|---|---|---|"]
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:TOP]  # type: ignore[attr-defined]
    for (path, line, function), (_, calls, own, _, _) in top:
        where = function if path == "~" else f"{short(path)}:{line} {function}"
        lines.append(f"| `{where}` | {calls:,} | {own:.2f} | {100 * own / total:.0f}% |")
    return "\n".join(lines)


def short(path: str) -> str:
    """A file's path from its package down (whoosh/matching/mcore.py)."""
    parts = Path(path).parts
    for anchor in ("searchlib", "whoosh", "nltk"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor) :])
    return Path(path).name


def profile_queries(index: Path, source: Path, count: int, ids_only: bool = False) -> str:
    """Time then profile ``Index.search`` on the speed benchmark's queries: each class's median
    without the profiler first (what the benchmark measures), then all of them profiled.
    ``ids_only`` searches as the benchmark's "top 10 ids" rows do: no facets, no snippets."""
    import searchlib

    ix = searchlib.open(index)
    options = {"facet_limit": 0, "snippets": False} if ids_only else {}

    def search(query: speed.Query) -> None:
        ix.search(speed.query_text(query), limit=speed.LIMIT, **options)

    per_class = max(1, count // len(speed.CLASSES))
    classes = speed.make_queries(source, per_class)
    queries = [q for qs in classes.values() for q in qs]
    for query in speed.make_queries(source, 5, speed.WARMUP_SEED)["2-word"]:
        search(query)  # warm-up (with facets, it also loads the facet columns)
    timed = ["| class (no profiler) | queries | p50 ms | mean ms |", "|---|---|---|---|"]
    for name, class_queries in classes.items():
        took = []
        for query in class_queries:
            t0 = time.perf_counter()
            search(query)
            took.append(1000 * (time.perf_counter() - t0))
        mean = sum(took) / len(took)
        timed.append(f"| {name} | {len(took)} | {speed.percentile(took, 50):.2f} | {mean:.2f} |")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for query in queries:
        search(query)
    profiler.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = inclusive(stats, "searchlib/search/index.py", "search")
    head = (
        f"{len(queries)} queries ({per_class} per class) on {len(ix):,} articles"
        f"{', ids only (no facets, no snippets)' if ids_only else ''}: "
        f"{wall:.1f} s under the profiler, {1000 * wall / len(queries):.1f} ms a query."
    )
    return "\n\n".join([head, "\n".join(timed), report(stats, QUERY_STAGES, total)])


def profile_build(source: Path, articles: int) -> str:
    import searchlib

    with tempfile.TemporaryDirectory(prefix="profile-build-") as tmp:
        subset = Path(tmp) / "subset.jsonl"
        with source.open(encoding="utf-8") as f, subset.open("w", encoding="utf-8") as out:
            for n, line in enumerate(f):
                if n == articles:
                    break
                out.write(line)
        # CPU time, not wall time: the machine may be shared.
        profiler = cProfile.Profile(time.process_time)
        start = time.perf_counter()
        profiler.enable()
        built = searchlib.build(Path(tmp) / "index", [subset])
        profiler.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = inclusive(stats, "searchlib/store/build.py", "build")
    head = (
        f"{built.articles:,} articles: {wall:.1f} s under the profiler "
        f"({built.articles / wall:.0f} articles/s)."
    )
    return head + "\n\n" + report(stats, BUILD_STAGES, total)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", choices=("query", "build"), help="which path to profile")
    ap.add_argument("index", nargs="?", type=Path, help="a built searchlib index (for query)")
    ap.add_argument("--corpus", default="reuters", help="where queries or articles come from")
    ap.add_argument("--queries", type=int, default=50, help="queries to profile")
    ap.add_argument("--articles", type=int, default=3000, help="articles to build")
    ap.add_argument(
        "--ids-only", action="store_true", help="query: no facets, no snippets (speed.py's rows)"
    )
    ap.add_argument("--data", type=Path, default=speed.DEFAULT_DATA)
    ap.add_argument("--workdir", type=Path, default=speed.DEFAULT_WORKDIR)
    args = ap.parse_args(argv)
    if args.path == "query":
        if args.index is None:
            ap.error("query needs the path of a built index")
        source = speed.query_source(args.corpus, args.data, args.workdir)
        print(profile_queries(args.index, source, args.queries, args.ids_only))
    else:
        source = speed.corpus_file(args.corpus, args.data, args.workdir)
        print(profile_build(source, args.articles))
    return 0


if __name__ == "__main__":
    sys.exit(main())
