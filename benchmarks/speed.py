"""Speed benchmark: build and query speed of searchlib and its peers, from 20k to 1M articles.

    python benchmarks/speed.py [--corpora reuters,bbc,100k,1m] [--engines searchlib,whoosh,...]
                               [--repeat 3] [--queries 200] [--json] [--out benchmarks/RESULTS.md]
                               [--keep-indexes] [--reuse-indexes]

Corpora: ``reuters`` (Reuters-21578, 19,779 articles), ``bbc`` (2,225), and Reuters replicated
to N articles (``100k``, ``1m``, any ``<n>k`` or ``<n>m``): copy k of every article gets the id
``<k>-<id>`` and its date moved k % 20 years on, the text unchanged. Replicated corpora are
written once, deterministically, into ``--workdir`` (default ``~/.cache/searchlib-bench``),
never into the repository. A path to any ``.jsonl`` file works as a corpus too.

For each corpus and engine, one subprocess builds the index and a second one opens it and runs
the queries, so that each engine's peak memory (``ru_maxrss``) is its own and a search starts
from an index on disk, as it would for a user. Queries are drawn with a fixed seed from the
corpus's own words and are the same for every engine: four classes (one word, two words, five to
ten words OR-ed, and two- or three-word phrases found in the texts), each timed without and with a
year facet, after a warm-up with other queries. Every engine returns the top 10 with their ids.

Times on a shared machine are noisy, so each row also gives ratios to a baseline measured in the
same run (query p50 / tantivy's p50, build speed / plain Whoosh's), and ``--repeat N`` reports
the median of N runs of everything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmark this checkout's searchlib, installed or not

DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_WORKDIR = Path.home() / ".cache" / "searchlib-bench"
DEFAULT_CORPORA = ("reuters", "bbc", "100k")
REPLICATED_FROM = "reuters21578"
NAMED_CORPORA = {"reuters": "reuters21578", "bbc": "bbc"}
ENGINE_NAMES = ("searchlib", "whoosh", "sqlite-fts5", "tantivy", "bm25s")
CLASSES = ("1-word", "2-word", "5-10-word", "phrase")
LIMIT = 10
#: searchlib builds with this many analysis processes (the targets are for --workers 2).
BUILD_WORKERS = min(2, os.cpu_count() or 1)
SEED = 7
WARMUP_SEED = 8
QUERY_BASELINE = "tantivy"
BUILD_BASELINE = "whoosh"
RESULTS_SECTION = "## Speed (build and query)"

Query = dict[str, Any]  # {"words": [str, ...], "phrase": bool}
Answer = tuple[list[str], dict[str, int] | None]  # top ids, year counts (None: not asked)
Search = Callable[[Query, bool], Answer]


class Skip(Exception):
    """An engine cannot run here (its package is not installed)."""


class Unsupported(Exception):
    """An engine has no way to answer this kind of query (reported as n/a)."""


# --- corpora ------------------------------------------------------------------------------------


def corpus_size(name: str) -> int | None:
    """The article count of a replicated corpus name such as ``100k`` or ``1m``, else None."""
    match = re.fullmatch(r"(\d+)([km]?)", name.lower())
    if not match:
        return None
    return int(match[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[match[2]]


def corpus_file(name: str, data: Path, workdir: Path) -> Path:
    """The JSONL file of a corpus, writing a replicated one first if it is not there yet."""
    if name in NAMED_CORPORA:
        return data / NAMED_CORPORA[name] / "docs.jsonl"
    size = corpus_size(name)
    if size is None:
        path = Path(name)
        if path.suffix == ".jsonl" and path.is_file():
            return path
        raise ValueError(f"unknown corpus {name!r}: use reuters, bbc, 100k, 1m or a .jsonl path")
    path = workdir / "corpora" / f"{REPLICATED_FROM}-{name.lower()}.jsonl"
    if not path.is_file():
        replicate(data / REPLICATED_FROM / "docs.jsonl", path, size)
    return path


def replicate(source: Path, target: Path, size: int) -> None:
    """Write ``size`` articles: copies of ``source`` with distinct ids and shifted years."""
    lines = source.read_text("utf-8").splitlines()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("w", encoding="utf-8") as out:
        for n in range(size):
            copy, doc = divmod(n, len(lines))
            record = json.loads(lines[doc])
            record["id"] = f"{copy}-{record['id']}"
            date = record.get("date")
            if date and re.fullmatch(r"\d{4}-\d\d-\d\d", date) and date[5:] != "02-29":
                # Spread the years so a year facet has values to count at scale.
                record["date"] = f"{int(date[:4]) + copy % 20}{date[4:]}"
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(partial, target)  # a half-written corpus is never taken for a whole one


def query_source(name: str, data: Path, workdir: Path) -> Path:
    """Where a corpus's queries come from: a replicated corpus has its original's words."""
    if corpus_size(name) is not None:
        return data / REPLICATED_FROM / "docs.jsonl"
    return corpus_file(name, data, workdir)


def read_docs(path: Path) -> list[dict[str, Any]]:
    """Id, title, text and year (an int, 0 when undated) of every article of a JSONL file."""
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            date = d.get("date") or ""
            docs.append(
                {
                    "id": str(d["id"]),
                    "title": d.get("title") or "",
                    "text": d.get("text") or "",
                    "year": int(date[:4]) if date[:4].isdigit() else 0,
                }
            )
    return docs


# --- queries ------------------------------------------------------------------------------------

WORD = re.compile(r"[a-z]{3,20}")


def stop_words() -> set[str]:
    """Every engine's stop words: a query word that one engine drops would not be a fair test."""
    from whoosh.analysis import STOP_WORDS

    from searchlib.text import stopwords

    words = set(STOP_WORDS) | set(stopwords())
    try:
        from bm25s.stopwords import STOPWORDS_EN

        words |= set(STOPWORDS_EN)
    except ImportError:
        pass
    # Words that some query parser reads as an operator, whatever their case.
    return words | {"and", "or", "not", "near", "to"}


