"""The impact sidecar gives exactly the results of the Whoosh path: same top ids, scores, totals,
facets and dates, for hundreds of random queries with and without filters; a stale sidecar is
never used and an incremental build writes a new one."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

import searchlib
import searchlib.index
from searchlib import impacts
from searchlib.search import Index

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578" / "docs.jsonl"
WORDS = [
    "oil",
    "price",
    "market",
    "bank",
    "rate",
    "trade",
    "export",
    "wheat",
    "grain",
    "gold",
    "shares",
    "profit",
    "loss",
    "dollar",
    "yen",
    "tariff",
    "strike",
    "port",
    "ship",
    "coffee",
    "sugar",
    "cocoa",
    "copper",
    "steel",
    "debt",
    "bond",
    "budget",
    "growth",
    "index",
    "talks",
    "deal",
    "merger",
    "bid",
    "stake",
    "offer",
    "quarter",
    "forecast",
    "surplus",
    "deficit",
    "crop",
    "harvest",
    "rain",
]
PEOPLE = ["Ann Lee", "A. Lee", "Bo Chan", "Carl Diaz", "Dina Ross"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella"]
PLACES = ["Tokyo", "Lagos", "Lima", "Oslo", "Quito"]


def synthetic(count: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, list]]]:
    """Random articles from a small vocabulary (many ties and shared words), some undated,
    with entities (two spellings of one person, so facets merge them)."""
    rng = random.Random(seed)
    records, entities = [], {}
    for number in range(count):
        record = {
            "id": f"s{seed}-{number:04d}",
            "title": " ".join(rng.choices(WORDS, k=rng.randint(1, 6))),
            "text": " ".join(rng.choices(WORDS, k=rng.randint(5, 120))),
        }
        if rng.random() < 0.9:
            record["date"] = (
                f"{rng.randint(1985, 1990)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
        records.append(record)
        entities[record["id"]] = {
            "person": rng.sample(PEOPLE, rng.randint(0, 2)),
            "org": rng.sample(ORGS, rng.randint(0, 2)),
            "place": rng.sample(PLACES, rng.randint(0, 2)),
        }
    return records, entities


def build_with_entities(
    target: Path, source: Path, entities: dict[str, dict[str, list]]
) -> searchlib.BuildReport:
    """Build with each article given the entities listed for it (sources cannot state them)."""
    prepare = searchlib.index.prepare

    def prepare_with_entities(record: Any) -> Any:
        article = prepare(record)
        given = entities.get(article.id, {})
        return dataclasses.replace(article, **{k: tuple(v) for k, v in given.items()})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.index, "prepare", prepare_with_entities)
        return searchlib.build(target, [source])


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def synthetic_ix(tmp_path_factory: pytest.TempPathFactory) -> Index:
    folder = tmp_path_factory.mktemp("impacts-synthetic")
    records, entities = synthetic(600, seed=7)
    build_with_entities(folder / "ix", write_jsonl(folder / "a.jsonl", records), entities)
    return searchlib.open(folder / "ix")


@pytest.fixture(scope="module")
def reuters_ix(tmp_path_factory: pytest.TempPathFactory) -> Index:
    if not REUTERS.is_file():
        pytest.skip(f"Reuters-21578 is not at {REUTERS}")
    folder = tmp_path_factory.mktemp("impacts-reuters")
    with REUTERS.open(encoding="utf-8") as lines:
        head = [next(lines) for _ in range(3000)]
    (folder / "r.jsonl").write_text("".join(head), "utf-8")
    searchlib.build(folder / "ix", [folder / "r.jsonl"])
    return searchlib.open(folder / "ix")


class Spy:
    """Counts the searches offered to the sidecar and those it answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = self.fast = 0
        original = Index._run_impacts

        def counted(index: Index, *args: Any, **kwargs: Any) -> Any:
            result = original(index, *args, **kwargs)
            self.calls += 1
            self.fast += result is not None
            return result

        monkeypatch.setattr(Index, "_run_impacts", counted)


def both(ix: Index, query: str, **options: Any) -> tuple[Any, Any]:
    ix.use_impacts = False
    whoosh = ix.search(query, **options)
    ix.use_impacts = True
    fast = ix.search(query, **options)
    return whoosh, fast


