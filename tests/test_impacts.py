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
import searchlib.engine.whoosh.writer
import searchlib.prepare.articles
import searchlib.store.entity_table
import searchlib.store.manifest
from searchlib import Index
from searchlib.engine.sidecar import files as impacts
from searchlib.engine.sidecar.scorer import SidecarEngine

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
    prepare = searchlib.prepare.articles.prepare

    def prepare_with_entities(record: Any) -> Any:
        article = prepare(record)
        given = entities.get(article.id, {})
        return dataclasses.replace(article, **{k: tuple(v) for k, v in given.items()})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.prepare.articles, "prepare", prepare_with_entities)
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


class Spy:
    """Counts the searches offered to the sidecar and those it answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = self.fast = 0
        original = SidecarEngine._run

        def counted(engine: SidecarEngine, *args: Any, **kwargs: Any) -> Any:
            result = original(engine, *args, **kwargs)
            self.calls += 1
            self.fast += result is not None
            return result

        monkeypatch.setattr(SidecarEngine, "_run", counted)


_WHOOSH_TWINS: dict[tuple[str, str], Index] = {}


def both(ix: Index, query: str, **options: Any) -> tuple[Any, Any]:
    """The same search through Whoosh alone and through the sidecar."""
    key = (str(ix.path), ix.manifest["generation"])
    if key not in _WHOOSH_TWINS:
        _WHOOSH_TWINS[key] = searchlib.open(ix.path, engine="whoosh")
    whoosh = _WHOOSH_TWINS[key].search(query, **options)
    assert ix.engine == "sidecar"
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


@pytest.mark.slow
def test_synthetic_queries_give_the_whoosh_results(
    synthetic_ix: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    compared = run_identity(synthetic_ix, spy, plain=120, filtered=120, seed=1)
    for query in OPERATOR_QUERIES:
        assert_same(*both(synthetic_ix, query))
        assert_same(*both(synthetic_ix, query, page=2, limit=7, place="Lima"))
        compared += 2
    assert compared == 240 + 2 * len(OPERATOR_QUERIES)
    # The sidecar answered all of them: the test does not compare Whoosh to itself.
    print(f"synthetic: {spy.fast} of {spy.calls} searches answered by the sidecar")
    assert spy.fast == compared


@pytest.mark.slow
def test_copies_in_other_segments_tie_as_in_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles that are copies of each other score the same in whichever segment they sit, so
    both paths order such ties by id, also for queries of many words (whose scores Whoosh would
    add in a per-segment order)."""
    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 50)
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
    assert ix.engine == "sidecar"
    folder = tmp_path / "ix" / ix.manifest["generation"]
    header = json.loads((folder / impacts.HEADER).read_text("utf-8"))
    header["generation"] = "gen-999999"
    (folder / impacts.HEADER).write_text(json.dumps(header), "utf-8")
    assert searchlib.open(tmp_path / "ix").engine == "whoosh"
    (folder / impacts.HEADER).unlink()
    stale = searchlib.open(tmp_path / "ix")
    assert stale.engine == "whoosh"
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
    assert ix.engine == "sidecar" and ix._engine.accel.sidecar.docs_all == 140
    for query in ["oil", "gold bank", "wheat grain rain port ship", "oil -bank"]:
        assert_same(*both(ix, query))
        assert_same(*both(ix, query, person="Ann Lee", date_from="1986"))


def sidecar_arrays(folder: Path) -> dict[str, Any]:
    """Every array of a generation's sidecar, and its header without the generation."""
    import numpy as np

    arrays: dict[str, Any] = {
        path.name: np.load(path, allow_pickle=False)
        for path in sorted(folder.glob(f"{impacts.PREFIX}*.npy"))
    }
    header = json.loads((folder / impacts.HEADER).read_text("utf-8"))
    del header["generation"]
    arrays["header"] = header
    return arrays


