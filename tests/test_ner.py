"""Tests of searchlib.prepare.ner with the shipped model, on news-style text beyond CoNLL-2003."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchlib.prepare import ner, ner_train, spans
from searchlib.prepare.ner import Mention, extract_mentions

CONLL = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003"


def found(text: str) -> set[tuple[str, str]]:
    return {(m.type, m.text) for m in extract_mentions(text)}


def test_empty_and_blank_text() -> None:
    assert extract_mentions("") == []
    assert extract_mentions("  \n\t ") == []


def test_text_without_names() -> None:
    assert extract_mentions("the price of wheat rose sharply last week .") == []


def test_offsets_point_into_the_input() -> None:
    text = (
        "ASTANA – Kazakh President Kassym-Jomart Tokayev’s visit to Berlin, where he met "
        "Chancellor Olaf Scholz and executives of Siemens AG, ended on Friday.\n"
        "“We value the partnership,” Tokayev said."
    )
    mentions = extract_mentions(text)
    assert mentions
    for m in mentions:
        assert isinstance(m, Mention)
        assert text[m.start : m.end] == m.text
        assert m.type in {"PER", "ORG", "LOC", "MISC"}
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)


def test_possessive_is_not_part_of_the_name() -> None:
    mentions = found("Kassym-Jomart Tokayev’s initiative was welcomed by the delegates.")
    assert ("PER", "Kassym-Jomart Tokayev") in mentions


def test_straight_apostrophe_possessive() -> None:
    assert ("PER", "Angela Merkel") in found("Angela Merkel's government said on Monday it agreed.")


def test_list_of_hyphenated_names() -> None:
    text = "Ambassadors Tarek Al-Faraj, Pavel Utyupin and Yousef Abdelghani attended the meeting."
    mentions = found(text)
    assert {("PER", "Tarek Al-Faraj"), ("PER", "Pavel Utyupin"), ("PER", "Yousef Abdelghani")} <= (
        mentions
    )


def test_organisation_with_acronym() -> None:
    mentions = found(
        "Officials of the Muslim World League (MWL) signed the agreement in Riyadh on Tuesday."
    )
    # CoNLL labels "X League" both ORG and MISC (sports leagues are MISC), and the model
    # calls this one MISC, so only the span is pinned, and that the acronym shares its type.
    types = {text: kind for kind, text in mentions}
    assert "Muslim World League" in types
    assert types.get("MWL") == types["Muslim World League"]
    assert ("LOC", "Riyadh") in mentions


def test_capitalised_dateline_with_dash() -> None:
    text = "NUR-SULTAN. KAZINFORM – Last week the government approved a new budget for 2020."
    assert ("LOC", "NUR-SULTAN") in found(text)


def test_all_caps_headline_uses_the_story_below_it() -> None:
    text = (
        "GERMANY BEATS FRANCE IN PARIS FRIENDLY\n"
        "Germany beat France 2-1 in a friendly international in Paris on Wednesday."
    )
    mentions = found(text)
    assert ("LOC", "GERMANY") in mentions
    assert ("LOC", "PARIS") in mentions


def test_en_dash_dateline() -> None:
    text = "ASTANA – The Kazakh Senate approved the bill on Thursday, Qazinform reports."
    mentions = extract_mentions(text)
    assert ("LOC", "ASTANA") in {(m.type, m.text) for m in mentions}
    assert all("–" not in m.text and "The" not in m.text for m in mentions)


def test_tokenizer_keeps_names_and_splits_clitics() -> None:
    text = "Mr. O'Neill’s U.S. unit – Al-Faraj & Co. – paid $1,000.50 (MWL)."
    words = [w for _s, _e, w in ner._tokenize(text)]
    assert words == [
        "Mr.", "O'Neill", "'s", "U.S.", "unit", "-", "Al-Faraj", "&", "Co.", "-", "paid", "$",
        "1,000.50", "(", "MWL", ")", ".",
    ]  # fmt: skip


def test_sentence_splitter() -> None:
    text = "He met Mr. Smith in the U.S. on Monday. They talked.\nNew line here"
    tokens = ner._tokenize(text)
    sentences = [" ".join(tokens[i][2] for i in s) for s in ner._sentences(text, tokens)]
    assert sentences == [
        "He met Mr. Smith in the U.S. on Monday .",
        "They talked .",
        "New line here",
    ]


@pytest.mark.skipif(not (CONLL / "test.jsonl").exists(), reason="CoNLL-2003 data not available")
@pytest.mark.slow
def test_quality_targets_on_conll_test() -> None:
    """The shipped model (trained on train + dev) keeps the project's targets on held-out test."""
    records = [json.loads(line) for line in (CONLL / "test.jsonl").open(encoding="utf-8")]
    documents = [
        ner_train._Document(r["text"], [(e["type"], e["start"], e["end"]) for e in r["entities"]])
        for r in records
    ]
    scores = ner_train.evaluate(documents)
    assert scores["micro_f1"] >= 0.875
    for kind in ("PER", "ORG", "LOC"):
        assert scores[kind]["f1"] >= 0.80, (kind, scores[kind])


