"""Terminal safety: escape sequences and control characters in article data never reach a
terminal, piped or on a real one; --json keeps them, escaped."""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import searchlib
import searchlib.prepare.articles
from searchlib.cli import cli, search_command
from searchlib.present.terminal import safe

from .conftest import ROOT

CLEAR, TITLE, LINK, ASK = (
    "\x1b[2J\x1b[H",
    "\x1b]0;pwned\x07",
    "\x1b]8;;http://evil/\x1b\\",
    "\x1b[6n",
)
C1_CSI, BELL, BACK, OSC_C1 = "\x9b31m", "\x07", "\x08", "\x9d0;title\x9c"
HOSTILE = [
    {
        "id": f"evil{ASK}-1",
        "title": f"Harbour {CLEAR}news{TITLE} today{BELL}",
        "date": "2024-05-01",
        "text": f"First line about the harbour{LINK}click{LINK}.\n\tIndented second line"
        f"{BACK}{BACK}xx with {C1_CSI}red{OSC_C1} text and a bell{BELL}.\r\nThird line, harbour.",
        "entities": {"person": [f"Eve{CLEAR}Mallory"], "org": [f"Acme{C1_CSI}"]},
    },
    {
        "id": "plain-2",
        "title": "A plain harbour story",
        "date": "2024-05-02",
        "text": "Nothing to see at the harbour.",
        "entities": {},
    },
]
# What may reach a terminal: text, newlines and tabs, and our own colours (SGR, on a TTY).
OURS = re.compile(r"\x1b\[[0-9;]*m")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_harmless(output: str) -> None:
    left = OURS.sub("", output)
    assert not CONTROLS.search(left), repr(CONTROLS.findall(left))


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-terminal")
    source = folder / "articles.jsonl"
    source.write_text(
        "\n".join(json.dumps({k: v for k, v in a.items() if k != "entities"}) for a in HOSTILE),
        encoding="utf-8",
    )
    entities = {a["id"]: a["entities"] for a in HOSTILE}
    prepare = searchlib.prepare.articles.prepare

    def with_entities(record):  # sources cannot state entities; the tagger would find others
        article = prepare(record)
        return dataclasses.replace(
            article, **{k: tuple(v) for k, v in entities[article.id].items()}
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(searchlib.prepare.articles, "prepare", with_entities)
        report = searchlib.build(folder / "ix", [source])
    assert report.articles == len(HOSTILE)
    return folder / "ix"


def test_safe_removes_every_kind_of_sequence():
    for hostile in (
        CLEAR,
        TITLE,
        LINK,
        ASK,
        C1_CSI,
        BELL,
        BACK,
        OSC_C1,
        "\x1bc",
        "\x1bP1;2q\x1b\\",
    ):
        assert CONTROLS.search(hostile)
        cleaned = safe(f"a{hostile}b")
        assert not CONTROLS.search(cleaned) and cleaned.startswith("a") and cleaned.endswith("b")
    assert safe("click\x1b]8;;http://evil/\x1b\\here\x1b]8;;\x1b\\") == "clickhere"
    assert safe("Ángel Gurría, 2,000 €") == "Ángel Gurría, 2,000 €"  # text stays as it is
    assert safe("one\ntwo\tthree") == "one two three"
    assert safe("one\r\ntwo\tthree\x1b[2K", layout=True) == "one\ntwo\tthree"


def test_search_and_show_piped_print_no_controls(hostile_path):
    runner = CliRunner()
    found = runner.invoke(search_command, ["harbour", "-i", str(hostile_path)])
    assert found.exit_code == 0, found.output
    assert_harmless(found.output)
    assert "Harbour news today" in found.output and "evil-1" in found.output
    assert "Eve" in found.output and "Mallory" in found.output  # the facets, cleaned
    shown = runner.invoke(cli, ["show", f"evil{ASK}-1", "-i", str(hostile_path)])
    assert shown.exit_code == 0, shown.output
    assert_harmless(shown.output)
    # The body's layout stays: its line breaks and its tab.
    assert "harbourclick.\n\tIndented second linexx with red text" in shown.output
    assert "\nThird line, harbour." in shown.output and "person: EveMallory" in shown.output


def test_json_keeps_the_data_escaped(hostile_path):
    runner = CliRunner()
    found = runner.invoke(search_command, ["harbour", "--json", "-i", str(hostile_path)])
    shown = runner.invoke(cli, ["show", f"evil{ASK}-1", "--json", "-i", str(hostile_path)])
    for result in (found, shown):
        assert result.exit_code == 0
        assert not CONTROLS.search(result.output.replace("\n", ""))  # all escaped as \uXXXX
    hit = next(h for h in json.loads(found.output)["hits"] if h["id"].startswith("evil"))
    assert hit["title"] == HOSTILE[0]["title"] and hit["id"] == HOSTILE[0]["id"]
    # (Reading the source made its line ends plain \n.)
    assert json.loads(shown.output)["text"] == HOSTILE[0]["text"].replace("\r\n", "\n")


def _on_a_terminal(args: list[str]) -> str:
    """What the CLI writes to a real terminal (a pty), run as a process of its own."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-c", "from searchlib.cli import main; main()", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    chunks, deadline = [], time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the process closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
    finally:
        process.wait(timeout=30)
        os.close(leader)
    assert process.returncode == 0, b"".join(chunks)
    return b"".join(chunks).decode("utf-8")


def test_on_a_real_terminal_only_our_colours(hostile_path):
    searched = _on_a_terminal(["search", "harbour", "-i", str(hostile_path)])
    assert OURS.search(searched)  # a terminal: colours are on
    assert "Harbour news" in searched and "evil" in searched
    assert_harmless(searched.replace("\r\n", "\n"))
    shown = _on_a_terminal(["show", f"evil{ASK}-1", "-i", str(hostile_path)])
    assert "Indented second line" in shown
    assert_harmless(shown.replace("\r\n", "\n"))
