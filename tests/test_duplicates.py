"""Near-duplicate stories: found at build time, kept in the index, collapsed in searches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli, search_command
from searchlib.prepare.shingles import EMPTY, signature
from searchlib.store import duplicates, integrity

from .conftest import ROOT

WIRE = (
    "The central bank of Norway raised its main lending rate by half a point to 7.5 pct on "
    "Tuesday, saying that rising wages and a weaker crown threatened to push inflation above "
    "its target for the second year running. Governor Hermod Skanland told reporters that the "
    "bank would watch the currency markets closely and act again if needed. Economists in Oslo "
    "had expected a smaller rise of a quarter point, and the crown firmed against the mark "
    "after the announcement. The bank last changed its rate in November."
)
CORRECTED = WIRE.replace("Hermod Skanland", "Hermod Skaanland").replace("mark", "dollar")
UPDATED = WIRE + (
    " Later on Tuesday the finance ministry said it backed the decision and would present a "
    "tighter budget for next year to parliament in October."
)
WEEKLY = (
    "Exporters reported sales of {n} tonnes of wheat for delivery to the Soviet Union in the "
    "week ended {day}, according to the Agriculture Department's latest export sales report. "
    "The Soviet Union has purchased a total of 2.1 mln tonnes of wheat for delivery in the "
    "fourth year of the grains agreement, which ends on September 30, the department said. "
    "Total shipments in the third year of the agreement amounted to 9.2 mln tonnes."
)
OTHER = (
    "Shares in Tokyo closed higher on Wednesday as buying by investment trusts lifted "
    "electrical and shipbuilding issues, while the dollar eased against the yen in quiet "
    "trading. Brokers said foreign investors stayed on the sidelines ahead of the Group of "
    "Seven meeting in Paris at the weekend, where finance ministers are expected to discuss "
    "exchange rates and the trade imbalance between Japan and the United States."
)


RATE, BACKED = "NORWAY RAISES LENDING RATE", "NORWAY RAISES RATE, MINISTRY BACKS IT"
WHEAT = "WHEAT SALES TO USSR -- USDA"


def articles() -> list[dict[str, str]]:
    """Three versions of one wire story, a weekly report sent in two weeks, an unrelated one."""
    return [
        {"id": "n1", "title": RATE, "date": "1987-03-03", "text": WIRE},
        {"id": "n2", "title": RATE, "date": "1987-03-03", "text": CORRECTED},
        {"id": "n3", "title": BACKED, "date": "1987-03-04", "text": UPDATED},
        {"id": "w1", "title": WHEAT, "date": "1987-03-05",
         "text": WEEKLY.format(n="125,000", day="February 26")},
        {"id": "w2", "title": WHEAT, "date": "1987-03-12",
         "text": WEEKLY.format(n="125,000", day="March 5")},
        {"id": "t1", "title": "TOKYO SHARES CLOSE HIGHER", "date": "1987-03-04", "text": OTHER},
    ]  # fmt: skip


def write_jsonl(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), "utf-8")
    return path


@pytest.fixture(scope="module")
def wire_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wire")
    source = write_jsonl(folder / "wire.jsonl", articles())
    searchlib.build(folder / "ix", [source])
    return folder / "ix"


def test_a_signature_is_the_same_in_every_process():
    # Python salts hash() per process; the signature must not depend on it.
    script = (
        "import sys; from searchlib.prepare.shingles import signature; "
        "sys.stdout.write(signature(sys.argv[1], sys.argv[2]).tobytes().hex())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script, "TITLE", WIRE],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {signature("TITLE", WIRE).tobytes().hex()}


def test_signatures_agree_as_much_as_the_texts_do():
    same = np.mean(signature("", WIRE) == signature("", CORRECTED))
    other = np.mean(signature("", WIRE) == signature("", OTHER))
    assert same > 0.5 > 0.1 > other


def test_the_versions_of_a_story_are_one_group_and_a_weekly_report_is_not(wire_index):
    with searchlib.open(wire_index) as ix:
        stories = ix.duplicates()
        assert [story.ids for story in stories] == [("n1", "n2", "n3")]
        assert stories[0].dates == ("1987-03-03", "1987-03-03", "1987-03-04")
        assert ix.get("n2").similar == ("n1", "n3")
        assert ix.get("t1").similar == ()
        assert ix.get("w1").similar == ()  # alike, but a week apart: another week's news


@pytest.mark.parametrize("engine", ["whoosh", "sidecar"])
def test_collapse_shows_one_hit_per_story(wire_index, engine):
    with searchlib.open(wire_index, engine=engine) as ix:
        plain = ix.search("Norway bank rate crown")
        folded = ix.search("Norway bank rate crown", collapse=True)
    assert {hit.id for hit in plain} >= {"n1", "n2", "n3"}
    ids = [hit.id for hit in folded]
    assert len([i for i in ids if i.startswith("n")]) == 1
    first = next(hit for hit in folded if hit.id.startswith("n"))
    assert ids[0] == plain.hits[0].id and set(first.similar) == {"n1", "n2", "n3"} - {first.id}
    assert folded.total == plain.total  # the total (and the facets) count articles
    assert folded.facets == plain.facets
    assert [hit.rank for hit in folded] == list(range(1, len(folded) + 1))


def test_collapsed_pages_hold_stories(wire_index):
    with searchlib.open(wire_index) as ix:
        every = [hit.id for hit in ix.search("*", collapse=True, limit=20)]
        paged = [ix.search("*", collapse=True, limit=1, page=p).hits[0].id for p in (1, 2, 3, 4)]
    assert len(every) == 4  # one Norwegian story, two weekly reports, Tokyo
    assert paged == every


def test_incremental_builds_give_the_groups_of_a_full_build(tmp_path):
    source = write_jsonl(tmp_path / "wire.jsonl", articles()[:4])
    searchlib.build(tmp_path / "grown", [source])
    changed = articles()
    changed[0] = {**changed[0], "text": OTHER}  # n1 becomes a copy of the Tokyo story
    del changed[2]  # n3 is gone
    changed.append({"id": "n4", "title": "NORWAY RATE", "date": "1987-03-03", "text": UPDATED})
    write_jsonl(source, changed)
    report = searchlib.build(tmp_path / "grown", [source])
    assert not report.full and report.deleted == 1 and report.unchanged  # (n2 unchanged)
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_bytes(source.read_bytes())
    searchlib.build(tmp_path / "full", [fresh])
    with searchlib.open(tmp_path / "grown") as grown, searchlib.open(tmp_path / "full") as full:
        groups = [story.ids for story in grown.duplicates()]
        assert groups == [story.ids for story in full.duplicates()]
        # The deleted article (n3) is in neither the stories nor the entities it named.
        assert grown.entities() == full.entities() and grown.entities()
        query = ("rate", {"collapse": True, "limit": 10})
        assert [(h.id, h.similar) for h in grown.search(query[0], **query[1]).hits] == [
            (h.id, h.similar) for h in full.search(query[0], **query[1]).hits
        ]
        grown_folder = Path(grown.path) / grown.manifest["generation"]
        full_folder = Path(full.path) / full.manifest["generation"]
    assert groups == [("n1", "t1"), ("n2", "n4")]
    for name in (duplicates.SIGNATURES, duplicates.IDS, duplicates.DAYS):
        assert np.array_equal(
            np.load(grown_folder / name, allow_pickle=False),
            np.load(full_folder / name, allow_pickle=False),
        )
    # The files of the generation it grew from are untouched (they were linked, not written).
    first = duplicates.load(Path(tmp_path / "grown") / "gen-000001")
    assert first.largest() == [("n1", "n2", "n3")]


def test_the_groups_are_checked_with_the_other_files(tmp_path):
    source = write_jsonl(tmp_path / "wire.jsonl", articles())
    searchlib.build(tmp_path / "ix", [source])
    manifest = json.loads((tmp_path / "ix" / "searchlib.json").read_text())
    kept = (duplicates.GROUPS, duplicates.SIGNATURES, duplicates.IDS, duplicates.DAYS)
    arrays = (duplicates.GROUP_OF, duplicates.MEMBERS, duplicates.STARTS)
    for name in kept + arrays:
        assert name in manifest["files"]
    folder = tmp_path / "ix" / manifest["generation"]
    members = np.load(folder / duplicates.MEMBERS)
    assert duplicates.load(folder).largest() == [("n1", "n2", "n3")]
    ids = np.load(folder / duplicates.IDS)
    members[-1] = int(np.flatnonzero(ids == "t1")[0])  # n3 swapped for t1, the sizes kept
    np.save(folder / duplicates.MEMBERS, members, allow_pickle=False)
    assert duplicates.load(folder).largest() == [("n1", "n2", "t1")]  # (it reads as valid)
    report = searchlib.check(tmp_path / "ix")
    assert any(duplicates.MEMBERS in line for line in report.damaged)


def test_groups_are_read_from_the_arrays_as_found_and_out_of_range_rows_are_no_groups(
    tmp_path,
):
    stories = [duplicates.Compared(f"c{n}", RATE, WIRE, "1987-03-03") for n in range(5)]
    stories += [duplicates.Compared(f"u{n}", WHEAT, WEEKLY.format(n=n, day="March 5"), None)
                for n in range(3)]  # fmt: skip
    stories += [duplicates.Compared("a0", "", OTHER, None), duplicates.Compared("z9", "", "", None)]
    ids, signatures, days = duplicates._signatures(stories)
    order = np.argsort(ids, kind="stable")
    ids, signatures, days = ids[order], signatures[order], days[order]
    found = duplicates.find_groups(ids, signatures, days)
    assert [len(group) for group in found] == [5, 3]
    duplicates._save(tmp_path, "gen-000001", ids, signatures, days)
    groups = duplicates.load(tmp_path)
    assert groups.largest() == [tuple(group) for group in found] == list(groups)
    assert groups.largest(1) == [tuple(found[0])] and groups.largest(0) == []
    assert groups.of("c3") == tuple(found[0]) and groups.others("u1") == ("u0", "u2")
    assert groups.of("a0") == groups.of("z9") == groups.of("b") == groups.of("zz") == ()
    assert isinstance(groups.ids, np.ndarray) and not groups.ids.flags.owndata  # (mapped)
    # The same from lists, as a generation of the first format kept them.
    listed = duplicates.Groups.of_lists(found)
    assert list(listed) == list(groups) and listed.of("c3") == groups.of("c3")
    assert listed.of("a0") == () and len(listed) == 2
    # Rows out of range are damage: no groups rather than an error in every search.
    members = np.load(tmp_path / duplicates.MEMBERS)
    members[0] = len(ids)
    np.save(tmp_path / duplicates.MEMBERS, members, allow_pickle=False)
    assert len(duplicates.load(tmp_path)) == 0


def test_a_generation_with_the_groups_in_its_header_still_opens_and_grows(tmp_path):
    """Indexes built before the groups were arrays (format 1), with 32-bit signatures, show
    the same groups, and their next build keeps their signatures (the low halves) and writes
    what a full build writes."""
    source = write_jsonl(tmp_path / "wire.jsonl", articles())
    searchlib.build(tmp_path / "ix", [source])
    folder = tmp_path / "ix" / "gen-000001"
    header = json.loads((folder / duplicates.GROUPS).read_text())
    groups = [list(group) for group in duplicates.load(folder)]
    # Version 1 kept whole 32-bit values, whose low halves are today's.
    low = np.load(folder / duplicates.SIGNATURES)
    assert low.dtype == np.uint16
    high = np.random.default_rng(5).integers(0, 1 << 16, low.shape, dtype=np.uint32)
    np.save(folder / duplicates.SIGNATURES, (high << 16) | low, allow_pickle=False)
    header.update(format=1, signature=1, groups=groups)
    manifest_path = tmp_path / "ix" / "searchlib.json"
    manifest = json.loads(manifest_path.read_text())
    for name in (duplicates.GROUP_OF, duplicates.MEMBERS, duplicates.STARTS):
        (folder / name).unlink()
        del manifest["files"][name]
    (folder / duplicates.GROUPS).write_text(json.dumps(header))
    for name in (duplicates.GROUPS, duplicates.SIGNATURES):
        digest = integrity.file_digest(folder / name)
        manifest["files"][name] = [(folder / name).stat().st_size, digest]
    manifest_path.write_text(json.dumps(manifest))
    assert not searchlib.check(tmp_path / "ix").damaged
    assert not duplicates.is_current(folder, "gen-000001")
    reused = duplicates._reused(folder, ())  # (its signatures are still good)
    assert reused is not None and reused[1].dtype == np.uint16
    assert np.array_equal(reused[1], low)
    with searchlib.open(tmp_path / "ix") as ix:
        assert [story.ids for story in ix.duplicates()] == [("n1", "n2", "n3")]
        assert ix.get("n2").similar == ("n1", "n3")
    write_jsonl(source, [*articles(), {"id": "n5", "title": RATE, "date": "1987-03-04",
                                       "text": CORRECTED}])  # fmt: skip
    report = searchlib.build(tmp_path / "ix", [source])
    assert not report.full
    with searchlib.open(tmp_path / "ix") as ix:
        assert [story.ids for story in ix.duplicates()] == [("n1", "n2", "n3", "n5")]
        grown = Path(ix.path) / ix.manifest["generation"]
    assert duplicates.is_current(grown, grown.name)
    assert (grown / duplicates.MEMBERS).exists()
    searchlib.build(tmp_path / "full", [source])
    full = tmp_path / "full" / "gen-000001"
    for name in (duplicates.SIGNATURES, duplicates.IDS, duplicates.GROUP_OF, duplicates.MEMBERS):
        kept, fresh = np.load(grown / name), np.load(full / name)
        assert kept.dtype == fresh.dtype and np.array_equal(kept, fresh), name


def test_cli_duplicates_lists_the_groups(wire_index):
    runner = CliRunner()
    done = runner.invoke(cli, ["duplicates", "--index", str(wire_index), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == [
        {
            "size": 3,
            "articles": [
                {"id": "n1", "title": RATE, "date": "1987-03-03"},
                {"id": "n2", "title": RATE, "date": "1987-03-03"},
                {"id": "n3", "title": BACKED, "date": "1987-03-04"},
            ],
        }
    ]
    done = runner.invoke(cli, ["duplicates", "--index", str(wire_index)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("1 story held more than once (3 articles)")
    assert "n3  1987-03-04  NORWAY RAISES RATE, MINISTRY BACKS IT" in done.output


def test_cli_duplicates_limit_reads_only_the_groups_it_shows(tmp_path):
    tokyo = {"id": "t2", "title": "TOKYO SHARES CLOSE HIGHER", "date": "1987-03-04",
             "text": OTHER.replace("Wednesday", "Thursday")}  # fmt: skip
    source = write_jsonl(tmp_path / "wire.jsonl", [*articles(), tokyo])
    searchlib.build(tmp_path / "ix", [source])
    with searchlib.open(tmp_path / "ix") as ix:
        assert ix.duplicate_totals() == (2, 5)
        assert [story.ids for story in ix.duplicates(limit=1)] == [("n1", "n2", "n3")]
    runner = CliRunner()
    done = runner.invoke(cli, ["duplicates", "--index", str(tmp_path / "ix"), "--limit", "1"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("2 stories held more than once (5 articles; the 1 largest below)")
    assert "n3  1987-03-04" in done.output and "t2" not in done.output
    done = runner.invoke(cli, ["duplicates", "--index", str(tmp_path / "ix"), "--json"])
    assert [len(story["articles"]) for story in json.loads(done.output)] == [3, 2]


def test_cli_search_collapse_and_show_name_the_similar_articles(wire_index):
    runner = CliRunner()
    query = ["Norway", "bank", "rate", "--index", str(wire_index)]
    done = runner.invoke(search_command, [*query, "--collapse", "--json"])
    assert done.exit_code == 0, done.output
    hits = json.loads(done.output)["hits"]
    norwegian = [hit for hit in hits if hit["id"].startswith("n")]
    assert len(norwegian) == 1 and len(norwegian[0]["similar"]) == 2
    done = runner.invoke(search_command, [*query, "--collapse"])
    assert "+2 similar: " in done.output
    done = runner.invoke(cli, ["show", "n1", "--index", str(wire_index), "--json"])
    assert json.loads(done.output)["similar"] == ["n2", "n3"]
    done = runner.invoke(cli, ["show", "n1", "--index", str(wire_index)])
    assert "similar: n2, n3" in done.output


def test_a_story_sent_many_times_is_one_group_and_texts_without_words_are_none():
    # More copies than duplicates.ALL_PAIRS: each is compared with the band's first only.
    copies = duplicates.ALL_PAIRS + 6
    stories = [duplicates.Compared(f"c{n:03d}", RATE, WIRE, "1987-03-03") for n in range(copies)]
    stories += [duplicates.Compared(f"e{n}", "", "— … —", None) for n in range(3)]
    stories.append(duplicates.Compared("t1", "", OTHER, None))
    ids, signatures, days = duplicates._signatures(stories)
    assert duplicates.find_groups(ids, signatures, days) == [[f"c{n:03d}" for n in range(copies)]]


def test_notebook_hits_name_their_similar_articles(wire_index):
    with searchlib.open(wire_index) as ix:
        html = ix.search("Norway rate", collapse=True)[0]._repr_html_()
    assert "+2 similar: <code>" in html


def _groups_by_every_pair(ids, signatures, days):
    """The groups by the module docstring's definition, the slow way: each band's buckets,
    every candidate pair (each with the first, beyond ALL_PAIRS) tested, components joined."""
    count, width = signatures.shape
    rows = width // duplicates.BANDS
    edges = set()
    blank = (signatures == EMPTY).all(axis=1)
    for band in range(duplicates.BANDS):
        buckets: dict[bytes, list[int]] = {}
        for i in range(count):
            if not blank[i]:
                key = signatures[i, band * rows : (band + 1) * rows].tobytes()
                buckets.setdefault(key, []).append(i)
        for bucket in buckets.values():
            pairs = (
                [(bucket[0], j) for j in bucket[1:]]
                if len(bucket) > duplicates.ALL_PAIRS
                else [(a, b) for n, a in enumerate(bucket) for b in bucket[n + 1 :]]
            )
            for i, j in pairs:
                apart = (
                    duplicates.UNDATED not in (days[i], days[j])
                    and abs(int(days[i]) - int(days[j])) > duplicates.MAX_DAYS
                )
                same = np.count_nonzero(signatures[i] == signatures[j]) >= width / 2
                if same and not apart:
                    edges.add((i, j))
    group = list(range(count))
    for i, j in sorted(edges):
        a, b = group[i], group[j]
        group = [min(a, b) if g in (a, b) else g for g in group]
    found: dict[int, list[str]] = {}
    for i, g in enumerate(group):
        found.setdefault(g, []).append(str(ids[i]))
    return sorted((sorted(m) for m in found.values() if len(m) > 1), key=lambda m: (-len(m), m[0]))


@pytest.mark.parametrize("at_once", [1, 7, 1 << 20])
def test_groups_are_those_of_every_candidate_pair_however_many_are_made_at_once(
    monkeypatch, at_once
):
    # Copies (more than ALL_PAIRS of one story), edited copies, reports days apart, texts
    # without words: the groups of the fast path are those of testing each pair in turn.
    monkeypatch.setattr(duplicates, "_PAIRS_AT_ONCE", at_once)
    rng = np.random.default_rng(3)
    stories = []
    for n in range(duplicates.ALL_PAIRS + 4):
        stories.append(duplicates.Compared(f"w{n:03d}", RATE, WIRE, f"1987-03-{1 + n % 9:02d}"))
    for n, text in enumerate([CORRECTED, UPDATED, CORRECTED, UPDATED]):
        stories.append(duplicates.Compared(f"u{n}", RATE, text, ["1987-03-02", None][n % 2]))
    for n in range(12):
        day = f"1987-05-{1 + n + 5 * (n // 3):02d}"  # four weeks of three days
        stories.append(
            duplicates.Compared(f"k{n:02d}", "", WEEKLY.format(n=n * 1000, day=day), day)
        )
    stories += [duplicates.Compared(f"e{n}", "", "— … —", None) for n in range(3)]
    ids, signatures, days = duplicates._signatures(stories)
    order = rng.permutation(len(ids))
    ids, signatures, days = ids[order], signatures[order], days[order]
    order = np.argsort(ids, kind="stable")
    ids, signatures, days = ids[order], signatures[order], days[order]
    expected = _groups_by_every_pair(ids, signatures, days)
    assert len(expected) >= 3
    assert duplicates.find_groups(ids, signatures, days) == expected
