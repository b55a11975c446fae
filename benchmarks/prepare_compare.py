"""Before/after of ``analysis.prepare``: identical articles, and CPU time per article.

    python benchmarks/prepare_compare.py BASELINE [--data DIR] [--limit N] [--seeds DIR]

BASELINE is another checkout of searchlib (for example ``git worktree add ../base main``). Its
package is imported beside this checkout's, and every record of reuters21578 (up to
``--limit``), bbc and the seed files is prepared by both. Each pair of articles must be equal
field by field, and so must the mentions the tagger found (every character offset), which
``prepare`` itself only passes on through the entity clean-up.

Speed is CPU time of this process, taken alternately in batches of 100 records so that other
work on a shared machine weighs on both sides alike: ``prepare`` as a whole, and the tagger
(``ner.extract_mentions``) alone. Both sides first prepare 1,000 records untimed, to load
their models.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from searchlib.prepare import articles as analysis  # noqa: E402
from searchlib.prepare import ner  # noqa: E402
from searchlib.prepare.sources import SourceRecord, read_file  # noqa: E402

BATCH = 100
WARM_UP = 1000


def load_baseline(checkout: Path) -> tuple[ModuleType, ...]:
    """Import ``checkout``'s searchlib as the package ``searchlib_baseline``."""
    package = checkout / "searchlib"
    spec = importlib.util.spec_from_file_location(
        "searchlib_baseline", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return tuple(importlib.import_module(f"{spec.name}.{name}") for name in ("analysis", "ner"))


class Side:
    """One checkout: its ``prepare``, with the time and mentions of its tagger recorded."""

    def __init__(self, analysis_module: ModuleType, ner_module: ModuleType) -> None:
        self.prepare = analysis_module.prepare
        self.prepare_cpu = self.ner_cpu = 0.0
        self.mentions: list[tuple[str, str, int, int]] = []
        extract = ner_module.extract_mentions

        def timed(text: str, **kwargs: Any) -> list[Any]:
            started = time.process_time()
            found = extract(text, **kwargs)
            self.ner_cpu += time.process_time() - started
            self.mentions = [(m.type, m.text, m.start, m.end) for m in found]
            return found

        # prepare looks the tagger up on the module at each call (see analysis.find_entities).
        ner_module.extract_mentions = timed

    def run(self, records: list[SourceRecord]) -> list[tuple[dict[str, Any], list[Any]]]:
        out = []
        started = time.process_time()
        for record in records:
            article = self.prepare(record)
            out.append((dataclasses.asdict(article), self.mentions))
        self.prepare_cpu += time.process_time() - started
        return out


def records_of(path: Path) -> list[SourceRecord]:
    return [r for r in read_file(path) if isinstance(r, SourceRecord)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", type=Path, help="another searchlib checkout")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seeds", type=Path, default=REPO / "seeds")
    parser.add_argument("--limit", type=int, default=0, help="reuters21578 records (0: all)")
    args = parser.parse_args()

    corpora = {
        "reuters21578": records_of(args.data / "reuters21578" / "docs.jsonl"),
        "bbc": records_of(args.data / "bbc" / "docs.jsonl"),
        "seeds": [r for p in sorted(args.seeds.iterdir()) for r in records_of(p)],
    }
    if args.limit:
        corpora["reuters21578"] = corpora["reuters21578"][: args.limit]
    old = Side(*load_baseline(args.baseline.resolve()))
    new = Side(analysis, ner)
    for side in (old, new):  # warm up: models, word lists and the first words' features
        side.run(corpora["reuters21578"][:WARM_UP])
        side.prepare_cpu = side.ner_cpu = 0.0

    differences = 0
    for name, records in corpora.items():
        same = 0
        for at in range(0, len(records), BATCH):
            batch = records[at : at + BATCH]
            for before, after, record in zip(old.run(batch), new.run(batch), batch, strict=True):
                if before == after:
                    same += 1
                elif differences < 5:
                    print(f"DIFFERENT: {name} {record.id}\n  before {before}\n  after  {after}")
        differences += len(records) - same
        print(f"{name}: {same}/{len(records)} articles identical (fields and mentions)")

    total = sum(len(records) for records in corpora.values())
    print(f"CPU ms per article over {total} articles:")
    print(f"{'':10}{'before':>10}{'after':>10}{'ratio':>8}")
    for label, before, after in (
        ("prepare", old.prepare_cpu, new.prepare_cpu),
        ("ner", old.ner_cpu, new.ner_cpu),
        ("the rest", old.prepare_cpu - old.ner_cpu, new.prepare_cpu - new.ner_cpu),
    ):
        print(f"{label:10}{before * 1e3 / total:>10.3f}{after * 1e3 / total:>10.3f}", end="")
        print(f"{after / before:>8.2f}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
