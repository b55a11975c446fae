"""Entity facet quality: searchlib's people, organisations and places against truth read by hand.

    python benchmarks/entity_quality.py [--data ../shared/data] [--cache DIR] [--details] [--json]

Scores the facet values searchlib gives the five seed articles and a fixed sample of 30 BBC
articles against the truth files in ``benchmarks/truth/`` (made by reading those articles; the
format and the matching rules are in ``benchmarks/truth/README.md``):

- facet precision: the share of the values shown for those articles that name one of the
  article's true entities, of the right kind, under a correct canonical name (and under the
  same name in every article of the collection);
- recall: the share of the articles' true entities found that way;
- for the BBC sample, the precision of the 50 values shown for the most sample articles;
- filter precision over the whole BBC set: the share of the articles returned by
  ``search '*' --person/--org/--place NAME`` that mention the entity
  (``benchmarks/truth/filters.toml``).

The seeds and the sample are indexed into temporary folders. The sample is scored twice: in an
index of its own 30 articles and inside the index of all 2,225 BBC articles, where names are
joined across the archive. That index is built once into ``--cache`` (default
``$XDG_CACHE_HOME/searchlib-bench/entity-quality``) and reused while neither searchlib's package
files nor the BBC file change.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmark this checkout's searchlib, installed or not

import searchlib  # noqa: E402

TRUTH = REPO / "benchmarks" / "truth"
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "searchlib-bench"
    / "entity-quality"
)
KINDS = ("person", "org", "place")
TOP = 50

# The BBC sample: every 100th record of docs.jsonl (from the first), then, for each of these
# hard cases, the first record not yet chosen whose title or text holds the phrase.
SAMPLE_STEP = 100
HARD_CASES = (
    "Serena Williams",  # one of several Williamses
    "Boris Johnson",  # vs Martin Johnson
    "Dan Brown",  # vs Gordon Brown
    "Thierry Henry",  # vs Graham Henry, Lenny Henry
    "Twickenham",  # a gazetteer's alternate name of Huntsville
    "United Kingdom",  # vs UK, Britain
    "Rowan Williams",
)
TARGETS = {"seeds": 0.95, "top": 0.90, "filter": 0.98}


# ---------------------------------------------------------------------------------------------
# Truth


@dataclass(frozen=True)
class TruthEntity:
    """One person, organisation or place of an article, as read."""

    kind: str
    name: str
    forms: tuple[str, ...]
    accept: tuple[str, ...] = ()
    optional: bool = False

    def names(self) -> set[str]:
        """The folded names a facet value may have to be this entity."""
        return {fold(n) for n in (self.name, *self.accept)}


@dataclass(frozen=True)
class ArticleTruth:
    id: str
    entities: tuple[TruthEntity, ...]

    def of(self, kind: str) -> list[TruthEntity]:
        return [e for e in self.entities if e.kind == kind]


@dataclass(frozen=True)
class Filter:
    kind: str
    name: str
    mentions: tuple[str, ...]


def fold(text: str) -> str:
    """Case, accents and punctuation folded: "Marsh & McLennan" ~ "marsh mclennan",
    "Néstor" ~ "nestor", "Nur-Sultan" ~ "nur sultan"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def read_truth(folder: Path) -> dict[str, ArticleTruth]:
    """The article truth files of one collection folder, by article id."""
    truth = {}
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entities = []
        for kind in KINDS:
            for entry in data.get(kind, []):
                unknown = set(entry) - {"name", "forms", "accept", "optional"}
                if unknown or not entry.get("forms"):
                    raise ValueError(f"{path}: {entry.get('name')!r}: bad keys or no forms")
                entities.append(
                    TruthEntity(
                        kind,
                        entry["name"],
                        tuple(entry["forms"]),
                        tuple(entry.get("accept", ())),
                        bool(entry.get("optional", False)),
                    )
                )
        truth[data["id"]] = ArticleTruth(data["id"], tuple(entities))
    return truth


def read_filters(path: Path) -> list[Filter]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Filter(f["kind"], f["name"], tuple(f["mentions"])) for f in data["filter"]]


