"""Benchmark: ``searchlib serve`` under load from concurrent clients on loopback.

    python benchmarks/serve.py [--corpus seeds|bbc] [--clients 8] [--seconds 30] [--data DIR]

Starts ``searchlib serve`` as a subprocess on a free 127.0.0.1 port (the bbc corpus from
``<repo>/../shared/data`` is first built into a temporary folder), then runs CLIENTS threads
that each keep one HTTP/1.1 connection (stdlib http.client) and ask, in turn, for the search
page, /api/search, /api/timeline, an article page and /api/similar, for SECONDS. Prints a
Markdown table of latencies (p50, p95, p99) and errors per kind of request, and, as the
baseline of the same run, the same searches through the library in this process, one at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import searchlib  # noqa: E402

QUERIES = ["Astana Declaration", "Congress", "summit", '"interfaith dialogue"', "peace OR war"]
BBC_QUERIES = ["election", "oil prices", "Blair Brown", '"mobile phone"', "film award", "*"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def requests_for(queries: list[str], ids: list[str]) -> list[tuple[str, str]]:
    """(kind, URL) pairs, a mix of what the pages and scripts ask for."""
    mix = []
    for query, article in zip(queries, itertools.cycle(ids), strict=False):
        mix += [
            ("search page", "/?" + urlencode({"q": query})),
            ("api/search", "/api/search?" + urlencode({"q": query, "limit": 10})),
            ("api/timeline", "/api/timeline?" + urlencode({"q": query})),
            ("article page", "/article/" + quote(article, safe="") + "?" + urlencode({"q": query})),
            ("api/similar", "/api/similar/" + quote(article, safe="")),
        ]
    return mix


def client(port: int, mix: list[tuple[str, str]], until: float, start: int, out: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for kind, url in itertools.islice(itertools.cycle(mix), start, None):
        if time.monotonic() >= until:
            break
        began = time.perf_counter()
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out.append((kind, time.perf_counter() - began, ok))
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["seeds", "bbc"], default="seeds")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus == "bbc":
            index: str = str(Path(tmp) / "bbc")
            built = searchlib.build(index, [args.data / "bbc" / "docs.jsonl"], workers=2)
            print(
                f"built bbc: {built.articles:,} articles in {built.seconds:.1f} s", file=sys.stderr
            )
            queries = BBC_QUERIES
        else:
            index, queries = "seeds", QUERIES
        with searchlib.open(index) as ix:
            ids = [hit.id for hit in ix.search("*", limit=20, snippets=False).hits]
            library = []
            for query in queries * 10:  # the baseline: the same searches, in process
                began = time.perf_counter()
                ix.search(query)
                library.append(time.perf_counter() - began)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "searchlib", "serve", "--index", index, "--port", str(port)],
            cwd=REPO,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            mix = requests_for(queries, ids)
            results: list[tuple[str, float, bool]] = []
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=client, args=(port, mix, until, n * 3, results))
                for n in range(args.clients)
            ]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
        finally:
            server.terminate()
            server.wait(30)

    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    print(
        f"searchlib serve, corpus {args.corpus}, {args.clients} clients for {args.seconds:.0f} s "
        f"on 127.0.0.1; machine: {machine}, {dt.date.today()}"
    )
    print()
    print("| requests | count | errors | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    kinds = sorted({kind for kind, _, _ in results})
    for kind in [*kinds, "all"]:
        rows = [r for r in results if kind in ("all", r[0])]
        times = [t * 1000 for _, t, ok in rows if ok]
        errors = sum(not ok for _, _, ok in rows)
        print(
            f"| {kind} | {len(rows):,} | {errors} | {percentile(times, 0.5):.1f} "
            f"| {percentile(times, 0.95):.1f} | {percentile(times, 0.99):.1f} |"
        )
    print()
    through = len(results) / elapsed
    base = statistics.median(library) * 1000
    served = percentile([t for k, t, ok in results if k == "api/search" and ok], 0.5) * 1000
    print(
        f"Throughput {through:,.0f} requests/s. Baseline: ix.search() in process, one at a time, "
        f"p50 {base:.1f} ms; served /api/search p50 under load / baseline = {served / base:.1f}x"
    )


if __name__ == "__main__":
    main()