def by_article(arrays: dict[str, Any]) -> dict[str, Any]:
    """A sidecar's content keyed by article id rather than document number (which differ
    between a full and an incremental build of the same sources)."""
    header = arrays["header"]
    ids = sorted(
        range(len(arrays["impacts-id_rank.npy"])), key=lambda d: arrays["impacts-id_rank.npy"][d]
    )
    ids_of = {d: f"#{rank}" for rank, d in enumerate(ids)}  # id order is the same in both
    words, indptr = arrays["impacts-words.npy"], arrays["impacts-indptr.npy"]
    docs, tf = arrays["impacts-docs.npy"], arrays["impacts-tf.npy"]
    if "impacts-tf_values.npy" in arrays:  # (codes into the table of distinct values)
        tf = arrays["impacts-tf_values.npy"][tf]
    postings = {
        word.decode("utf-8"): {
            ids_of[int(d)]: float(t) for d, t in zip(docs[lo:hi], tf[lo:hi], strict=True)
        }
        for word, lo, hi in zip(words, indptr[:-1], indptr[1:], strict=True)
    }
    entities = {
        kind: sorted(
            (ids_of[int(d)], header["names"][kind][int(n)])
            for d, n in zip(
                arrays[f"impacts-{kind}_docs.npy"], arrays[f"impacts-{kind}_names.npy"], strict=True
            )
        )
        for kind in impacts.ENTITY_KINDS
    }
    dates = {ids_of[d]: int(x) for d, x in enumerate(arrays["impacts-dates.npy"])}
    deleted = {ids_of[d]: bool(x) for d, x in enumerate(arrays["impacts-deleted.npy"])}
    rest = {k: v for k, v in header.items() if k != "names"}
    return {"postings": postings, "entities": entities, "dates": dates, "deleted": deleted, **rest}


def read_back_arrays(folder: Path, scratch: Path) -> dict[str, Any]:
    """The arrays of the sidecar of generation ``folder`` when read back from the whole index
    (in a copy, ``scratch``)."""
    import shutil

    from whoosh import index as whoosh_index

    shutil.copytree(folder, scratch)
    impacts._write_read_back(scratch, folder.name, whoosh_index.open_dir(str(scratch)))
    return sidecar_arrays(scratch)