EXTRA = CONLL.parent / "ner-extra"
needs_extra = pytest.mark.skipif(
    not (EXTRA / "uner-ewt-b.tsv").exists() or not (CONLL / "train.conll").exists(),
    reason="CoNLL-2003 or ner-extra data not available",
)


def test_uner_misc_is_mapped_or_the_sentence_dropped() -> None:
    rows = [
        [("He", "O"), ("met", "O"), ("German", "O"), ("officials", "O"), ("Bonn", "B-LOC")],
        [("I", "O"), ("use", "O"), ("Windows", "O"), ("daily", "O")],
        [("Ask", "O"), ("Tom", "B-PER"), ("about", "O"), ("it", "O")],
    ]
    out = ner_train._add_misc([rows], misc={"German"}, entity={"German", "Windows"})
    assert out == [
        [
            [
                ("He", "O"),
                ("met", "O"),
                ("German", "B-MISC"),
                ("officials", "O"),
                ("Bonn", "B-LOC"),
            ],
            [("Ask", "O"), ("Tom", "B-PER"), ("about", "O"), ("it", "O")],
        ]
    ]


def test_misc_words_leave_out_ordinary_words() -> None:
    sentence = [("The", "O"), ("German", "B-MISC"), ("side", "O"), ("Good", "B-MISC")]
    lower = [("a", "O"), ("good", "O"), ("good", "O"), ("good", "O"), ("good", "O")]
    misc, entity = ner_train._misc_words([[sentence] * 3 + [lower]])
    assert misc == {"German"}
    assert entity == {"German"}