def make_queries(path: Path, per_class: int, seed: int = SEED) -> dict[str, list[Query]]:
    """Draw ``per_class`` distinct queries of each class from the words of a JSONL corpus.

    Words are plain lower-case alphabetic tokens that no engine treats as a stop word. One- and
    two-word queries use words in a middle document-frequency band (0.2% to 2% of articles),
    the 5-10 word ones mix rare, middle and frequent words, and phrases are runs of two or three
    such words that stand next to each other in a random article.
    """
    rng = random.Random(seed)
    stops = stop_words()
    texts = [f"{d['title']}\n{d['text']}" for d in read_docs(path)]
    df: Counter[str] = Counter()
    for text in texts:
        df.update({w for w in WORD.findall(text.lower()) if w not in stops})
    n = len(texts)
    vocabulary = sorted(df)
    rare = [w for w in vocabulary if 5 <= df[w] < max(6, 0.002 * n)]
    middle = [w for w in vocabulary if 0.002 * n <= df[w] <= max(0.02 * n, 5)]
    frequent = [w for w in vocabulary if 0.02 * n < df[w] <= 0.2 * n]
    middle = middle or vocabulary  # tiny corpora have no bands to speak of
    bands = [b for b in (rare, middle, frequent) if b] or [vocabulary]

    def distinct(draw: Callable[[], list[str]]) -> list[Query]:
        seen: dict[tuple[str, ...], None] = {}
        for _ in range(per_class * 50):
            words = draw()
            if words and len(set(words)) == len(words):
                seen.setdefault(tuple(words))
            if len(seen) == per_class:
                break
        return [{"words": list(words), "phrase": False} for words in seen]

    def phrase() -> list[str]:
        tokens = rng.choice(texts).split()
        length = rng.choice((2, 3))
        starts = list(range(len(tokens) - length + 1))
        rng.shuffle(starts)
        for start in starts[:50]:
            # Whole tokens only (no punctuation inside or around), so every tokenizer sees the
            # same consecutive words.
            run = [t.lower() for t in tokens[start : start + length]]
            if all(WORD.fullmatch(t) and t not in stops for t in run):
                return run
        return []

    queries = {
        "1-word": distinct(lambda: [rng.choice(middle)]),
        "2-word": distinct(lambda: rng.sample(middle, 2) if len(middle) > 1 else []),
        "5-10-word": distinct(
            lambda: [rng.choice(rng.choice(bands)) for _ in range(rng.randint(5, 10))]
        ),
        "phrase": distinct(phrase),
    }
    for query in queries["phrase"]:
        query["phrase"] = True
    return queries


def query_text(query: Query) -> str:
    """The query as typed into Whoosh, tantivy or searchlib: OR-ed words, or a quoted phrase."""
    words = " ".join(query["words"])
    return f'"{words}"' if query["phrase"] else words


# --- engines: build(docs file, folder) -> article count; open(folder) -> search function ----------


