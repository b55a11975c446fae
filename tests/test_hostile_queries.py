"""Hostile queries: every limit that bounds a query's cost says so clearly, and query mistakes
are told (the times are measured in benchmarks/hostile.py, not here)."""

from __future__ import annotations

import itertools
import json
import string
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
from searchlib.cli import search_command
from searchlib.engine.whoosh.query import MAX_EXPANSIONS
from searchlib.search.query import MAX_WORD_CHARS, MAX_WORDS

ENGINES = ("whoosh", "sidecar")
# Many words: 676 of two letters, 400 beginning with "ab" (more than a prefix may stand for).
TWO_LETTERS = ["".join(pair) for pair in itertools.product(string.ascii_lowercase, repeat=2)]
AB_WORDS = [f"ab{a}{b}" for a, b in itertools.product(string.ascii_lowercase[:20], repeat=2)]


@pytest.fixture(scope="module")
def wordy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wordy")
    source = folder / "articles.jsonl"
    records = [
        {"id": "pairs", "title": "Pairs", "text": "Oil and gas. " + " ".join(TWO_LETTERS)},
        {"id": "abs", "title": "Abs", "text": "Oil prices. " + " ".join(AB_WORDS)},
        {"id": "oil", "title": "Oil", "text": "Crude oil prices rose; Blair spoke."},
        {"id": "gas", "title": "Gas", "text": "Natural gas was cheaper, said Blair."},
        {"id": "other", "title": "Other", "text": "The harbour was quiet."},
    ]
    source.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    searchlib.build(folder / "ix", [source])
    return folder / "ix"


@pytest.fixture(scope="module", params=ENGINES)
def wordy(request: pytest.FixtureRequest, wordy_path: Path) -> searchlib.Index:
    return searchlib.open(wordy_path, engine=request.param)


def _error(ix: searchlib.Index, query: str, **options: object) -> str:
    with pytest.raises(searchlib.QuerySyntaxError) as raised:
        ix.search(query, **options)  # type: ignore[arg-type]
    return str(raised.value)


@pytest.mark.parametrize("correct", [True, False])
def test_a_word_too_long_is_refused_before_any_lookup(wordy, correct):
    tracemalloc.start()
    message = _error(wordy, "oil " + "x" * 10_000, correct=correct)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "a word of 10,000 characters" in message and f"at most {MAX_WORD_CHARS}" in message
    assert peak < 5_000_000  # (numpy widened the word list to the word's length before)
    assert wordy.search("x" * MAX_WORD_CHARS).total == 0  # the longest allowed: no error


def test_the_sidecar_never_widens_its_words_to_a_long_one(wordy_path):
    with searchlib.open(wordy_path, engine="sidecar") as ix:
        sidecar = ix._current().accel.sidecar
        tracemalloc.start()
        assert sidecar.document_frequency("x" * 100_000) == 0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.slow
def test_too_many_words_are_refused(wordy):
    many = " ".join(TWO_LETTERS + AB_WORDS)  # 1,076 words
    assert f"1,076 words; a query holds at most {MAX_WORDS:,}" in _error(wordy, many)
    assert wordy.search(" ".join((TWO_LETTERS + AB_WORDS)[:MAX_WORDS])).total >= 2
    # Operators are not words: 1,000 words joined by OR are a query of 1,000 words.
    assert wordy.search(" OR ".join((TWO_LETTERS + AB_WORDS)[:MAX_WORDS])).total >= 2


def test_words_joined_by_or_rank_as_words(wordy):
    # (The same query as plain words, so it takes the fast path: 1,000 ORed words took 11 s.)
    for words in (["oil", "gas"], ["crude", "gas", "harbour"], TWO_LETTERS[:300]):
        ored, plain = wordy.search(" OR ".join(words)), wordy.search(" ".join(words))
        assert ored.total == plain.total > 0
        assert [(h.id, h.score) for h in ored.hits] == [(h.id, h.score) for h in plain.hits]