def assert_same(whoosh: Any, fast: Any) -> None:
    context = f"{whoosh.query!r}"
    assert [h.id for h in fast] == [h.id for h in whoosh], context
    for a, b in zip(whoosh, fast, strict=True):
        assert b.score == pytest.approx(a.score, rel=1e-9, abs=0), context
        assert (b.rank, b.title, b.date, b.snippet, b.entities) == (
            a.rank,
            a.title,
            a.date,
            a.snippet,
            a.entities,
        )
    assert fast.total == whoosh.total, context
    assert fast.facets == whoosh.facets, context
    assert fast.dates == whoosh.dates, context
    assert fast.suggestion == whoosh.suggestion and fast.corrected == whoosh.corrected


def query_words(ix: Index, rng: random.Random) -> list[str]:
    """Words typed as users type them: the articles' own words, as written."""
    words: set[str] = set()
    for article in list(ix.articles())[:400]:
        words.update(
            w.lower() for w in re.findall(r"[A-Za-z]{3,}", f"{article.title} {article.body}")
        )
    return sorted(words)


def random_queries(ix: Index, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = query_words(ix, rng)
    queries = []
    for number in range(count):
        size = (1, 2, rng.randint(5, 10))[number % 3]
        queries.append(" ".join(rng.choices(words, k=size)))
    return queries


def random_filters(ix: Index, rng: random.Random) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if rng.random() < 0.6:
        lo = rng.randint(1985, 1990)
        filters["date_from"] = f"{lo}-{rng.randint(1, 12):02d}"
        if rng.random() < 0.5:
            filters["date_to"] = str(lo + rng.randint(0, 2))
    if rng.random() < 0.6 or not filters:
        entities = ix.entities()
        entity = rng.choice(entities[: max(1, len(entities) // 3)])
        filters[entity.kind] = rng.choice([entity.name, *entity.aliases])
    return filters


def run_identity(ix: Index, spy: Spy, plain: int, filtered: int, seed: int) -> int:
    rng = random.Random(seed)
    compared = 0
    for query in random_queries(ix, plain, seed):
        assert_same(*both(ix, query))
        compared += 1
    for query in random_queries(ix, filtered, seed + 1):
        assert_same(*both(ix, query, **random_filters(ix, rng)))
        compared += 1
    return compared


OPERATOR_QUERIES = [
    "oil -price",
    "oil AND price",
    "oil price NOT bank",
    "+oil price rate",
    "oil oil price",
    "wheat^3 grain",
    "the of",  # only stop words: nothing matches
]


def test_synthetic_queries_give_the_whoosh_results(
    synthetic_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    compared = run_identity(synthetic_ix, spy, plain=150, filtered=150, seed=1)
    for query in OPERATOR_QUERIES:
        assert_same(*both(synthetic_ix, query))
        assert_same(*both(synthetic_ix, query, page=2, limit=7, place="Lima"))
        compared += 2
    assert compared == 314
    # The sidecar answered all of them: the test does not compare Whoosh to itself.
    print(f"synthetic: {spy.fast} of {spy.calls} searches answered by the sidecar")
    assert spy.fast == compared


def test_reuters_queries_give_the_whoosh_results(
    reuters_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    compared = run_identity(reuters_ix, spy, plain=150, filtered=150, seed=2)
    assert compared == 300
    # Misspelt queries run twice (the second time corrected); the sidecar answered every one.
    print(f"reuters: {spy.fast} of {spy.calls} searches answered by the sidecar")
    assert spy.calls >= compared and spy.fast == spy.calls


def test_copies_in_other_segments_tie_as_in_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles that are copies of each other score the same in whichever segment they sit, so
    both paths order such ties by id, also for queries of many words (whose scores Whoosh would
    add in a per-segment order)."""
    monkeypatch.setattr(searchlib.index, "SEGMENT_DOCS", 50)
    records, entities = synthetic(100, seed=11)
    copies = [{**r, "id": f"copy-{r['id']}"} for r in records]
    random.Random(13).shuffle(copies)  # so that the segments hold different mixes
    entities.update({f"copy-{k}": v for k, v in entities.items()})
    source = write_jsonl(tmp_path / "a.jsonl", [*records, *copies])
    build_with_entities(tmp_path / "ix", source, entities)
    ix = searchlib.open(tmp_path / "ix")
    spy = Spy(monkeypatch)
    rng = random.Random(12)
    for _ in range(60):
        query = " ".join(rng.sample(WORDS, rng.randint(3, 10)))
        whoosh, fast = both(ix, query, limit=20)
        assert_same(whoosh, fast)
        pairs = [(h.id.removeprefix("copy-"), h.score) for h in fast]
        assert len(set(pairs)) < len(pairs), "every hit has its copy beside it"
    assert spy.fast == spy.calls == 60


def test_other_queries_are_matched_by_whoosh_and_ranked_with_the_sidecar(
    synthetic_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phrases, fields, prefixes, fuzzy words and date sorting: Whoosh matches and scores the
    query, the sidecar adds feedback, ranks and counts; the results are Whoosh's own."""
    spy = Spy(monkeypatch)
    # ("(oil OR gold) AND bank": the parser leaves "oil" as two one-field terms, not BM25F.)
    others = ['"oil price"', "title:oil", "pri*", "bnak~", "oil date:1986"]
    for query in [*others, "(oil OR gold) AND bank"]:
        assert_same(*both(synthetic_ix, query))
        assert_same(*both(synthetic_ix, query, page=2, limit=5, place="Lima"))
    for query in ["oil price", '"oil price" bank', "wheat -grain"]:
        assert_same(*both(synthetic_ix, query, sort="date"))
        assert_same(*both(synthetic_ix, query, sort="date", page=3, limit=4))
    assert spy.fast == spy.calls == 18
    # Browsing every article ("" or "*") is left to Whoosh.
    for query in ["", "*"]:
        assert_same(*both(synthetic_ix, query))
    assert spy.fast == 18 and spy.calls == 20


def test_stale_or_missing_sidecar_is_not_used(tmp_path: Path) -> None:
    records, entities = synthetic(60, seed=3)
    build_with_entities(tmp_path / "ix", write_jsonl(tmp_path / "a.jsonl", records), entities)
    ix = searchlib.open(tmp_path / "ix")
    assert ix._impacts[1] is not None
    folder = tmp_path / "ix" / ix.manifest["generation"]
    header = json.loads((folder / impacts.HEADER).read_text("utf-8"))
    header["generation"] = "gen-999999"
    (folder / impacts.HEADER).write_text(json.dumps(header), "utf-8")
    assert searchlib.open(tmp_path / "ix")._impacts[1] is None
    (folder / impacts.HEADER).unlink()
    stale = searchlib.open(tmp_path / "ix")
    assert stale._impacts[1] is None
    stale.use_impacts = True
    assert stale.search("oil").total == ix.search("oil").total > 0


def test_incremental_build_rewrites_the_sidecar(tmp_path: Path) -> None:
    records, entities = synthetic(120, seed=4)
    (tmp_path / "src").mkdir()
    source = write_jsonl(tmp_path / "src" / "a.jsonl", records)
    build_with_entities(tmp_path / "ix", tmp_path / "src", entities)
    ix = searchlib.open(tmp_path / "ix")
    first = ix.manifest["generation"]
    more, more_entities = synthetic(40, seed=5)
    write_jsonl(tmp_path / "src" / "b.jsonl", more)
    write_jsonl(source, records[:100])  # 20 deleted
    report = build_with_entities(tmp_path / "ix", tmp_path / "src", {**entities, **more_entities})
    assert (report.added, report.deleted) == (40, 20)
    ix.search("oil")  # the open index switches to the new generation
    generation = ix.manifest["generation"]
    assert generation != first
    header = json.loads((tmp_path / "ix" / generation / impacts.HEADER).read_text("utf-8"))
    assert (header["generation"], header["docs"]) == (generation, 140)
    # Written anew, never hard-linked from the previous generation (which readers may hold).
    files = list((tmp_path / "ix" / generation).glob(f"{impacts.PREFIX}*"))
    assert len(files) > 10 and all(f.stat().st_nlink == 1 for f in files)
    assert ix._impacts[1] is not None and ix._impacts[1].sidecar.docs_all == 140
    for query in ["oil", "gold bank", "wheat grain rain port ship", "oil -bank"]:
        assert_same(*both(ix, query))
        assert_same(*both(ix, query, person="Ann Lee", date_from="1986"))