def test_read_rows_cuts_wikineural_into_documents(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("".join(f"W{i}\tB-PER\nsaid\tO\n\n" for i in range(5)), encoding="utf-8")
    documents = ner_train._read_rows(path, sentences_per_document=2)
    assert [len(d) for d in documents] == [2, 2, 1]
    doc = ner_train._document(documents[0])
    assert doc.text == "W0 said\nW1 said"
    assert doc.entities == [("PER", 0, 2), ("PER", 8, 10)]


@needs_extra
@pytest.mark.slow
def test_held_out_part_is_never_trained_or_tuned_on() -> None:
    """``training_documents`` (what ``train`` learns from) holds no held-out sentence.

    The corpora share a few stock lines (e-mail signatures, a quotation posted twice), so a
    handful of lines match by their words; a held-out part that leaked would match entirely.
    """
    documents = ner_train.training_documents(CONLL, with_dev=True, extra=EXTRA)
    trained = {line for doc in documents for line in doc.text.split("\n")}
    splits = ner_train.extra_splits(EXTRA)
    for split in ("held_out", "tune"):
        lines = [
            " ".join(word for word, _tag in sentence)
            for docs in splits[split].values()
            for doc in docs
            for sentence in doc
        ]
        shared = [line for line in lines if line in trained]
        assert len(lines) > 1000
        assert len(shared) < 0.01 * len(lines), (split, shared[:5])


# Teams and companies named after places, and a lone surname.  The CoNLL-only model before
# this one tagged Chelsea PER, "Real Madrid" as the place Madrid, and Merkel ORG; the other
# cases guard against the opposite mistake.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Manchester United beat Chelsea 2-1 at Old Trafford on Saturday.",
            {("ORG", "Manchester United"), ("ORG", "Chelsea"), ("LOC", "Old Trafford")},
        ),
        (
            "Real Madrid signed the striker from Ajax Amsterdam for 40 million euros.",
            {("ORG", "Real Madrid"), ("ORG", "Ajax Amsterdam")},
        ),
        ("The Houston Rockets won again on Friday.", {("ORG", "Houston Rockets")}),
        (
            "Shares of Boston Scientific rose 3 percent after the company raised its forecast.",
            {("ORG", "Boston Scientific")},
        ),
        (
            "Deutsche Bank and Siemens cut jobs in Frankfurt and Munich.",
            {("ORG", "Deutsche Bank"), ("ORG", "Siemens"), ("LOC", "Frankfurt")}
            | {("LOC", "Munich")},
        ),
        ("Merkel said on Tuesday that the talks had failed.", {("PER", "Merkel")}),
    ],
)
def test_teams_and_companies_named_after_places(text: str, expected: set[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_the_same_cities_as_places() -> None:
    text = "She flew from Dallas to Philadelphia on Sunday, then moved to New York and Boston."
    assert found(text) == {
        ("LOC", "Dallas"),
        ("LOC", "Philadelphia"),
        ("LOC", "New York"),
        ("LOC", "Boston"),
    }


@needs_extra
@pytest.mark.slow
def test_quality_on_the_held_out_extra_part() -> None:
    """Wikipedia and web text the shipped model never saw: far from Reuters, well above the
    CoNLL-only model (0.65 micro-F1 here); 0.803 today."""
    held_out = ner_train.extra_splits(EXTRA)["held_out"]
    documents = [ner_train._document(d) for docs in held_out.values() for d in docs]
    scores = ner_train.evaluate(documents)
    assert scores["micro_f1"] >= 0.80  # issue 13's target
    for kind in ("PER", "ORG", "LOC"):
        assert scores[kind]["f1"] >= 0.65, (kind, scores[kind])


def test_person_after_an_organisation_is_split_off() -> None:
    """Without a comma, the Wikipedia-trained CRF runs the org into the person after it."""
    text = (
        "The talks were led by the Head of the Secretariat of the Congress of Leaders of World "
        "and Traditional Religions Maulen Ashimbayev on Monday."
    )
    mentions = found(text)
    assert ("PER", "Maulen Ashimbayev") in mentions
    # The office is dropped; the Congress or its Secretariat (an organisation too) remains.
    orgs = {text for kind, text in mentions if kind == "ORG"}
    assert orgs & {
        "Congress of Leaders of World and Traditional Religions",
        "Secretariat of the Congress of Leaders of World and Traditional Religions",
    }
    assert not any(text.startswith("Head") for _kind, text in mentions)


def test_no_mention_spans_an_en_dash() -> None:
    text = "ASTANA – The International Center for Interfaith Dialogue opened on Monday."
    mentions = extract_mentions(text)
    assert ("LOC", "ASTANA") in {(m.type, m.text) for m in mentions}
    assert all("–" not in m.text for m in mentions)


def test_gazetteer_cities_by_their_real_names_only() -> None:
    """GeoNames lists "Google" among Topeka's other names: a stunt, not a city.  The tagger's
    gazetteer takes a city's other names by the place resolver's rule, so a company or an
    ordinary word is not a city, while real English names of big cities still are."""
    gazetteer = ner._read_gazetteer(ner.DATA_DIR / ner.GAZETTEER_NAME)
    assert ("google",) not in gazetteer
    assert gazetteer[("munich",)] == "city"  # München's English name
    assert gazetteer[("kyiv",)] == "city"
    assert gazetteer[("acapulco",)] == "city"  # the start of "Acapulco de Juarez"
    assert ("kazakh",) not in gazetteer  # a demonym GeoNames gives a town
    assert gazetteer[("boston", "scientific")] == "company"


def test_wikineural_tune_part_separates_held_out_from_training(tmp_path: Path) -> None:
    """The held-out articles of wikineural-b are its first documents; the tune documents that
    follow them keep every trained sentence away from them."""
    rows = "".join(f"W{n} O\nsaid O\n\n" for n in range(6_200))
    for name in ("wikineural-a.tsv", "wikineural-b.tsv", "uner-ewt-a.tsv", "uner-ewt-b.tsv"):
        (tmp_path / name).write_text(rows, encoding="utf-8")
    splits = ner_train.extra_splits(tmp_path)
    first = {name: [doc[0][0][0] for doc in docs] for name, docs in splits["held_out"].items()}
    assert first["wikineural"][0] == "W0" and len(first["wikineural"]) == 500
    tune = splits["tune"]["wikineural"]
    assert tune[0][0][0][0] == "W5000" and len(tune) == 100
    trained_b = splits["train"]["wikineural"][620:]  # after wikineural-a's 620 documents
    assert trained_b[0][0][0][0] == "W6000"


def test_legal_form_after_a_comma_joins_the_organisation() -> None:
    """Every training corpus counts ", Inc." as part of the name (CoNLL: "Foo , Inc.")."""
    words = ["PHB", "Hagler", "Bailly", ",", "Inc.", "said", "Foo", "LLC"]
    labels = ["B-ORG", "I-ORG", "I-ORG", "O", "O", "O", "B-ORG", "O"]
    assert spans.with_legal_form(words, labels, "ORG", 2) == 4
    assert spans.with_legal_form(words, labels, "PER", 2) == 2  # only organisations
    assert spans.with_legal_form(words, labels, "ORG", 6) == 7  # no comma: "Foo LLC"
    assert spans.with_legal_form(words, ["B-ORG", *["O"] * 3, "B-ORG", *["O"] * 3], "ORG", 0) == 0
    assert found("He joined Apple, Inc. last year.") == {("ORG", "Apple, Inc.")}


def test_lower_case_sentences_are_truecased_for_features() -> None:
    assert ner._is_lower_sentence(["we", "flew", "to", "chicago"])
    assert not ner._is_lower_sentence(["we", "flew", "to", "Chicago"])
    assert not ner._is_lower_sentence(["ok", "."])  # too short to tell
    assert ("LOC", "chicago") in found("we flew to chicago last week and loved it .")


def test_x_of_y_and_z_stays_one_name() -> None:
    """In "X of Y and Z", a Z of ordinary words ends the name; a Z that is a name does not."""
    words = [
        "The",
        "Congress",
        "of",
        "Leaders",
        "of",
        "World",
        "and",
        "Traditional",
        "Religions",
        "met",
    ]
    truecase = ner._recognizer().resources.truecase
    found = [("ORG", 1, 5), ("ORG", 7, 8)]
    assert list(spans.join_coordinated(words, found, truecase)) == [("ORG", 1, 8)]
    words = ["The", "Bank", "of", "England", "and", "Barclays", "met"]
    found = [("ORG", 1, 3), ("ORG", 5, 5)]
    assert list(spans.join_coordinated(words, found, truecase)) == found


def test_office_in_front_is_dropped_and_x_of_y_bodies_are_organisations() -> None:
    words = ["Head", "of", "the", "Secretariat", "of", "the", "Congress", "of", "Leaders"]
    offices = spans.offices()
    assert spans.office_and_head(words, "MISC", 0, 8, offices) == ("ORG", 3)
    assert spans.office_and_head(words, "PER", 0, 8, offices) == ("PER", 0)
    words = ["Battle", "of", "Britain"]
    assert spans.office_and_head(words, "MISC", 0, 2, offices) == ("MISC", 0)
