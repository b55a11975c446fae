"""The build's shortcuts give what the slow paths they stand for give: the analyzer's postings
without Whoosh's token filters, and the tagger's features and labels."""

from __future__ import annotations

import json

import pycrfsuite

from searchlib.engine.whoosh.analysis import is_news_field, news_postings
from searchlib.engine.whoosh.schema import make_schema
from searchlib.prepare import ner
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


def test_news_postings_are_whooshs_postings():
    schema = make_schema()
    fields = [schema[name] for name in ("title", "body", "author")]
    assert all(is_news_field(field) for field in fields)
    checked = 0
    for text in texts():  # the three fields are alike: one stands for all
        assert news_postings(text, fields[1].format) == whoosh_postings(fields[1], text), text[:80]
        checked += 1
    assert checked > 400


def test_model_attributes_are_those_pycrfsuite_parses():
    for name in (ner.STAGE1_NAME, ner.MODEL_PATH.name):
        tagger = pycrfsuite.Tagger()
        tagger.open(str(ner.DATA_DIR / name))
        found = ner._attributes(tagger)
        assert len(found) > 50_000
        assert found == frozenset(tagger.info().attributes)
