"""The build's shortcuts give what the slow paths they stand for give: the analyzer's postings
without Whoosh's token filters, and the tagger's features and labels."""

from __future__ import annotations

import gzip
import itertools
import json
from importlib import resources

import pycrfsuite
import pytest

from searchlib.engine import spelling
from searchlib.engine.whoosh import schema as schema_module
from searchlib.engine.whoosh.analysis import is_news_field, news_postings
from searchlib.engine.whoosh.schema import Analyzed, make_schema
from searchlib.prepare import ner, places
from searchlib.prepare.places import _ARTICLES as ARTICLES
from searchlib.prepare.sources import read_sources

from .conftest import SEEDS, reuters_head

# Words the analyzer treats apart: stop words first (renumbered positions), hyphens,
# possessives, dotted acronyms, digits, accents, other scripts, repeats.
ODD_TEXTS = [
    "",
    "the of and",
    "The U.S. and the E.U.'s Kassym-Jomart Tokayev said 1,000.5 tonnes -- 12:30 1/2",
    "Café Zürich naïve ΑΘΗΝΑ Москва 東京 the the the running runs ran",
    "   \n\t leading blanks and a trailing stop word of",
    "O'Neill's AT&T co-operate re-elect pre- -post 3-for-2 A.B.C. x",
]


def whoosh_postings(field, text):
    """What Whoosh's own ``TEXT.index`` path gives, through every token filter."""
    postings = [
        (word.encode("utf-8"), freq, weight, value)
        for word, freq, weight, value in field.format.word_values(
            text, field.analyzer, mode="index"
        )
    ]
    return postings, sorted(set(field.spellable_words(text)))


def texts():
    yield from ODD_TEXTS
    for record in read_sources([SEEDS]):
        yield record.text
    for line in reuters_head()[:400]:
        story = json.loads(line)
        yield story["title"] or ""
        yield story["text"]


def test_news_postings_are_whooshs_postings(monkeypatch):
    """With positions (the author's, and what the sidecar keeps of the title and body); and
    what a field Whoosh indexes without positions is given of them (frequencies only)."""
    schema = make_schema()
    fields = [schema[name] for name in ("title", "body", "author")]
    assert all(is_news_field(field) for field in fields)
    assert not fields[1].format.supports("positions") and fields[2].format.supports("positions")
    monkeypatch.setattr(schema_module, "WHOOSH_POSITIONS", True)
    with_positions = make_schema()["body"]
    checked = 0
    for text in texts():  # the three fields are alike: one stands for all
        analyzed = Analyzed(*news_postings(text, fields[1].format))
        assert analyzed == whoosh_postings(with_positions, text), text[:80]
        assert analyzed == whoosh_postings(fields[2], text), text[:80]
        given = sorted(fields[1].index(analyzed))
        assert given == sorted(whoosh_postings(fields[1], text)[0]), text[:80]
        assert given == sorted(fields[1].index(text)), text[:80]
        checked += 1
    assert checked > 400


def test_model_attributes_are_those_pycrfsuite_parses(tmp_path):
    for name in (ner.STAGE1_NAME, ner.MODEL_PATH.name):
        tagger = pycrfsuite.Tagger()
        tagger.open(str(ner.DATA_DIR / name))
        found = ner._attributes(ner.DATA_DIR / name)
        assert len(found) > 50_000
        assert found == frozenset(tagger.info().attributes)
    # Not a model, or a model cut short: an error that names the file, not wrong attributes.
    for damaged in (b"not a model at all" * 10, (ner.DATA_DIR / name).read_bytes()[:4096]):
        (tmp_path / "bad.crfsuite").write_bytes(damaged)
        with pytest.raises(ValueError, match=r"bad\.crfsuite is not a CRFsuite model"):
            ner._attributes(tmp_path / "bad.crfsuite")


def test_the_gazetteers_article_check_is_keys():
    data = resources.files("searchlib").joinpath(places.PLACES_FILE).read_bytes()
    names = {line.split("\t")[1] for line in gzip.decompress(data).decode("utf-8").splitlines()}
    names |= {"La Paz", "El Paso", "Los Ángeles", "L.A. Noire", "(Le) Havre", "Ål", "Les"}
    with_article = [name for name in names if places._starts_with_article(name)]
    assert len(with_article) > 100
    for name in names:
        assert places._starts_with_article(name) == (places.key(name).split()[0] in ARTICLES)


def test_spelling_deletions_are_every_combination_in_order():
    def deletions(word):  # what spelling._deletions stands for
        start = word[: spelling.PREFIX]
        found = {start}
        for edits in range(1, min(spelling.MAX_EDITS, len(start)) + 1):
            for gone in itertools.combinations(range(len(start)), edits):
                found.add("".join(c for i, c in enumerate(start) if i not in gone))
        return found

    for word in ["a", "ab", "abc", "aab", "kassym", "tokayev", "ashimbayev", "reuters", "aaaaaaaa"]:
        assert list(spelling._deletions(word)) == list(deletions(word))
