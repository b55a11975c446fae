"""Relevance benchmark: searchlib against peer engines on judged test collections.

    python benchmarks/relevance.py [--data ../shared/data] [--collections time,cisi,cranfield,med]
                                   [--json]

Each engine indexes title + text of every document of a collection, runs every query with the
top 100 kept, and the runs are scored with searchlib.evaluation (trec_eval definitions). The
peers are set up the way a typical user of each would set them up, with default parameters.
Queries are natural-language sentences; each engine gets them with its query-syntax characters
stripped, as a user would have to do (see the ``*_query`` helpers for the per-engine details).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmark this checkout's searchlib, installed or not

from searchlib.evaluation import (  # noqa: E402
    MEASURES,
    evaluate,
    plain_words,
    read_qrels,
    read_queries,
)

DEFAULT_DATA = REPO.parent / "shared" / "data"
COLLECTIONS = ("time", "cisi", "cranfield", "med")
K = 100

Doc = dict[str, str]
Hits = list[tuple[str, float]]
Search = Callable[[str], Hits]


class Skip(Exception):
    """An engine cannot run here (not installed, or searchlib lacks its API yet)."""


# --- query preparation ---------------------------------------------------------------------

# Every non-word character becomes a space: none of the engines' query languages can then see
# quotes, colons, parentheses, wildcards, '+'/'-' prefixes or the like. `searchlib eval` uses the
# same function, so it reproduces searchlib's row.
strip_syntax = plain_words


def fts5_query(query: str) -> str:
    # FTS5 ANDs bare words; OR them, and quote each so that a word like NEAR stays a word.
    return " OR ".join(f'"{word}"' for word in strip_syntax(query).split())


def lowercase_query(query: str) -> str:
    # Whoosh and tantivy read upper-case AND / OR / NOT as operators, and TIME's queries are all
    # capitals ("... BUDDHISTS AND ..."): lowering the case keeps them plain words.
    return strip_syntax(query).lower()


# --- engines: each takes the documents and a scratch folder, and returns a search function ----


def sqlite_fts5(docs: list[Doc], workdir: Path, collection: Path) -> Search:
    db = sqlite3.connect(workdir / "fts5.db")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
        "tokenize='porter unicode61')"
    )
    with db:
        db.executemany(
            "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
            ((d["id"], d["title"], d["text"]) for d in docs),
        )

    def search(query: str) -> Hits:
        match = fts5_query(query)
        if not match:
            return []
        rows = db.execute(
            "SELECT id, bm25(docs) FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, K),
        )
        return [(docid, -score) for docid, score in rows]  # bm25() is negative, lower is better

    return search


def tantivy_engine(docs: list[Doc], workdir: Path, collection: Path) -> Search:
    try:
        import tantivy
    except ImportError as e:
        raise Skip(f"tantivy not installed ({e})") from e
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build(), path=str(workdir))
    writer = index.writer(heap_size=100_000_000, num_threads=1)  # one thread: same segments
    for d in docs:
        writer.add_document(tantivy.Document(id=d["id"], title=d["title"], body=d["text"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def search(query: str) -> Hits:
        text = lowercase_query(query)
        if not text:
            return []
        parsed = index.parse_query(text, ["title", "body"])
        hits = searcher.search(parsed, K).hits
        return [(searcher.doc(address)["id"][0], score) for score, address in hits]

    return search


def bm25s_engine(docs: list[Doc], workdir: Path, collection: Path) -> Search:
    try:
        import bm25s
        import Stemmer
    except ImportError as e:
        raise Skip(f"bm25s or PyStemmer not installed ({e})") from e
    stemmer = Stemmer.Stemmer("english")
    corpus = [f"{d['title']} {d['text']}" for d in docs]
    tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    ids = [d["id"] for d in docs]

    def search(query: str) -> Hits:
        words = bm25s.tokenize(
            [strip_syntax(query)],
            stopwords="en",
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )
        if not any(words[0]):
            return []
        found, scores = retriever.retrieve(words, k=min(K, len(ids)), show_progress=False)
        # bm25s fills the top k with zero-score documents that match no query word; the other
        # engines return only matches, so drop those.
        return [(ids[i], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]

    return search


def whoosh_engine(docs: list[Doc], workdir: Path, collection: Path) -> Search:
    from whoosh import index as whoosh_index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser, OrGroup

    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer()),
        body=TEXT(analyzer=StemmingAnalyzer()),
    )
    ix = whoosh_index.create_in(str(workdir), schema)
    writer = ix.writer()
    for d in docs:
        writer.add_document(id=d["id"], title=d["title"], body=d["text"])
    writer.commit()
    searcher = ix.searcher()  # BM25F with default parameters
    parser = MultifieldParser(["title", "body"], schema, group=OrGroup)

    def search(query: str) -> Hits:
        results = searcher.search(parser.parse(lowercase_query(query)), limit=K)
        return [(hit["id"], hit.score) for hit in results]

    return search


def searchlib_engine(docs: list[Doc], workdir: Path, collection: Path) -> Search:
    """searchlib through its public API only; the one place to change if that API moves."""
    try:
        import searchlib
    except ImportError as e:
        raise Skip(f"`import searchlib` failed ({e})") from e
    if not hasattr(searchlib, "build") or not hasattr(searchlib, "open"):
        raise Skip("searchlib has no build()/open() yet")
    index_path = workdir / "index"
    searchlib.build(index_path, sources=[collection / "docs.jsonl"])
    ix = searchlib.open(index_path)

    def search(query: str) -> Hits:
        words = strip_syntax(query)
        if not words:  # searchlib lists every article for an empty query; a user would not ask
            return []
        results = ix.search(words, limit=K, correct=False)
        return [(h.id, h.score) for h in results.hits]

    return search


PEERS: dict[str, Callable[[list[Doc], Path, Path], Search]] = {
    "sqlite-fts5": sqlite_fts5,
    "tantivy": tantivy_engine,
    "bm25s": bm25s_engine,
    "whoosh": whoosh_engine,
}
ENGINES = {**PEERS, "searchlib": searchlib_engine}


# --- running and reporting -----------------------------------------------------------------


def read_docs(path: Path) -> list[Doc]:
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(
                {"id": str(d["id"]), "title": d.get("title") or "", "text": d.get("text") or ""}
            )
    return docs


def run_engine(
    name: str,
    collection: Path,
    docs: list[Doc],
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"rel-{name}-") as tmp:
        start = time.perf_counter()
        search = ENGINES[name](docs, Path(tmp), collection)
        indexed = time.perf_counter()
        run = {qid: search(text) for qid, text in queries.items()}
        queried = time.perf_counter()
    row = {"collection": collection.name, "engine": name, **evaluate(run, qrels)}
    row["index_s"] = indexed - start
    row["query_ms"] = 1000 * (queried - indexed) / max(len(queries), 1)
    return row


def averages(rows: list[dict], collections: list[str]) -> list[dict]:
    out = []
    for engine in ENGINES:
        mine = [r for r in rows if r["engine"] == engine]
        if len(mine) != len(collections):
            continue  # skipped somewhere: an average over fewer collections would mislead
        avg = {"collection": "average", "engine": engine}
        for key in (*MEASURES, "query_ms"):
            avg[key] = sum(r[key] for r in mine) / len(mine)
        avg["index_s"] = sum(r["index_s"] for r in mine)  # total over the collections
        out.append(avg)
    return out


def add_ratios(rows: list[dict]) -> None:
    """Ratio of each row's nDCG@10 to the best peer's on the same collection (or average)."""
    for collection in {r["collection"] for r in rows}:
        group = [r for r in rows if r["collection"] == collection]
        best = max((r["ndcg@10"] for r in group if r["engine"] in PEERS), default=0.0)
        for r in group:
            r["vs_best_peer"] = r["ndcg@10"] / best if best > 0 else None


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


def format_table(rows: list[dict]) -> str:
    header = (
        "| collection | engine | nDCG@10 | MAP@100 | P@10 | R@100 | nDCG@10 / best peer "
        "| index s | query ms |"
    )
    lines = [header, "|" + "---|" * 9]
    for r in rows:
        ratio = "-" if r["vs_best_peer"] is None else f"{r['vs_best_peer']:.3f}"
        lines.append(
            f"| {r['collection']} | {r['engine']} | {r['ndcg@10']:.3f} | {r['map@100']:.3f} "
            f"| {r['p@10']:.3f} | {r['recall@100']:.3f} | {ratio} | {r['index_s']:.2f} "
            f"| {r['query_ms']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder holding the collections (default: {DEFAULT_DATA})",
    )
    ap.add_argument(
        "--collections",
        default=",".join(COLLECTIONS),
        help="comma-separated collection folder names",
    )
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)

    collections = [c.strip() for c in args.collections.split(",") if c.strip()]
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    for name in collections:
        folder = args.data / name
        if not (folder / "qrels.txt").is_file():
            ap.error(f"no judged collection at {folder}")
        docs = read_docs(folder / "docs.jsonl")
        queries = read_queries(folder / "queries.tsv")
        qrels = read_qrels(folder / "qrels.txt")
        for engine in ENGINES:
            if engine in skipped:
                continue
            try:
                rows.append(run_engine(engine, folder, docs, queries, qrels))
            except Skip as e:
                skipped[engine] = str(e)
                print(f"skipping {engine}: {e}", file=sys.stderr)
            else:
                print(f"{name}: {engine} done", file=sys.stderr)
    rows += averages(rows, collections)
    add_ratios(rows)

    info = machine()
    if args.json:
        print(json.dumps({"machine": info, "rows": rows, "skipped": skipped}, indent=2))
    else:
        print(
            f"machine: {info['nproc']} cores, {info['cpu']}, Python {info['python']}, "
            f"{info['date']}; top {K} per query; index s = build time (average row: total), "
            "query ms = mean per query\n"
        )
        print(format_table(rows))
        for engine, why in skipped.items():
            print(f"\n{engine}: skipped: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
