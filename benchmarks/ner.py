"""Score searchlib.prepare.ner on CoNLL-2003 test: typed exact-span P/R/F1 and words per second.

python benchmarks/ner.py [--data ../shared/data/conll2003] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from searchlib.prepare import ner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()

    # Report single-threaded speed: pin to one core where the OS allows it.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    records = [json.loads(line) for line in (args.data / "test.jsonl").open(encoding="utf-8")]
    ner.extract_mentions("Warm up: load the model before the clock starts.")

    # Speed is CPU time of this (single-threaded) process, so that other work on a shared
    # machine does not count against it; wall time is shown too.
    predicted, gold = [], []
    cpu = wall = 0.0
    for n, record in enumerate(records):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        mentions = ner.extract_mentions(record["text"])
        cpu += time.process_time() - started_cpu
        wall += time.perf_counter() - started_wall
        predicted += [(n, m.type, m.start, m.end) for m in mentions]
        gold += [(n, e["type"], e["start"], e["end"]) for e in record["entities"]]

    result = ner.score(gold, predicted)
    words = sum(len(record["text"].split()) for record in records)
    result["words_per_s"] = round(words / cpu)

    if args.json:
        print(json.dumps(result))
        return
    print(f"CoNLL-2003 test: {len(records)} documents, {words} words")
    print(f"extraction: {cpu:.2f}s CPU, {wall:.2f}s wall ({words / wall:,.0f} words/s wall)")
    print(f"{'type':<6}{'P':>8}{'R':>8}{'F1':>8}")
    for kind in ner.TYPES:
        row = result[kind]
        print(f"{kind:<6}{row['p']:>8.4f}{row['r']:>8.4f}{row['f1']:>8.4f}")
    print(f"micro-F1 (PER/ORG/LOC): {result['micro_f1']:.4f}")
    print(f"words/s (one core, CPU time): {result['words_per_s']:,}")


if __name__ == "__main__":
    main()