def assert_same_arrays(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "header":
            assert a[key] == b[key]
        else:
            assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
            assert (a[key] == b[key]).all(), key


def forget_checksums(path: Path) -> None:
    """Make the index at ``path`` one whose build recorded no checksums (an older searchlib's),
    so that files changed here are taken as that build wrote them, not as damage."""
    manifest_path = path / searchlib.store.manifest.MANIFEST
    manifest = json.loads(manifest_path.read_text("utf-8"))
    del manifest["files"]
    manifest_path.write_text(json.dumps(manifest), "utf-8")


@pytest.mark.slow
def test_incremental_sidecar_reuses_the_parts_of_unchanged_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from whoosh import index as whoosh_index

    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 40)
    records, entities = synthetic(240, seed=11)
    more, more_entities = synthetic(30, seed=12)
    entities = {**entities, **more_entities}
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", records)
    build_with_entities(tmp_path / "ix", src, entities)

    def current(path: Path) -> Path:
        manifest = json.loads((path / searchlib.store.manifest.MANIFEST).read_text("utf-8"))
        return path / manifest["generation"]

    def segment_ids(folder: Path) -> list[str]:
        return [s.segment_id() for s in whoosh_index.open_dir(str(folder))._segments()]

    first = current(tmp_path / "ix")
    first_segments = segment_ids(first)
    assert len(first_segments) == 6
    for segment_id in first_segments:  # the full build kept each segment's part beside it
        assert (first / f"{impacts.PART_PREFIX}{segment_id}.json").is_file()

    read_back: list[str] = []
    real_read_part = impacts.read_part

    def counting_read_part(store: Any, segment: Any) -> Any:
        read_back.append(segment.segment_id())
        return real_read_part(store, segment)

    def no_whole_read_back(*args: Any) -> Any:
        raise AssertionError("the whole index was read back")

    monkeypatch.setattr(impacts, "read_part", counting_read_part)
    monkeypatch.setattr(impacts, "read_matrix", no_whole_read_back)

    changed = [dict(r) for r in records]
    changed[50]["text"] += " oil oil harvest"  # one article updated in the second segment
    del changed[-1]  # one deleted in the last (an earlier line would move those after it)
    write_jsonl(src / "a.jsonl", changed)
    write_jsonl(src / "b.jsonl", more)  # and 30 added
    report = build_with_entities(tmp_path / "ix", src, entities)
    assert (report.added, report.updated, report.deleted) == (30, 1, 1)
    second = current(tmp_path / "ix")
    second_segments = segment_ids(second)
    new_segments = set(second_segments) - set(first_segments)
    # Nothing was read back: the segment written by this build (new and purged articles) got
    # its part as it was written, and the parts of the four unchanged segments were reused
    # (hard links to the previous ones).
    assert read_back == [] and len(new_segments) == 1
    kept = [s for s in second_segments if s not in new_segments]
    assert len(kept) == 4
    for segment_id in kept:
        part = second / f"{impacts.PART_PREFIX}{segment_id}.npz"
        assert part.samefile(first / part.name)
    # No part of a segment merged away is kept.
    assert {p.name.rsplit(".", 1)[0] for p in second.glob(f"{impacts.PART_PREFIX}*")} == {
        f"{impacts.PART_PREFIX}{s}" for s in second_segments
    }

    # Array by array, the sidecar is the one read back from the whole index...
    combined = sidecar_arrays(second)
    monkeypatch.undo()
    assert_same_arrays(combined, read_back_arrays(second, tmp_path / "check"))
    # ... and, article by article, that of a full build of the same sources.
    build_with_entities(tmp_path / "fresh", src, entities)
    fresh = current(tmp_path / "fresh")
    assert by_article(combined) == by_article(sidecar_arrays(fresh))
    assert (second / searchlib.store.entity_table.ENTITY_TABLE).read_text("utf-8") == (
        fresh / searchlib.store.entity_table.ENTITY_TABLE
    ).read_text("utf-8")

    # A part that does not match its segment is never trusted: it is read back instead.
    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 40)
    monkeypatch.setattr(impacts, "read_part", counting_read_part)
    read_back.clear()
    meta = second / f"{impacts.PART_PREFIX}{kept[0]}.json"
    other = json.loads((second / f"{impacts.PART_PREFIX}{kept[1]}.json").read_text("utf-8"))
    meta.unlink()  # (a hard link: the previous generation keeps its own)
    meta.write_text(json.dumps({**other, "segment": kept[0]}), "utf-8")  # another's postings
    broken = second / f"{impacts.PART_PREFIX}{kept[2]}.npz"
    broken.unlink()
    broken.write_bytes(b"PK\x03\x04 not a zip file")
    write_jsonl(src / "c.jsonl", synthetic(5, seed=13)[0])
    forget_checksums(tmp_path / "ix")  # else the build finds the damage first, and starts afresh
    build_with_entities(tmp_path / "ix", src, entities)
    assert read_back == [kept[0], kept[2]]
    monkeypatch.undo()
    third = current(tmp_path / "ix")
    assert_same_arrays(sidecar_arrays(third), read_back_arrays(third, tmp_path / "check3"))
    shutil.rmtree(tmp_path / "fresh")
    build_with_entities(tmp_path / "fresh", src, entities)
    assert by_article(sidecar_arrays(current(tmp_path / "ix"))) == by_article(
        sidecar_arrays(current(tmp_path / "fresh"))
    )