def searchlib_build(corpus: Path, folder: Path) -> int:
    """searchlib through its public API only; the one place to change if that API moves."""
    import searchlib

    return searchlib.build(folder / "index", [corpus], workers=BUILD_WORKERS).articles


def searchlib_open(folder: Path) -> Search:
    import searchlib

    ix = searchlib.open(folder / "index")

    def search(query: Query, facets: bool) -> Answer:
        if not facets:  # the top 10 ids, as the other engines give them
            results = ix.search(query_text(query), limit=LIMIT, facet_limit=0, snippets=False)
            return [hit.id for hit in results.hits], None
        # A default search: snippets, and counts of all four facets (year, person, org, place).
        results = ix.search(query_text(query), limit=LIMIT)
        return [hit.id for hit in results.hits], {v.value: v.count for v in results.facets["year"]}

    return search


def searchlib_sidecar_mb(folder: Path) -> float | None:
    """The impact sidecar's size on disk (its files in the current generation)."""
    files = list((folder / "index").glob("gen-*/impacts-*"))
    return sum(f.stat().st_size for f in files) / 1e6 if files else None


def whoosh_build(corpus: Path, folder: Path) -> int:
    from whoosh import index as whoosh_index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer()),
        body=TEXT(analyzer=StemmingAnalyzer()),
        year=ID(sortable=True),  # sortable: a column that faceting reads without stored fields
    )
    docs = read_docs(corpus)
    ix = whoosh_index.create_in(str(folder), schema)
    writer = ix.writer()
    for d in docs:
        fields = {"id": d["id"], "title": d["title"], "body": d["text"]}
        if d["year"]:
            fields["year"] = str(d["year"])
        writer.add_document(**fields)
    writer.commit()
    return len(docs)


def whoosh_open(folder: Path) -> Search:
    from whoosh import index as whoosh_index
    from whoosh import sorting
    from whoosh.qparser import MultifieldParser, OrGroup

    ix = whoosh_index.open_dir(str(folder))
    searcher = ix.searcher()  # BM25F with default parameters
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    year_facet = sorting.FieldFacet("year", maptype=sorting.Count)

    def search(query: Query, facets: bool) -> Answer:
        parsed = parser.parse(query_text(query))
        if not facets:
            return [hit["id"] for hit in searcher.search(parsed, limit=LIMIT)], None
        results = searcher.search(parsed, limit=LIMIT, groupedby={"year": year_facet})
        years = {year: count for year, count in results.groups("year").items() if year}
        # With groupedby, Whoosh keeps every match in the results, not only the top 10.
        return [hit["id"] for hit in results[:LIMIT]], years

    return search


def fts5_build(corpus: Path, folder: Path) -> int:
    docs = read_docs(corpus)
    db = sqlite3.connect(folder / "fts5.db")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, year UNINDEXED, title, body, "
        "tokenize='porter unicode61')"
    )
    with db:
        db.executemany(
            "INSERT INTO docs (id, year, title, body) VALUES (?, ?, ?, ?)",
            ((d["id"], d["year"] or None, d["title"], d["text"]) for d in docs),
        )
    db.close()
    return len(docs)


def fts5_open(folder: Path) -> Search:
    db = sqlite3.connect(folder / "fts5.db")

    def search(query: Query, facets: bool) -> Answer:
        words = [f'"{word}"' for word in query["words"]]  # quoted: NEAR and the like stay words
        match = f'"{" ".join(query["words"])}"' if query["phrase"] else " OR ".join(words)
        rows = db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, LIMIT)
        )
        ids = [docid for (docid,) in rows]
        if not facets:
            return ids, None
        rows = db.execute(
            "SELECT year, count(*) FROM docs WHERE docs MATCH ? AND year IS NOT NULL GROUP BY year",
            (match,),
        )
        return ids, {str(year): count for year, count in rows}

    return search


def tantivy_build(corpus: Path, folder: Path) -> int:
    try:
        import tantivy
    except ImportError as e:
        raise Skip(f"tantivy not installed ({e})") from e
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    builder.add_integer_field("year", fast=True, indexed=False)  # fast field: for aggregations
    docs = read_docs(corpus)
    index = tantivy.Index(builder.build(), path=str(folder))
    # One indexing thread, as in relevance.py: the Python engines build on one core too.
    writer = index.writer(heap_size=100_000_000, num_threads=1)
    for d in docs:
        fields = {"id": d["id"], "title": d["title"], "body": d["text"]}
        if d["year"]:
            fields["year"] = d["year"]
        writer.add_document(tantivy.Document(**fields))
    writer.commit()
    writer.wait_merging_threads()
    return len(docs)


