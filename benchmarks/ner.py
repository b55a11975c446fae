"""Score the entity tagger on CoNLL-2003 test and on ner-extra's held-out part, against a baseline.

python benchmarks/ner.py [--data ../shared/data] [--baseline main] [--model PATH] [--json]

The held-out part (``searchlib.prepare.ner_train.extra_splits``: all of UNER EWT's test split
and the first 5,000 sentences of WikiNEuRal's test split) is never trained or tuned on. The
baseline is the model as committed at ``--baseline`` (a git revision), run by the same code in
the same process, so the two rows differ by the model files alone. Scores are typed exact-span
P/R/F1; speed is CPU time of the extraction on one core, model loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from searchlib.prepare import ner, ner_train  # noqa: E402

MODEL_FILES = (
    "ner.crfsuite",
    ner.STAGE1_NAME,
    ner.GAZETTEER_NAME,
    ner.TRUECASE_NAME,
    ner.CLUSTERS_NAME,
    ner.NAMES_NAME,
)
SETS = ("conll_test", "held_out_wikineural", "held_out_uner", "held_out")
LABELS = {
    "conll_test": "CoNLL-2003 test",
    "held_out_wikineural": "held-out WikiNEuRal",
    "held_out_uner": "held-out UNER EWT",
    "held_out": "held-out (both)",
}


def datasets(data: Path) -> dict[str, list[ner_train._Document]]:
    conll = [json.loads(line) for line in (data / "conll2003" / "test.jsonl").open()]
    held_out = ner_train.extra_splits(data / "ner-extra")["held_out"]
    return {
        "conll_test": [
            ner_train._Document(
                r["text"], [(e["type"], e["start"], e["end"]) for e in r["entities"]]
            )
            for r in conll
        ],
        "held_out_wikineural": [ner_train._document(d) for d in held_out["wikineural"]],
        "held_out_uner": [ner_train._document(d) for d in held_out["uner"]],
    }


def baseline_model(revision: str, directory: Path) -> Path:
    """Write the model files committed at ``revision`` into ``directory``."""
    for name in MODEL_FILES:
        show = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{revision}:searchlib/data/{name}"],
            capture_output=True,
        )
        # A model from before the names list reads an empty one: it has no name features.
        (directory / name).write_bytes(show.stdout if show.returncode == 0 else b"")
    return directory / "ner.crfsuite"


def measure(model: Path, sets: dict[str, list[ner_train._Document]]) -> dict[str, object]:
    ner.extract_mentions("Warm up: load the model before the clock starts.", model_path=model)
    result: dict[str, object] = {}
    all_gold: list[tuple[int, str, int, int]] = []
    all_predicted: list[tuple[int, str, int, int]] = []
    cpu = 0.0
    words = offset = 0
    for name, documents in sets.items():
        gold, predicted = [], []
        for n, doc in enumerate(documents):
            started = time.process_time()
            mentions = ner.extract_mentions(doc.text, model_path=model)
            cpu += time.process_time() - started
            words += len(doc.text.split())
            predicted += [(n, m.type, m.start, m.end) for m in mentions]
            gold += [(n, kind, s, e) for kind, s, e in doc.entities]
        result[name] = ner_train.score(gold, predicted)
        if name.startswith("held_out_"):  # pooled: documents numbered on from the last set
            all_gold += [(n + offset, *rest) for n, *rest in gold]
            all_predicted += [(n + offset, *rest) for n, *rest in predicted]
            offset += len(documents)
    result["held_out"] = ner_train.score(all_gold, all_predicted)
    result["words_per_s"] = round(words / cpu)
    result["model_mb"] = round(sum((model.parent / f).stat().st_size for f in MODEL_FILES) / 1e6, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--baseline", default="main", help="git revision of the baseline model")
    parser.add_argument("--model", type=Path, default=ner.MODEL_PATH, help="the new model")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()

    # Report single-threaded speed: pin to one core where the OS allows it.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    sets = datasets(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        old = measure(baseline_model(args.baseline, Path(tmp)), sets)
    new = measure(args.model, sets)
    if args.json:
        print(json.dumps({"baseline": args.baseline, "old": old, "new": new}))
        return

    for name, documents in sets.items():
        words = sum(len(d.text.split()) for d in documents)
        print(f"{LABELS[name]}: {len(documents)} documents, {words:,} words")
    print(f"\nF1 (typed exact spans); old = model at {args.baseline}, new = this tree's model")
    print(f"{'set':<22}{'type':<12}{'old F1':>8}{'new F1':>8}{'diff':>8}{'new P':>8}{'new R':>8}")
    for name in SETS:
        for kind in (*ner.TYPES, "micro"):
            if kind == "MISC" and name in ("held_out_uner", "held_out"):
                continue  # UNER marks no MISC
            o, n = old[name], new[name]  # type: ignore[index]
            if kind == "micro":
                of, nf, p, r = o["micro_f1"], n["micro_f1"], "", ""
            else:
                of, nf = o[kind]["f1"], n[kind]["f1"]
                p, r = f"{n[kind]['p']:.4f}", f"{n[kind]['r']:.4f}"
            label = "micro P/O/L" if kind == "micro" else kind
            print(f"{LABELS[name]:<22}{label:<12}{of:>8.4f}{nf:>8.4f}{nf - of:>+8.4f}{p:>8}{r:>8}")
    ratio = new["words_per_s"] / old["words_per_s"]  # type: ignore[operator]
    print(
        f"\nwords/s (one core, CPU time): old {old['words_per_s']:,}, new {new['words_per_s']:,}"
        f" ({ratio:.2f}x)"
    )
    print(f"model files: old {old['model_mb']} MB, new {new['model_mb']} MB")


if __name__ == "__main__":
    main()