@pytest.mark.slow
def test_parts_of_merged_segments_are_written_as_they_are_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh import index as whoosh_index

    monkeypatch.setattr(searchlib.engine.whoosh.writer, "SEGMENT_DOCS", 40)
    records, entities = synthetic(80, seed=21)
    src = tmp_path / "src"
    src.mkdir()
    write_jsonl(src / "a.jsonl", records[:40])
    build_with_entities(tmp_path / "ix", src, entities)
    read_back: list[str] = []
    real_read_part = impacts.read_part

    def counting_read_part(store: Any, segment: Any) -> Any:
        read_back.append(segment.segment_id())
        return real_read_part(store, segment)

    monkeypatch.setattr(impacts, "read_part", counting_read_part)
    counts = []
    for step in range(12):  # small segments, merged once there are more than 8
        write_jsonl(src / f"b{step:02d}.jsonl", records[40 + 3 * step : 43 + 3 * step])
        if step == 10:
            write_jsonl(src / "a.jsonl", records[1:40])  # and a deletion
        build_with_entities(tmp_path / "ix", src, entities)
        manifest = json.loads(
            (tmp_path / "ix" / searchlib.store.manifest.MANIFEST).read_text("utf-8")
        )
        folder = tmp_path / "ix" / manifest["generation"]
        counts.append(len(whoosh_index.open_dir(str(folder))._segments()))
        assert_same_arrays(
            sidecar_arrays(folder), read_back_arrays(folder, tmp_path / f"check{step}")
        )
    assert read_back == []
    assert max(counts) == 10 and counts[-1] < 10  # merges happened


def test_build_replaces_a_sidecar_written_by_another_version(tmp_path: Path) -> None:
    records, entities = synthetic(60, seed=3)
    source = write_jsonl(tmp_path / "a.jsonl", records)
    build_with_entities(tmp_path / "ix", source, entities)
    first = searchlib.open(tmp_path / "ix").manifest["generation"]
    header_path = tmp_path / "ix" / first / impacts.HEADER
    header = json.loads(header_path.read_text("utf-8"))
    header["format"] = impacts.FORMAT - 1
    header_path.write_text(json.dumps(header), "utf-8")
    forget_checksums(tmp_path / "ix")  # as that version did not record them
    assert searchlib.open(tmp_path / "ix").engine == "whoosh"
    report = build_with_entities(tmp_path / "ix", source, entities)
    assert (report.added, report.updated, report.deleted) == (0, 0, 0)
    assert report.generation != first
    ix = searchlib.open(tmp_path / "ix")
    assert ix.engine == "sidecar" and ix._engine.accel.sidecar.docs_all == 60
    again = build_with_entities(tmp_path / "ix", source, entities)
    assert again.generation == report.generation  # nothing more to do


def test_a_segment_read_back_is_its_part_also_with_untitled_articles(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index
    from whoosh.util.numeric import byte_to_length, length_to_byte

    records, entities = synthetic(50, seed=9)
    for record in records[::7]:
        # No title terms: Whoosh reads no length for them, in a segment with a column.
        record["title"] = "The Of And"
    build_with_entities(tmp_path / "ix", write_jsonl(tmp_path / "a.jsonl", records), entities)
    folder = tmp_path / "ix" / searchlib.open(tmp_path / "ix").manifest["generation"]
    store = whoosh_index.open_dir(str(folder))
    (segment,) = store._segments()
    saved, read = impacts.load_part(folder, segment), impacts.read_part(store, segment)
    assert saved is not None

    def rounded(lengths: list[int]) -> list[int]:
        return [byte_to_length(length_to_byte(n)) if n else 0 for n in lengths]

    assert read.lengths == {name: rounded(saved.lengths[name]) for name in saved.lengths}
    assert read.lengths["title"].count(0) == 8

    def triples(part: impacts.SegmentPart, name: str) -> set[tuple[bytes, int, float]]:
        wids, docs, weights = part.postings[name]
        return {
            (part.vocabulary[w], int(d), float(x))
            for w, d, x in zip(wids, docs, weights, strict=True)
        }

    for name in saved.postings:
        assert triples(read, name) == triples(saved, name)
