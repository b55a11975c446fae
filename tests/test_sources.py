"""Reading files into source records; problems are reported with file and line, not raised."""

from __future__ import annotations

import json
import os

import pytest

from searchlib.errors import SourceError
from searchlib.prepare.sources import Problem, SourceRecord, field_map, find_files, read_sources

from .conftest import SEED_IDS, SEEDS


def test_seed_ids_are_file_stems():
    records = [r for r in read_sources([SEEDS]) if isinstance(r, SourceRecord)]
    assert [r.id for r in records] == SEED_IDS
    assert SEED_IDS[0] == "000_0802c507da2f2354"
    assert all(len(r.content_hash) == 64 for r in records)


def test_jsonl_records_and_bad_lines(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"id": 1, "title": "One", "date": "1987-03-01", "text": "first"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": "3", "title": "No text"}),
        "",
        json.dumps({"id": "4", "title": None, "date": None, "text": "fourth"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    items = list(read_sources([path]))
    records = [i for i in items if isinstance(i, SourceRecord)]
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(r.id, r.title, r.date, r.line) for r in records] == [
        ("1", "One", "1987-03-01", 1),
        ("3", "No text", None, 4),  # a title alone is an article
        ("4", None, None, 6),
    ]
    assert [(p.line, p.skipped) for p in problems] == [(2, True), (3, True)]
    assert str(problems[0]).startswith(f"{path}:2: malformed JSON")


def test_binary_empty_and_misencoded_files(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 PNG")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Café in Zürich".encode("cp1252"))
    items = {
        getattr(i, "id", None) or i.source.rsplit("/", 1)[-1]: i for i in read_sources([tmp_path])
    }
    assert "binary" in items["binary.txt"].reason
    assert "empty" in items["empty.txt"].reason
    latin = items["latin"]
    assert isinstance(latin, SourceRecord) and latin.text == "Café in Zürich"
    warnings = [i for i in read_sources([tmp_path / "latin.txt"]) if isinstance(i, Problem)]
    assert len(warnings) == 1 and not warnings[0].skipped


def test_folders_are_walked_in_order_and_unknown_files_ignored(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("Z text", encoding="utf-8")
    (tmp_path / "a.md").write_text("A text", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    assert [p.name for p in find_files([tmp_path])] == ["a.md", "z.txt"]


def test_missing_path_and_empty_glob_are_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        find_files([tmp_path / "missing"])
    with pytest.raises(SourceError, match="matches no files"):
        find_files([str(tmp_path / "*.txt")])


# -- formats beyond plain text and JSON Lines -------------------------------------------------

ARTICLE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<title>Example News | Quake hits the coast</title>
<meta property="og:title" content="Quake hits the coast">
<meta name="author" content="Jane Doe">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Quake hits the coast", "datePublished": "2024-03-05",
 "author": {"@type": "Person", "name": "Jane Doe"}}</script>
</head><body><nav>Home | World | Sport | Weather</nav>
<article><h1>Quake hits the coast</h1>
<p>A strong earthquake struck the coast on Tuesday, officials said. Buildings swayed in the
capital and residents fled into the streets.</p>
<p>No casualties were reported in the first hours, according to the civil protection agency,
which sent teams to the region.</p></article>
<footer>Copyright 2024 Example News. Cookie policy.</footer></body></html>"""


def records_and_problems(items):
    items = list(items)
    return (
        [i for i in items if isinstance(i, SourceRecord)],
        [i for i in items if isinstance(i, Problem)],
    )


def test_html_main_text_and_metadata(tmp_path):
    (tmp_path / "quake.html").write_text(ARTICLE_HTML, encoding="utf-8")
    (record,), problems = records_and_problems(read_sources([tmp_path]))
    assert problems == []
    assert (record.id, record.title, record.date, record.author) == (
        "quake",
        "Quake hits the coast",
        "2024-03-05",
        "Jane Doe",
    )
    assert record.text.startswith("A strong earthquake struck the coast")
    assert "No casualties were reported" in record.text
    assert "Cookie policy" not in record.text and "Home | World" not in record.text


def test_html_date_is_never_guessed_from_the_text(tmp_path):
    page = (
        "<html><head><title>Council meets</title></head><body><article><h1>Council meets</h1>"
        "<p>On 3 March 2021 the council met to talk about the budget for a long time, and "
        "everyone agreed that the meeting had been long enough.</p><p>A second paragraph "
        "with more words, so that the extractor keeps the article.</p></article></body></html>"
    )
    (tmp_path / "council.htm").write_text(page, encoding="utf-8")
    (record,), _ = records_and_problems(read_sources([tmp_path]))
    assert record.date is None and "3 March 2021" in record.text


def test_html_in_its_declared_encoding(tmp_path):
    page = ARTICLE_HTML.replace('charset="utf-8"', 'charset="windows-1251"').replace(
        "officials said", "officials said (Москва)"
    )
    (tmp_path / "ru.html").write_bytes(page.encode("windows-1251"))
    (record,), problems = records_and_problems(read_sources([tmp_path]))
    assert "(Москва)" in record.text
    assert problems == []  # decoded as declared: nothing to warn about


def test_json_array_with_line_numbers_and_a_syntax_error(tmp_path):
    path = tmp_path / "news.json"
    path.write_text(
        '[\n  {"id": "a", "title": "A", "text": "first"},\n  "not an object",\n'
        '  {"id": "b", "text": "second",\n   "date": "1999-12-31"},\n  {"id": "c", oops}\n]\n',
        encoding="utf-8",
    )
    records, problems = records_and_problems(read_sources([path]))
    assert [(r.id, r.line, r.date) for r in records] == [("a", 2, None), ("b", 4, "1999-12-31")]
    assert [(p.line, p.reason.split(";")[0]) for p in problems] == [
        (3, "expected a JSON object"),
        (6, "malformed JSON: Expecting property name enclosed in double quotes"),
    ]


def test_csv_with_a_field_mapping(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(
        "doc_id,headline,published,body\n"
        'n1,Rates rise,2024-01-02,"The bank raised rates.\nMarkets fell."\n'
        "n2,Short row,2024-01-03\n"
        "n3,Snow,2024-01-04,Snow fell overnight.\n"
        ",No id,2024-01-05,Text without an id.\n",
        encoding="utf-8",
    )
    fields = {"id": "doc_id", "title": "headline", "date": "published", "text": "body"}
    records, problems = records_and_problems(read_sources([path], fields=fields))
    assert [(r.id, r.title, r.date, r.line) for r in records] == [
        ("n1", "Rates rise", "2024-01-02", 2),
        ("n3", "Snow", "2024-01-04", 5),
    ]
    assert records[0].text == "The bank raised rates.\nMarkets fell."
    assert [(p.line, p.reason) for p in problems] == [
        (4, "row has 3 columns, the header has 4"),
        (6, "no id (field 'doc_id')"),
    ]
    # Without the mapping, the file says which columns it has and where to map them.
    _, (problem,) = records_and_problems(read_sources([path]))
    assert "no column 'id', 'text'" in problem.reason and "[fields]" in problem.reason


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Wire</title>
<item><guid>wire-1</guid><title>Port reopens</title><author>desk@wire.example (Ann Lee)</author>
<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
<description><![CDATA[<p>The port reopened on Tuesday.</p><p>Ships queued.</p>]]>
</description></item>
<item><title>No id or link</title><description>Lost?</description></item>
<item><link>https://wire.example/2</link><title>Second</title>
<description>Plain text entry.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom wire</title>
<entry><id>urn:atom:1</id><title>Atom story</title><updated>2023-07-01T08:00:00Z</updated>
<author><name>Bo Ek</name></author><content type="html">&lt;p&gt;Atom body.&lt;/p&gt;</content>
</entry></feed>"""


def test_rss_and_atom_feeds(tmp_path):
    (tmp_path / "wire.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "wire.atom").write_text(ATOM, encoding="utf-8")
    records, problems = records_and_problems(read_sources([tmp_path]))
    assert [(r.id, r.title, r.date, r.entry) for r in records] == [
        ("urn:atom:1", "Atom story", "2023-07-01", 1),
        ("wire-1", "Port reopens", "2024-03-05", 1),
        ("https://wire.example/2", "Second", None, 3),
    ]
    assert records[1].text == "The port reopened on Tuesday.\nShips queued."
    assert records[0].author == "Bo Ek"
    assert [(p.entry, p.reason) for p in problems] == [(2, "entry has no id or link; skipped")]
    assert str(problems[0]) == f"{tmp_path / 'wire.rss'}#2: entry has no id or link; skipped"


def test_broken_feed_and_xml_that_is_no_feed(tmp_path):
    (tmp_path / "broken.rss").write_text("<rss><channel><item><title>x", encoding="utf-8")
    (tmp_path / "data.xml").write_text("<config><a>1</a></config>", encoding="utf-8")
    records, problems = records_and_problems(read_sources([tmp_path]))
    assert records == []
    assert [p.source.rsplit("/", 1)[-1] for p in problems] == ["broken.rss", "data.xml"]
    assert all(p.skipped and "feed" in p.reason for p in problems)


def test_empty_files_of_every_format(tmp_path):
    for name in ("a.txt", "b.jsonl", "c.json", "d.csv", "e.rss", "f.html"):
        (tmp_path / name).write_text("\n", encoding="utf-8")
    records, problems = records_and_problems(read_sources([tmp_path]))
    assert records == []
    assert len(problems) == 6 and all(p.reason == "empty file; skipped" for p in problems)


def test_a_50_mb_file_is_skipped_without_loading_it(tmp_path):
    big = tmp_path / "dump.txt"
    with big.open("wb") as handle:
        chunk = b"words words words words\n" * 40_000  # about 1 MB
        for _ in range(50):
            handle.write(chunk)
    (tmp_path / "small.txt").write_text("A small article.", encoding="utf-8")
    records, problems = records_and_problems(read_sources([tmp_path]))
    assert [r.id for r in records] == ["small"]
    (problem,) = problems
    assert problem.source == str(big) and "45.8 MB, over the 10 MB limit" in problem.reason


def test_symlink_loops_are_reported_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("One article.", encoding="utf-8")
    (tmp_path / "a" / "back").symlink_to(tmp_path)  # a folder that contains itself
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")  # a file link to itself
    records, problems = records_and_problems(read_sources([tmp_path]))
    assert [r.id for r in records] == ["one"]
    assert sorted(str(p) for p in problems) == sorted(
        [
            f"{tmp_path / 'a' / 'back'}: symlink loop: points back to {tmp_path}; skipped",
            f"{tmp_path / 'self.txt'}: cannot read: Too many levels of symbolic links",
        ]
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_reported(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("Hidden.", encoding="utf-8")
    path.chmod(0)
    try:
        _, (problem,) = records_and_problems(read_sources([tmp_path]))
    finally:
        path.chmod(0o644)
    assert problem.reason == "cannot read: Permission denied"


def test_field_map_rejects_unknown_fields():
    assert field_map({"text": "body"})["text"] == "body"
    with pytest.raises(ValueError, match="unknown article field 'body'"):
        field_map({"body": "text"})