def tantivy_open(folder: Path) -> Search:
    try:
        import tantivy
    except ImportError as e:
        raise Skip(f"tantivy not installed ({e})") from e
    index = tantivy.Index.open(str(folder))
    searcher = index.searcher()
    aggregation = {"year": {"terms": {"field": "year", "size": 1000}}}

    def search(query: Query, facets: bool) -> Answer:
        parsed = index.parse_query(query_text(query), ["title", "body"])
        hits = searcher.search(parsed, LIMIT, count=facets).hits
        ids = [searcher.doc(address)["id"][0] for _, address in hits]
        if not facets:
            return ids, None
        buckets = searcher.aggregate(parsed, aggregation)["year"]["buckets"]
        return ids, {str(b["key"]): b["doc_count"] for b in buckets}

    return search


def _bm25s_modules() -> tuple[Any, Any]:
    try:
        import bm25s
        import Stemmer
    except ImportError as e:
        raise Skip(f"bm25s or PyStemmer not installed ({e})") from e
    return bm25s, Stemmer


def bm25s_build(corpus: Path, folder: Path) -> int:
    import numpy as np

    bm25s, Stemmer = _bm25s_modules()
    docs = read_docs(corpus)
    stemmer = Stemmer.Stemmer("english")
    corpus_text = [f"{d['title']} {d['text']}" for d in docs]
    tokens = bm25s.tokenize(corpus_text, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    retriever.save(folder / "bm25s", show_progress=False)
    # bm25s keeps no fields: the ids and years live beside its matrices.
    (folder / "ids.json").write_text(json.dumps([d["id"] for d in docs]), "utf-8")
    np.save(folder / "years.npy", np.array([d["year"] for d in docs], dtype=np.int32))
    return len(docs)


def bm25s_open(folder: Path) -> Search:
    import numpy as np

    bm25s, Stemmer = _bm25s_modules()
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25.load(folder / "bm25s", show_progress=False)
    ids = json.loads((folder / "ids.json").read_text("utf-8"))
    years = np.load(folder / "years.npy")
    k = min(LIMIT, len(ids))

    def search(query: Query, facets: bool) -> Answer:
        if query["phrase"]:
            raise Unsupported("bm25s has no phrase queries")
        words = bm25s.tokenize(
            [" ".join(query["words"])],
            stopwords="en",
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )
        if not facets:
            found, scores = retriever.retrieve(words, k=k, show_progress=False, n_threads=1)
            return [ids[i] for i, s in zip(found[0], scores[0], strict=True) if s > 0], None
        # One scoring pass serves both: the top 10 and the year counts of every match.
        scores = retriever.get_scores(words[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        matched = years[(scores > 0) & (years > 0)]
        values, counts = np.unique(matched, return_counts=True)
        return (
            [ids[i] for i in top if scores[i] > 0],
            {str(v): int(c) for v, c in zip(values, counts, strict=True)},
        )

    return search


ENGINES: dict[str, tuple[Callable[[Path, Path], int], Callable[[Path], Search]]] = {
    "searchlib": (searchlib_build, searchlib_open),
    "whoosh": (whoosh_build, whoosh_open),
    "sqlite-fts5": (fts5_build, fts5_open),
    "tantivy": (tantivy_build, tantivy_open),
    "bm25s": (bm25s_build, bm25s_open),
}
#: Engines whose search counts facets whatever is asked: one timing serves both columns.


# --- measuring (each in its own process; see child_main) --------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM first: Linux carries ``ru_maxrss`` across exec, so a child's would start at its
    parent's peak; the high-water mark of /proc is the child's own address space.
    """
    try:
        with open("/proc/self/status", encoding="utf-8") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    except (OSError, StopIteration, ValueError):
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


class ProcessTreeMemory:
    """Samples the resident memory of this process and all its descendants while it runs
    (searchlib's build workers are children of a forkserver, which ``RUSAGE_CHILDREN`` does
    not see): the largest sum over the tree, and each descendant's own peak (VmHWM)."""

    def __init__(self, interval: float = 0.2) -> None:
        import threading

        self.interval, self.total_mb, self.worker_mb = interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessTreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _status(pid: int) -> dict[str, int]:
        values = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("PPid", "VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
        return values

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            status = {int(d): self._status(int(d)) for d in os.listdir("/proc") if d.isdigit()}
            tree, grew = {me}, True
            while grew:
                more = {p for p, s in status.items() if s.get("PPid") in tree} - tree
                tree |= more
                grew = bool(more)
            total = sum(status.get(p, {}).get("VmRSS", 0) for p in tree) / 1024
            self.total_mb = max(self.total_mb, total)
            for pid in tree - {me}:
                self.worker_mb = max(self.worker_mb, status[pid].get("VmHWM", 0) / 1024)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure_build(engine: str, corpus: Path, folder: Path) -> dict[str, Any]:
    """Build an engine's index of ``corpus`` in an empty ``folder``: time, memory, size."""
    build, _ = ENGINES[engine]
    start = time.perf_counter()
    with ProcessTreeMemory() as tree:
        articles = build(corpus, folder)
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return {
        "articles": articles,
        "build_s": seconds,
        "articles_per_s": articles / seconds if seconds > 0 else 0.0,
        "build_rss_mb": peak_rss_mb(),
        # Worker processes (searchlib's analysis): the largest one's peak.
        "worker_rss_mb": max(children, tree.worker_mb) or None,
        # All processes together, sampled every 0.2 s.
        "total_rss_mb": max(tree.total_mb, peak_rss_mb()),
        "index_mb": folder_bytes(folder) / 1e6,
        "sidecar_mb": searchlib_sidecar_mb(folder) if engine == "searchlib" else None,
    }


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure_queries(
    engine: str,
    folder: Path,
    queries: dict[str, list[Query]],
    warmup: dict[str, list[Query]],
) -> dict[str, Any]:
    """Open an engine's index once, warm it up, then time every query of every class, without
    and with facets. Latencies in milliseconds; n/a classes are None."""
    _, open_ = ENGINES[engine]
    start = time.perf_counter()
    search = open_(folder)
    opened = time.perf_counter() - start
    both = (False, True)
    for facets in both:
        for query in (q for qs in warmup.values() for q in qs):
            with contextlib.suppress(Unsupported):
                search(query, facets)
    out: dict[str, Any] = {"open_s": opened, "classes": {}}
    for name, class_queries in queries.items():
        row: dict[str, Any] = {}
        for facets in both:
            latencies, hits = [], 0
            try:
                for query in class_queries:
                    t0 = time.perf_counter()
                    ids, _ = search(query, facets)
                    latencies.append(time.perf_counter() - t0)
                    hits += len(ids)
            except Unsupported:
                row["facets" if facets else "plain"] = None
                continue
            row["facets" if facets else "plain"] = {
                "queries": len(latencies),
                "hits": hits,
                "p50_ms": 1000 * percentile(latencies, 50),
                "p95_ms": 1000 * percentile(latencies, 95),
                "qps": len(latencies) / sum(latencies) if sum(latencies) > 0 else 0.0,
            }
        out["classes"][name] = row
    out["search_rss_mb"] = peak_rss_mb()
    return out


def run_child(args: list[str]) -> dict[str, Any]:
    """Run ``speed.py _child ARGS`` in a fresh interpreter and return the JSON it prints."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if "skip" in result:
        raise Skip(result["skip"])
    return result


def child_main(argv: list[str]) -> int:
    """``_child build ENGINE CORPUS FOLDER`` or ``_child query ENGINE FOLDER QUERIES``."""
    kind, engine, first, second = argv
    try:
        if kind == "build":
            result = measure_build(engine, Path(first), Path(second))
        else:
            spec = json.loads(Path(second).read_text("utf-8"))
            result = measure_queries(engine, Path(first), spec["queries"], spec["warmup"])
    except Skip as e:
        result = {"skip": str(e)}
    print(json.dumps(result))
    return 0


def run_engine(
    engine: str,
    corpus: Path,
    queries_file: Path,
    folder: Path,
    keep: bool = False,
    reuse: bool = False,
) -> dict[str, Any]:
    """Build then query one engine, each in its own process; the index is removed after
    (kept with ``keep``). With ``reuse`` an index a kept run left (with its build's numbers in
    ``BUILT``) is queried again without building it."""
    saved = folder / BUILT
    if reuse and saved.is_file():
        built = json.loads(saved.read_text("utf-8"))
    else:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        built = run_child(["build", engine, str(corpus), str(folder)])
        if keep or reuse:
            saved.write_text(json.dumps(built), "utf-8")
    try:
        queried = run_child(["query", engine, str(folder), str(queries_file)])
    finally:
        if not (keep or reuse):
            shutil.rmtree(folder, ignore_errors=True)
    return {**built, **queried}


#: Where a kept index's folder holds the numbers of its build (for ``--reuse-indexes``).
BUILT = "build-result.json"


# --- reporting ----------------------------------------------------------------------------------


def add_ratios(results: dict[str, dict[str, Any]]) -> None:
    """Ratios to the baselines of the same run and corpus, where those ran."""
    build_base = results.get(BUILD_BASELINE, {}).get("articles_per_s")
    query_base = results.get(QUERY_BASELINE, {}).get("classes", {})
    for r in results.values():
        r["build_vs_base"] = r["articles_per_s"] / build_base if build_base else None
        for name, row in r["classes"].items():
            for mode, stats in row.items():
                base = (query_base.get(name) or {}).get(mode)
                if stats is not None:
                    stats["p50_vs_base"] = stats["p50_ms"] / base["p50_ms"] if base else None


def median_of(runs: list[Any]) -> Any:
    """The element-wise median of equally shaped results (numbers, dicts; None stays None)."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: median_of([run[key] for run in runs]) for key in first}
    if isinstance(first, bool) or not isinstance(first, (int, float)):
        return first
    values = [run for run in runs if run is not None]
    return statistics.median(values) if values else None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    ram = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
            ram = f"{kib / 1024**2:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = [f"SQLite {sqlite3.sqlite_version}"]
    for package in ("searchlib", "whoosh-reloaded", "tantivy", "bm25s", "PyStemmer", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{package} {version(package)}")
    return ", ".join(found)


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def format_tables(report: dict[str, Any]) -> str:
    """The build table and the query table, in markdown."""
    build = [
        "| corpus | engine | articles | build s | articles/s | ÷ whoosh | build peak RSS MB "
        "| worker peak RSS MB | all processes peak RSS MB | index MB | sidecar MB "
        "| search peak RSS MB |",
        "|" + "---|" * 12,
    ]
    query = [
        "| corpus | engine | queries | p50 ms | p95 ms | QPS | p50 ÷ tantivy "
        "| +facets p50 ms | +facets p95 ms | +facets QPS | +facets p50 ÷ tantivy |",
        "|" + "---|" * 11,
    ]
    for corpus, engines in report["results"].items():
        for engine, r in engines.items():
            build.append(
                f"| {corpus} | {engine} | {r['articles']:,} | {_num(r['build_s'], 1)} "
                f"| {_num(r['articles_per_s'], 0)} | {_num(r['build_vs_base'])} "
                f"| {_num(r['build_rss_mb'], 0)} | {_num(r.get('worker_rss_mb'), 0)} "
                f"| {_num(r.get('total_rss_mb'), 0)} "
                f"| {_num(r['index_mb'], 1)} | {_num(r.get('sidecar_mb'), 1)} "
                f"| {_num(r['search_rss_mb'], 0)} |"
            )
        for name in CLASSES:
            for engine, r in engines.items():
                row = r["classes"].get(name)
                if row is None:
                    continue
                cells = []
                for mode in ("plain", "facets"):
                    s = row.get(mode)
                    if s is None:
                        cells += ["n/a"] * 4
                    else:
                        cells += [
                            _num(s["p50_ms"]),
                            _num(s["p95_ms"]),
                            _num(s["qps"], 1),
                            _num(s["p50_vs_base"]),
                        ]
                count = report["query_counts"][corpus][name]
                first = f"| {corpus} | {engine} | {name} ×{count} | "
                query.append(first + " | ".join(cells) + " |")
    return "\n".join(build) + "\n\n" + "\n".join(query)


def describe(report: dict[str, Any]) -> str:
    info = report["machine"]
    return (
        f"Machine: `nproc` {info['nproc']}, {info['cpu']}, {info['ram']} RAM, "
        f"Python {info['python']}, {info['date']}. {report['versions']}.\n"
        + "; ".join(f"`{r['command']}`: median of {r['repeat']} run(s)" for r in report["commands"])
        + f". Queries drawn with seed {SEED}; top {LIMIT} ids per query."
    )


NOTES = f"""\
Build: from reading the JSONL to a committed index, in a fresh process (searchlib with
`workers={BUILD_WORKERS}` analysis processes, the full pipeline with entities; tantivy with one
indexing thread). Peak RSS is each process's high-water mark (VmHWM; interpreter and imports
included); "worker" is the largest of searchlib's analysis processes (children of a
forkserver), and "all processes" the largest sum of the resident memory of the building process
and all its descendants, sampled every 0.2 s. The search process opens the index, warms up on other
queries, then runs the timed ones one at a time. QPS = queries / their summed latency. Without
facets each engine returns only its top 10 ids (searchlib: `facet_limit=0, snippets=False`).
"+facets": the same queries also counting every match per year (Whoosh `groupedby` on a
sortable field, which makes it score every match; FTS5 `GROUP BY year` over the match; tantivy
a terms aggregation on a fast field; bm25s `get_scores` then numpy over a year array); for
searchlib a default `Index.search`, which counts all four facets (year, person, org, place) and
makes a snippet for each hit. bm25s has no phrase queries (n/a)."""


BAG_OF_WORDS = ("1-word", "2-word", "5-10-word")


def _worst(
    result: dict[str, Any], mode: str, stat: str, classes: tuple[str, ...] = BAG_OF_WORDS
) -> float | None:
    """The largest ``stat`` over these query classes (the target holds for each class)."""
    rows = [(result["classes"].get(c) or {}).get(mode) for c in classes]
    values = [row[stat] for row in rows if row]
    return max(values) if values else None


def target_checks(report: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """issue #7's targets for searchlib, on the corpora of this report that they name:
    ``(corpus, target, measured, met)``; ``met`` is None when it could not be measured."""
    checks: list[tuple[str, str, str, bool | None]] = []

    def check(corpus: str, target: str, value: float | None, limit: float | None, unit: str):
        if value is None or limit is None:
            checks.append((corpus, target, "n/a", None))
        else:
            checks.append((corpus, target, f"{_num(value)} {unit}", value <= limit))

    for corpus, engines in report["results"].items():
        ours, base = engines.get("searchlib"), engines.get(QUERY_BASELINE)
        if ours is None or corpus not in ("100k", "1m"):
            continue

        if corpus == "100k":
            check(corpus, "bag of words p50 ≤ 2 ms", _worst(ours, "plain", "p50_ms"), 2, "ms")
            check(corpus, "bag of words p95 ≤ 10 ms", _worst(ours, "plain", "p95_ms"), 10, "ms")
            check(corpus, "with all facets p95 ≤ 25 ms", _worst(ours, "facets", "p95_ms"), 25, "ms")
            continue
        ratios = [
            ours["classes"][c]["plain"]["p50_ms"] / base["classes"][c]["plain"]["p50_ms"]
            for c in BAG_OF_WORDS
            if base and ours["classes"].get(c, {}).get("plain") and base["classes"].get(c)
        ]
        check(corpus, "bag of words p50 ≤ tantivy's", max(ratios) if ratios else None, 1, "×")
        check(corpus, "with facets p95 ≤ 50 ms", _worst(ours, "facets", "p95_ms"), 50, "ms")
        phrase = _worst(ours, "plain", "p95_ms", ("phrase",))
        check(corpus, "phrase p95 ≤ 250 ms", phrase, 250, "ms")
        check(corpus, "full build ≤ 45 min", ours["build_s"] / 60, 45, "min")
        workers = ours.get("worker_rss_mb") or 0
        total = ours.get("total_rss_mb") or ours["build_rss_mb"] + BUILD_WORKERS * workers
        check(corpus, "build peak RSS ≤ 4 GB (all processes)", total / 1000, 4, "GB")
        check(corpus, "sidecar ≤ 1.5 GB", (ours.get("sidecar_mb") or 0) / 1000, 1.5, "GB")
    return checks


def format_targets(report: dict[str, Any]) -> str:
    checks = target_checks(report)
    if not checks:
        return ""
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    lines = ["| corpus | searchlib target | measured | |", "|---|---|---|---|"]
    lines += [f"| {c} | {t} | {m} | {verdict[ok]} |" for c, t, m, ok in checks]
    return "Targets (issue #7):\n\n" + "\n".join(lines) + "\n\n"


def markdown(report: dict[str, Any]) -> str:
    skipped = "".join(f"\n{e}: skipped: {why}" for e, why in report["skipped"].items())
    tables = format_tables(report)
    return f"{describe(report)}\n\n{format_targets(report)}{tables}\n\n{NOTES}{skipped}\n"


def update_results(path: Path, section_body: str) -> None:
    """Replace (or append) the speed section of RESULTS.md, leaving the other sections alone."""
    text = path.read_text("utf-8") if path.is_file() else "# Benchmark results\n"
    section = f"{RESULTS_SECTION}\n\n{section_body.strip()}\n"
    start = text.find(RESULTS_SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = re.search(r"^## ", text[start + len(RESULTS_SECTION) :], re.MULTILINE)
        end = start + len(RESULTS_SECTION) + following.start() if following else len(text)
        rest = text[end:]
        text = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(text, "utf-8")


def run(
    corpora: list[str],
    engines: list[str],
    *,
    data: Path,
    workdir: Path,
    repeat: int = 1,
    per_class: int = 200,
    warmup: int = 20,
    keep: bool = False,
    reuse: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Measure every engine on every corpus ``repeat`` times; the report holds the medians."""
    workdir.mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="speed-", dir=workdir) as tmp:
        for corpus in corpora:
            path = corpus_file(corpus, data, workdir)
            source = query_source(corpus, data, workdir)
            spec = {
                "queries": make_queries(source, per_class, SEED),
                "warmup": make_queries(source, max(1, warmup), WARMUP_SEED),
            }
            counts[corpus] = {name: len(qs) for name, qs in spec["queries"].items()}
            queries_file = Path(tmp) / f"queries-{len(results)}.json"
            queries_file.write_text(json.dumps(spec), "utf-8")
            runs: list[dict[str, Any]] = []
            for attempt in range(repeat):
                this_run: dict[str, Any] = {}
                for engine in engines:
                    if engine in skipped:
                        continue
                    folder = workdir / "indexes" / Path(corpus).stem / engine
                    log(f"{corpus}: {engine} (run {attempt + 1}/{repeat})…")
                    try:
                        this_run[engine] = run_engine(
                            engine, path, queries_file, folder, keep, reuse
                        )
                    except Skip as e:
                        skipped[engine] = str(e)
                        log(f"skipping {engine}: {e}")
                add_ratios(this_run)
                runs.append(this_run)
            engines_done = [e for e in engines if e not in skipped]
            results[corpus] = {e: median_of([r[e] for r in runs]) for e in engines_done}
    return {
        "machine": machine(),
        "versions": versions(),
        "repeat": repeat,
        "per_class": per_class,
        "query_counts": counts,
        "results": results,
        "skipped": skipped,
    }


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report of several saved ones (say, 1m run apart from the rest); the first's machine."""
    merged = {**reports[0], "results": {}, "query_counts": {}, "skipped": {}, "commands": []}
    for report in reports:
        for key in ("results", "query_counts", "skipped"):
            merged[key].update(report[key])
        merged["commands"] += report["commands"]
    return merged


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return child_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", default=",".join(DEFAULT_CORPORA), help="reuters,bbc,100k,1m…")
    ap.add_argument("--engines", default=",".join(ENGINE_NAMES), help="comma-separated engines")
    ap.add_argument("--repeat", type=int, default=1, help="runs to take the median of")
    ap.add_argument("--queries", type=int, default=200, help="queries per class")
    ap.add_argument("--warmup", type=int, default=20, help="warm-up queries per class")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    ap.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="replicated corpora and indexes"
    )
    ap.add_argument("--keep-indexes", action="store_true", help="leave the built indexes")
    ap.add_argument(
        "--reuse-indexes",
        action="store_true",
        help="query the indexes a --keep-indexes run left instead of building them again",
    )
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--out", type=Path, help="write the speed section of this RESULTS.md")
    ap.add_argument(
        "--from-json",
        nargs="+",
        metavar="FILE",
        help="report saved --json output (several: their corpora together) instead of running",
    )
    args = ap.parse_args(argv)

    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        ap.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    if args.repeat < 1 or args.queries < 1:
        ap.error("--repeat and --queries must be at least 1")

    if args.from_json:
        report = merge([json.loads(Path(p).read_text("utf-8")) for p in args.from_json])
    else:
        report = run(
            corpora,
            engines,
            data=args.data,
            workdir=args.workdir.expanduser(),
            repeat=args.repeat,
            per_class=args.queries,
            warmup=args.warmup,
            keep=args.keep_indexes,
            reuse=args.reuse_indexes,
            log=lambda message: print(message, file=sys.stderr, flush=True),
        )
        command = "python benchmarks/speed.py " + " ".join(argv)
        report["commands"] = [{"command": command, "repeat": args.repeat}]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(markdown(report))
    if args.out:
        update_results(args.out, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
