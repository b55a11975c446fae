"""Reading news headers, titles and dates; the terms the analyzer makes."""

from __future__ import annotations

import pytest

from searchlib.prepare.articles import first_sentence, parse_header, prepare, split_heading
from searchlib.prepare.sources import read_sources
from searchlib.text import fold, terms

from .conftest import SEEDS


@pytest.fixture(scope="module")
def seeds() -> dict[str, object]:
    return {a.id: a for a in (prepare(r) for r in read_sources([SEEDS]))}


def test_seed_titles_come_from_heading_or_first_sentence(seeds):
    assert seeds["000_0802c507da2f2354"].title == (
        "Senate Speaker Ashimbayev received in audience by Pope Leo XIV"
    )
    assert seeds["001_a6a4fba452c6790f"].title.startswith(
        "The capital of Kazakhstan recently witnessed a historic gathering"
    )
    assert seeds["004_776b0de49483b812"].title.startswith(
        "Last week, the Chairman of the Board of N. Nazarbayev Center"
    )
    for article in seeds.values():
        assert len(article.title) <= 120
        assert not article.title.endswith(" …")


def test_seed_dates_come_only_from_the_header(seeds):
    dates = {article_id: article.date for article_id, article in seeds.items()}
    assert dates == {
        "000_0802c507da2f2354": None,
        "001_a6a4fba452c6790f": "2023-10-11",
        "002_d275bf671256b8e7": "2025-09-16",
        "003_28bfb9e752ea3f2c": "2025-04-16",
        "004_776b0de49483b812": "2021-03-01",
    }


def test_header_is_removed_from_the_body(seeds):
    assert seeds["001_a6a4fba452c6790f"].body.startswith("The capital of Kazakhstan")
    assert seeds["002_d275bf671256b8e7"].body.startswith("The event was opened")
    assert seeds["003_28bfb9e752ea3f2c"].body.startswith("The International Center")
    assert seeds["004_776b0de49483b812"].body.startswith("Last week,")
    assert seeds["004_776b0de49483b812"].dateline == "NUR-SULTAN (KAZINFORM)"
    assert seeds["003_28bfb9e752ea3f2c"].dateline == "ASTANA"
    assert seeds["001_a6a4fba452c6790f"].dateline == "Astana (TDI)"
    # The heading is the title, not the first line of the body.
    assert seeds["000_0802c507da2f2354"].body.startswith("The Kazakh Senate Speaker")


@pytest.mark.parametrize(
    ("text", "date", "dateline"),
    [
        (" date 2025-09-16 Body text.", "2025-09-16", ""),
        ("Astana, 11 October 2023 (TDI): Body.", "2023-10-11", "Astana (TDI)"),
        ("LONDON, Oct 5, 2023 (Reuters) - Body.", "2023-10-05", "LONDON (Reuters)"),
        (" date 2021-03-01 NUR-SULTAN. KAZINFORM – Body.", "2021-03-01", "NUR-SULTAN (KAZINFORM)"),
        (" date 2021-02-30 Body.", None, ""),  # not a real day: no date rather than a wrong one
        ("The year 2023 was eventful. On 11 October 2023 it rained.", None, ""),
    ],
)
def test_parse_header(text, date, dateline):
    header = parse_header(text)
    assert (header.date, header.dateline) == (date, dateline)
    assert text[header.end :].lstrip().startswith(("Body", "The year"))


def test_heading_needs_a_short_unpunctuated_first_line():
    assert split_heading("A heading here\nBody text follows.")[0] == "A heading here"
    assert split_heading("A whole sentence that ends.\nMore text.")[0] == ""
    assert split_heading("Only one line")[0] == ""


def test_first_sentence_skips_initials_and_cuts_at_a_word():
    assert first_sentence("Meet N. Nazarbayev today. Then go.") == "Meet N. Nazarbayev today."
    long = "word " * 60
    cut = first_sentence(long)
    assert len(cut) <= 120 and cut.endswith("word…")


def test_stemming_joins_word_forms():
    assert terms("desecrated") == terms("desecration")
    assert terms("religions") == terms("religion")


def test_accents_fold():
    assert fold("Ángel Moratinos") == "Angel Moratinos"
    assert terms("Ángel") == terms("angel")
    assert terms("Łódź Øresund straße") == ["lodz", "oresund", "strass"]


def test_hyphenated_names_index_their_parts():
    assert terms("Kassym-Jomart Tokayev") == ["kassym", "jomart", "tokayev"]


def test_stop_words_and_possessives():
    assert terms("the Vatican’s role") == ["vatican", "role"]
    assert terms("The") == []


def test_terms_are_what_the_index_analyzer_makes():
    """``terms`` (used for feedback) skips Whoosh's token objects; the terms must not change."""
    from pathlib import Path

    from searchlib.engine.whoosh.schema import make_schema

    schema = make_schema()
    texts = [path.read_text("utf-8") for path in sorted(SEEDS.iterdir()) if path.is_file()]
    bbc = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc" / "docs.jsonl"
    if bbc.is_file():
        import json

        with bbc.open(encoding="utf-8") as lines:
            texts += [json.loads(next(lines))["text"] for _ in range(300)]
    texts += ["Ángel's U.S. 2,000 3.5 Kassym-Jomart don’t ŒUVRE ½ the AND of", ""]
    assert len(texts) > 5
    for text in texts:
        for name in ("title", "body"):
            assert terms(text) == list(schema[name].process_text(text, mode="index"))