@pytest.mark.parametrize("query", ["**", "*a*", "?il", "*"])
def test_a_wildcard_must_start_with_a_letter(wordy, query):
    if query == "*":  # alone it is "every article", as documented
        assert wordy.search(query).total == 5
        return
    message = _error(wordy, f"oil {query}")
    assert (
        f"{query} starts with a wildcard" in message and "begin with at least one letter" in message
    )


def test_prefixes_stand_for_a_bounded_number_of_words(wordy):
    message = _error(wordy, "ab*")
    assert f"ab* stands for more than {MAX_EXPANSIONS} words" in message
    assert "type more letters" in message
    assert {h.id for h in wordy.search("aba*").hits} == {"abs"}  # 20 words: fine
    # Together too: 20 prefixes that stand for what ab* stands for.
    many = " ".join(f"ab{letter}*" for letter in string.ascii_lowercase[:20])
    assert "the prefix, wildcard and fuzzy terms stand" in _error(wordy, many)
    assert wordy.search(" ".join(f"ab{letter}*" for letter in "abcde")).total == 1


def test_fuzzy_terms_allow_at_most_two_edits(wordy):
    message = _error(wordy, "blair~9")
    assert "blair~9 allows 9 edits; fuzzy terms allow at most 2" in message
    assert "blair~1 or blair~2" in message
    assert {h.id for h in wordy.search("blaire~").hits} == {"oil", "gas"}
    assert {h.id for h in wordy.search("blayr~2").hits} == {"oil", "gas"}
    # Every two-letter word is within two edits of "ox".
    assert f"ox~2 stands for more than {MAX_EXPANSIONS} words" in _error(wordy, "ox~2")


def test_caps_are_usage_errors_on_the_command_line(wordy_path):
    runner = CliRunner()
    for query in ("x" * 5000, "blair~9", "**", "ab*"):
        result = runner.invoke(search_command, [query, "-i", str(wordy_path)])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Query mistakes


def test_only_excluded_words_mean_everything_except(wordy):
    everything = {h.id for h in wordy.search("*", limit=10).hits}
    for query in ("-oil", "-oil -gas"):
        found = wordy.search(query, limit=10)
        spelled = wordy.search(query.replace("-", "NOT "), limit=10)
        assert [(h.id, h.score) for h in found.hits] == [(h.id, h.score) for h in spelled.hits]
        assert found.total == len(found.hits) and {h.id for h in found.hits} < everything
    assert {h.id for h in wordy.search("-oil", limit=10).hits} == {"gas", "other"}
    assert {h.id for h in wordy.search("-oil -gas", limit=10).hits} == {"other"}


@pytest.mark.parametrize(
    "query, says",
    [
        ("oil date:abc", "date:abc is not a date"),
        ("date:2024-1", "date:2024-1 is not a date"),
        ("oil year:abc", "year:abc is not a year"),
        ("oil year:87", "year:87 is not a year"),
    ],
)
def test_malformed_dates_are_errors(wordy, wordy_path, query, says):
    with pytest.raises(searchlib.InvalidDateError, match=says):
        wordy.search(query)
    result = CliRunner().invoke(search_command, [query, "-i", str(wordy_path)])
    assert result.exit_code == 2 and says in result.stderr


def test_unknown_fields_are_warned_in_text_and_json(wordy, wordy_path):
    found = wordy.search("nosuchfield:foo oil")
    assert len(found.warnings) == 1 and "'nosuchfield' is not a field" in found.warnings[0]
    assert found.total > 0  # (its words are still searched)
    assert wordy.search("title:oil date:2024..2025 http://example.org").warnings == ()
    runner = CliRunner()
    text = runner.invoke(search_command, ["nosuchfield:foo", "-i", str(wordy_path)])
    assert text.exit_code == 0 and "Warning: 'nosuchfield' is not a field" in text.stderr
    shown = runner.invoke(search_command, ["nosuchfield:foo", "--json", "-i", str(wordy_path)])
    assert json.loads(shown.stdout)["warnings"] == list(found.warnings)
