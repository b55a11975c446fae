"""Benchmark: full, no-change and one-line-change builds of reuters21578, as a Markdown table.

    python benchmarks/build.py [--data DIR] [--repeat N] [--workers N]

The data folder defaults to ``<repo>/../shared/data``. The corpus is copied to a temporary
folder (and the index built there) so that one line of it can be changed; nothing is written
into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from edits import change_one_story  # noqa: E402

import searchlib  # noqa: E402


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


CLI = "from searchlib.cli import main; main()"


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children so far."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def timed_build(*args: object, **kwargs: object) -> tuple[searchlib.BuildReport, float]:
    """A build and its CPU seconds, worker processes included (the machine may be shared:
    CPU time says what the build cost, wall time what it took)."""
    started = cpu_seconds()
    report = searchlib.build(*args, **kwargs)  # type: ignore[arg-type]
    return report, cpu_seconds() - started


def timed_cli(index: Path) -> float:
    """Wall-clock seconds of `searchlib index build` in a new process (imports included)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CLI, "index", "build", "--index", str(index), "-q"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3, help="no-change builds to time")
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel build")
    args = parser.parse_args()
    corpus = args.data / "reuters21578" / "docs.jsonl"
    if not corpus.is_file():
        sys.exit(f"no corpus at {corpus}; give --data DIR")

    with tempfile.TemporaryDirectory(prefix="searchlib-bench-") as tmp:
        source = Path(tmp) / "docs.jsonl"
        shutil.copyfile(corpus, source)
        old = time.time() - 3600  # as a file that has not changed since the last build
        os.utime(source, (old, old))
        index = Path(tmp) / "index"

        full, full_cpu = timed_build(index, [source], rebuild=True)
        parallel, parallel_cpu = timed_build(Path(tmp) / "parallel", [source], workers=args.workers)
        assert parallel.articles == full.articles
        no_change = [searchlib.build(index) for _ in range(args.repeat)]
        assert all(r.unchanged == full.articles and r.files_parsed == 0 for r in no_change)
        no_change_s = statistics.median(r.seconds for r in no_change)
        cli_s = statistics.median(timed_cli(index) for _ in range(args.repeat))

        change_one_story(source, old + 60)
        one_line, one_line_cpu = timed_build(index)
        assert (one_line.updated, one_line.unchanged) == (1, full.articles - 1)

    print("## Incremental builds (reuters21578)\n")
    print(
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
        f"{dt.date.today().isoformat()}. Corpus: {full.articles:,} articles in one "
        f"{corpus.stat().st_size / 1e6:.1f} MB JSON Lines file.\n"
    )
    print("| build | seconds | CPU seconds | vs full build |")
    print("| --- | ---: | ---: | ---: |")
    rows = [
        ("full build (`--rebuild`)", full.seconds, f"{full_cpu:.3f}"),
        (f"no change, in process (median of {args.repeat})", no_change_s, ""),
        (f"no change, `searchlib index build` command (median of {args.repeat})", cli_s, ""),
        (
            "one line of the file changed (1 article updated)",
            one_line.seconds,
            f"{one_line_cpu:.3f}",
        ),
    ]
    for name, seconds, cpu in rows:
        print(f"| {name} | {seconds:.3f} | {cpu} | {seconds / full.seconds:.2%} |")
    print(f"\n### Parallel full build ({args.workers} workers, same run)\n")
    print("| build | seconds | CPU seconds | articles/s | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, report, cpu in (
        ("1 process", full, full_cpu),
        (f"--workers {args.workers}", parallel, parallel_cpu),
    ):
        print(
            f"| {name} | {report.seconds:.1f} | {cpu:.1f} | {report.articles_per_second:,.0f} "
            f"| {full.seconds / report.seconds:.2f}x |"
        )
    print(f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")


if __name__ == "__main__":
    main()