def mention_pattern(forms: Iterable[str]) -> re.Pattern[str]:
    """Any of these surface forms, case-sensitive, not inside a longer word."""
    alternatives = "|".join(re.escape(f) for f in sorted(set(forms), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def truth_problems(truth: Mapping[str, ArticleTruth], texts: Mapping[str, str]) -> list[str]:
    """What is wrong with truth files: articles that do not exist, forms not in the text, an
    entity listed twice, one name used for two kinds."""
    problems = []
    kinds: dict[str, str] = {}
    for article in truth.values():
        text = texts.get(article.id)
        if text is None:
            problems.append(f"{article.id}: no such article")
            continue
        seen = set()
        for e in article.entities:
            if (e.kind, e.name) in seen:
                problems.append(f"{article.id}: {e.kind} {e.name!r} listed twice")
            seen.add((e.kind, e.name))
            if kinds.setdefault(e.name, e.kind) != e.kind:
                problems.append(f"{article.id}: {e.name!r} is both {kinds[e.name]} and {e.kind}")
            for form in e.forms:
                if not mention_pattern([form]).search(text):
                    problems.append(f"{article.id}: {e.name!r}: form {form!r} not in the text")
    return problems


# ---------------------------------------------------------------------------------------------
# Scoring facet values


@dataclass(frozen=True)
class Verdict:
    """One facet value shown for one article, judged.

    ``verdict`` is ``correct``; ``ignored`` (an optional entity); or why it is wrong:
    ``alias`` (a true entity under a short or other name: "UK", "Williams"), ``duplicate``
    (a second value for an entity of the article), ``split`` (a correct name, but the entity
    has another value in more articles of the collection), ``wrong kind`` (an entity of the
    article of another kind) or ``junk`` (no entity of the article).
    """

    article: str
    kind: str
    value: str
    verdict: str
    entity: str | None = None


@dataclass
class KindScore:
    correct: int = 0
    scored: int = 0
    found: int = 0
    truth: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None


def shown_values(ix: searchlib.Index, ids: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """The facet values searchlib gives each of these articles, per kind, from
    ``Index.entities`` (what ``searchlib entities`` lists)."""
    wanted = set(ids)
    shown: dict[str, dict[str, list[str]]] = {i: {k: [] for k in KINDS} for i in wanted}
    for kind in KINDS:
        for entity in ix.entities(kind):
            for article_id in wanted.intersection(entity.ids):
                shown[article_id][kind].append(entity.name)
    return shown


def _wrong_kind(article: ArticleTruth, kind: str, value: str) -> str | None:
    folded = fold(value)
    for e in article.entities:
        if e.kind != kind and folded in e.names():
            return e.name
    return None


def _alias_of(article: ArticleTruth, kind: str, value: str) -> str | None:
    """The entity of the article that this value names by one of its forms (or, for a
    person, by the surname or first name of one)."""
    folded = fold(value)
    for e in article.of(kind):
        for form in (*e.forms, e.name):
            f = fold(form)
            if folded == f or (
                kind == "person" and (f.endswith(" " + folded) or f.startswith(folded + " "))
            ):
                return e.name
    return None


def judge(
    truth: Mapping[str, ArticleTruth], shown: Mapping[str, Mapping[str, list[str]]]
) -> list[Verdict]:
    """Every facet value shown for the truth's articles, judged (see :class:`Verdict`)."""
    verdicts = []
    for article in truth.values():
        for kind in KINDS:
            claimed: set[str] = set()
            for value in sorted(shown.get(article.id, {}).get(kind, [])):
                match = next((e for e in article.of(kind) if fold(value) in e.names()), None)
                if match is None:
                    other = _wrong_kind(article, kind, value)
                    alias = _alias_of(article, kind, value)
                    if other is not None:
                        verdicts.append(Verdict(article.id, kind, value, "wrong kind", other))
                    elif alias is not None:
                        verdicts.append(Verdict(article.id, kind, value, "alias", alias))
                    else:
                        verdicts.append(Verdict(article.id, kind, value, "junk"))
                elif match.optional:
                    verdicts.append(Verdict(article.id, kind, value, "ignored", match.name))
                elif match.name in claimed:
                    verdicts.append(Verdict(article.id, kind, value, "duplicate", match.name))
                else:
                    claimed.add(match.name)
                    verdicts.append(Verdict(article.id, kind, value, "correct", match.name))
    # One entity, one name: where an entity is shown under two accepted names, the one it has
    # in more articles stands (then the preferred name, then the first alphabetically).
    names: dict[tuple[str, str], Counter[str]] = {}
    for v in verdicts:
        if v.verdict == "correct" and v.entity is not None:
            names.setdefault((v.kind, v.entity), Counter())[v.value] += 1
    chosen = {
        key: min(counts, key=lambda n: (-counts[n], fold(n) != fold(key[1]), n))
        for key, counts in names.items()
    }
    return [
        Verdict(v.article, v.kind, v.value, "split", v.entity)
        if v.verdict == "correct" and chosen[(v.kind, v.entity or "")] != v.value
        else v
        for v in verdicts
    ]


def score(truth: Mapping[str, ArticleTruth], verdicts: list[Verdict]) -> dict[str, KindScore]:
    """Precision and recall per kind."""
    scores = {kind: KindScore() for kind in KINDS}
    found = {(v.article, v.kind, v.entity) for v in verdicts if v.verdict == "correct"}
    for v in verdicts:
        if v.verdict != "ignored":
            scores[v.kind].scored += 1
            scores[v.kind].correct += v.verdict == "correct"
    for article in truth.values():
        for e in article.entities:
            if e.optional:
                continue
            s = scores[e.kind]
            s.truth += 1
            if (article.id, e.kind, e.name) in found:
                s.found += 1
            else:
                s.missed.append((article.id, e.name))
    return scores


def top_values(verdicts: list[Verdict], kind: str, top: int = TOP) -> list[tuple[str, int, bool]]:
    """The ``top`` values of this kind shown for the most articles: (value, articles, correct),
    a value being correct when it is correct in every article it is shown for."""
    by_value: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.kind == kind and v.verdict != "ignored":
            by_value.setdefault(v.value, []).append(v)
    ranked = sorted(by_value.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return [(value, len(vs), all(v.verdict == "correct" for v in vs)) for value, vs in ranked]


# ---------------------------------------------------------------------------------------------
# Filter precision


def filter_rows(
    ix: searchlib.Index, filters: list[Filter], texts: Mapping[str, str]
) -> list[dict[str, Any]]:
    """For each filter: the articles it returns over the whole index and how many of them
    mention the entity; how many articles mention it at all, and how many of those it returns."""
    rows = []
    for f in filters:
        results = ix.search(
            "*",
            limit=max(1, len(ix)),
            facet_limit=0,
            snippets=False,
            correct=False,
            **{f.kind: f.name},
        )
        returned = {hit.id for hit in results.hits}
        pattern = mention_pattern(f.mentions)
        mentioning = {i for i, text in texts.items() if pattern.search(text)}
        hits = len(returned & mentioning)
        rows.append(
            {
                "kind": f.kind,
                "name": f.name,
                "returned": len(returned),
                "mentioning_returned": hits,
                "precision": hits / len(returned) if returned else None,
                "mentioning": len(mentioning),
                "recall": hits / len(mentioning) if mentioning else None,
                "not_mentioning": sorted(returned - mentioning)[:10],
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Data and indexes


def read_bbc(data: Path) -> list[dict[str, Any]]:
    with (data / "bbc" / "docs.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def sample_ids(records: list[dict[str, Any]]) -> list[str]:
    """The fixed BBC sample (see SAMPLE_STEP and HARD_CASES)."""
    chosen = [r["id"] for r in records[::SAMPLE_STEP]]
    for phrase in HARD_CASES:
        chosen.append(
            next(
                r["id"]
                for r in records
                if r["id"] not in chosen and (phrase in r["title"] or phrase in r["text"])
            )
        )
    return chosen


def record_text(record: Mapping[str, Any]) -> str:
    return f"{record.get('title') or ''}\n\n{record.get('text') or ''}"


def code_stamp() -> str:
    """A hash of searchlib's package files (code, model, tables): a change means the cached
    BBC index may no longer be what this code would build."""
    package = Path(searchlib.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cached_bbc_index(data: Path, cache: Path, *, log: Any = print) -> searchlib.Index:
    """The index of every BBC article, built into the cache unless a build from the same
    package files and the same source file is there already."""
    source = (data / "bbc" / "docs.jsonl").resolve()
    stat = source.stat()
    key = hashlib.sha256(
        f"{code_stamp()}|{source}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    ).hexdigest()[:16]
    folder = cache / f"bbc-{key}"
    ready = folder / "READY"
    if not ready.exists():
        log(f"building the BBC index into {folder} (about a minute)…")
        searchlib.build(folder, [source], rebuild=True)
        ready.write_text(f"{source}\n", encoding="utf-8")
        for old in cache.glob("bbc-*"):  # our own older builds, for other code or data
            if old != folder and (old / "READY").exists():
                shutil.rmtree(old, ignore_errors=True)
    return searchlib.open(folder)


def build_index(
    folder: Path,
    records: list[dict[str, Any]] | None = None,
    sources: list[Path] | None = None,
) -> searchlib.Index:
    """A temporary index of these records (written as JSON Lines) or of these sources."""
    if records is not None:
        jsonl = folder.parent / f"{folder.name}.jsonl"
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        sources = [jsonl]
    searchlib.build(folder, sources)
    return searchlib.open(folder)


# ---------------------------------------------------------------------------------------------
# Report


def collection_report(
    name: str, truth: Mapping[str, ArticleTruth], ix: searchlib.Index, *, top: bool
) -> dict[str, Any]:
    verdicts = judge(truth, shown_values(ix, truth))
    scores = score(truth, verdicts)
    report: dict[str, Any] = {"collection": name, "articles": len(truth), "kinds": {}}
    for kind, s in scores.items():
        entry: dict[str, Any] = {
            "values": s.scored,
            "correct": s.correct,
            "precision": s.precision,
            "truth": s.truth,
            "found": s.found,
            "recall": s.recall,
            "wrong": Counter(
                v.verdict
                for v in verdicts
                if v.kind == kind and v.verdict not in ("correct", "ignored")
            ),
            "wrong_values": [
                [v.article, v.value, v.verdict, v.entity]
                for v in verdicts
                if v.kind == kind and v.verdict not in ("correct", "ignored")
            ],
            "missed": [list(m) for m in s.missed],
        }
        if top:
            ranked = top_values(verdicts, kind)
            entry["top"] = {
                "values": len(ranked),
                "correct": sum(ok for _, _, ok in ranked),
                "precision": sum(ok for _, _, ok in ranked) / len(ranked) if ranked else None,
                "wrong": [[value, n] for value, n, ok in ranked if not ok],
            }
        report["kinds"][kind] = entry
    return report


def _f(x: float | None) -> str:
    return "   -" if x is None else f"{x:.2f}"


def print_report(result: dict[str, Any], details: bool) -> None:
    print(
        f"Entity facet quality — searchlib {result['searchlib']}, {result['date']}, "
        f"{result['cores']} cores, Python {result['python']}"
    )
    print()
    print("Facet values per article against the truth files")
    print(
        f"{'collection':<24} {'kind':<7} {'precision':>9} {'':>9} {'recall':>7} {'':>9}"
        f" {'wrong: junk/alias/dup/split/kind':>33}"
    )
    for c in result["collections"]:
        for kind, k in c["kinds"].items():
            w = k["wrong"]
            wrong = "/".join(
                str(w.get(x, 0)) for x in ("junk", "alias", "duplicate", "split", "wrong kind")
            )
            print(
                f"{c['collection']:<24} {kind:<7} {_f(k['precision']):>9} "
                f"{k['correct']:>4}/{k['values']:<4} {_f(k['recall']):>7} "
                f"{k['found']:>4}/{k['truth']:<4} {wrong:>33}"
            )
    print()
    print(f"Precision of the {TOP} values shown for the most sample articles")
    for c in result["collections"]:
        for kind, k in c["kinds"].items():
            if "top" in k:
                t = k["top"]
                print(
                    f"{c['collection']:<24} {kind:<7} {_f(t['precision']):>9} "
                    f"{t['correct']:>4}/{t['values']:<4}"
                )
    print()
    print("Filter precision over all BBC articles (search '*' --KIND NAME)")
    print(
        f"{'kind':<7} {'name':<20} {'returned':>8} {'mention':>8} {'precision':>9}"
        f" {'mentioning':>10} {'recall':>6}"
    )
    for r in result["filters"]:
        print(
            f"{r['kind']:<7} {r['name']:<20} {r['returned']:>8} {r['mentioning_returned']:>8}"
            f" {_f(r['precision']):>9} {r['mentioning']:>10} {_f(r['recall']):>6}"
        )
    s = result["filter_summary"]
    print(
        f"{'all':<7} {'(micro)':<20} {s['returned']:>8} {s['mentioning_returned']:>8}"
        f" {_f(s['precision']):>9}   macro {_f(s['macro_precision'])},"
        f" {s['at_target']}/{len(result['filters'])} filters >= {TARGETS['filter']}"
    )
    print()
    print(
        f"Targets: seeds precision and recall >= {TARGETS['seeds']} per kind; BBC top-{TOP}"
        f" precision >= {TARGETS['top']}; filter precision >= {TARGETS['filter']}."
    )
    if details:
        for c in result["collections"]:
            print()
            print(f"== {c['collection']}: wrong values (article, value, why, entity) and misses")
            for kind, k in c["kinds"].items():
                for article, value, why, entity in k["wrong_values"]:
                    print(
                        f"  {kind:<6} {article:<22} {value!r} {why}"
                        + (f" ({entity})" if entity else "")
                    )
                for article, name in k["missed"]:
                    print(f"  {kind:<6} {article:<22} missed {name!r}")
        print()
        print("== filters: returned articles that do not mention the entity (first 10)")
        for r in result["filters"]:
            if r["not_mentioning"]:
                print(f"  {r['name']}: {', '.join(r['not_mentioning'])}")


def run(data: Path, cache: Path, *, log: Any = print) -> dict[str, Any]:
    records = read_bbc(data)
    by_id = {r["id"]: r for r in records}
    texts = {i: record_text(r) for i, r in by_id.items()}
    seeds = {p.stem: p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))}
    seed_truth = read_truth(TRUTH / "seeds")
    bbc_truth = read_truth(TRUTH / "bbc")
    filters = read_filters(TRUTH / "filters.toml")

    ids = sample_ids(records)
    problems = truth_problems(seed_truth, seeds) + truth_problems(bbc_truth, texts)
    if sorted(bbc_truth) != sorted(ids):
        problems.append(
            f"the BBC truth files are not the sample: {sorted(set(ids) ^ set(bbc_truth))}"
        )
    bbc_names = {(e.kind, e.name) for a in bbc_truth.values() for e in a.entities}
    problems += [
        f"filter {f.name!r}: no such {f.kind} in the BBC truth files"
        for f in filters
        if (f.kind, f.name) not in bbc_names
    ]
    if problems:
        raise SystemExit("truth files need fixing:\n  " + "\n  ".join(problems))

    with tempfile.TemporaryDirectory(prefix="entity-quality-") as tmp:
        seeds_ix = build_index(Path(tmp) / "seeds", sources=[REPO / "seeds"])
        sample_ix = build_index(Path(tmp) / "sample", records=[by_id[i] for i in ids])
        full_ix = cached_bbc_index(data, cache, log=log)
        collections = [
            collection_report("seeds", seed_truth, seeds_ix, top=False),
            collection_report("BBC sample (own index)", bbc_truth, sample_ix, top=True),
            collection_report("BBC sample (all of BBC)", bbc_truth, full_ix, top=True),
        ]
        rows = filter_rows(full_ix, filters, texts)
        for ix in (seeds_ix, sample_ix, full_ix):
            ix.close()
    returned = sum(r["returned"] for r in rows)
    hits = sum(r["mentioning_returned"] for r in rows)
    precisions = [r["precision"] for r in rows if r["precision"] is not None]
    return {
        "searchlib": searchlib.__version__,
        "date": datetime.date.today().isoformat(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sample": ids,
        "collections": collections,
        "filters": rows,
        "filter_summary": {
            "returned": returned,
            "mentioning_returned": hits,
            "precision": hits / returned if returned else None,
            "macro_precision": sum(precisions) / len(precisions) if precisions else None,
            "at_target": sum(p >= TARGETS["filter"] for p in precisions),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder holding bbc/docs.jsonl (default: {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where the whole-BBC index is kept (default: {DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="also list every wrong value, every miss and off-target filter hits",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if not (args.data / "bbc" / "docs.jsonl").exists():
        raise SystemExit(f"no {args.data / 'bbc' / 'docs.jsonl'}: pass --data FOLDER")
    result = run(args.data, args.cache, log=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_report(result, args.details)


if __name__ == "__main__":
    main()
