"""Issue 17's rough edges: CLI consistency, indexes found from anywhere, progress, library
niceties, snippet options. Through Click's runner, the library, and real subprocesses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from click.testing import CliRunner

import searchlib
from searchlib.cli import cli, search_command

from .conftest import ROOT, SEEDS

DECLARATION = "000_0802c507da2f2354"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $SEARCHLIB_HOME, so that no test sees the user's own indexes."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SEARCHLIB_HOME", str(folder))
    return folder


def search_json(runner: CliRunner, index: Path, *args: str) -> dict:
    result = runner.invoke(search_command, [*args, "--json", "-i", str(index)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- 3. CLI consistency --------------------------------------------------------------------


def test_search_takes_dash_h_and_both_commands_print_their_version(runner):
    short = runner.invoke(search_command, ["-h"])
    assert short.exit_code == 0 and short.output == runner.invoke(search_command, ["--help"]).output
    assert "QUERY syntax" in short.output
    assert runner.invoke(search_command, ["--version"]).output == (
        f"search, version {searchlib.__version__}\n"
    )
    assert runner.invoke(cli, ["--version"]).output == (
        f"searchlib, version {searchlib.__version__}\n"
    )


def test_repeated_entity_filters_must_all_match(runner, ix, seeds_index_path):
    people = {e.name: set(e.ids) for e in ix.entities("person")}
    both = people["Kassym-Jomart Tokayev"] & people["Maulen Ashimbayev"]
    assert 0 < len(both) < len(people["Maulen Ashimbayev"])
    for order in (["Tokayev", "Ashimbayev"], ["Ashimbayev", "Tokayev"]):
        found = ix.search("*", person=order, limit=10)
        assert {hit.id for hit in found} == both
        args = [a for name in order for a in ("--person", name)]
        assert {h["id"] for h in search_json(runner, seeds_index_path, "*", *args)["hits"]} == both
    # Two places no article shares: nothing, though each alone finds articles.
    assert ix.search("*", place="Vatican").total and ix.search("*", place="Saudi Arabia").total
    assert ix.search("*", place=["Vatican", "Saudi Arabia"]).total == 0
    places = search_json(runner, seeds_index_path, "*", "--place", "Vatican", "--place", "Makkah")
    assert places["total"] == 0
    assert ix.search("*", person="Tokayev").total == len(people["Kassym-Jomart Tokayev"])


def test_a_broken_pipe_exits_zero_without_a_word(seeds_index_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    search = f"{sys.executable} -c 'from searchlib.cli import search_main; search_main()'"
    piped = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {search} '*' -i {seeds_index_path} | head -1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith('5 articles for "*"') and piped.stderr == ""
    # A reader that is gone before anything is written: the write itself fails.
    command = [sys.executable, "-c", "from searchlib.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "search", "*", "-i", str(seeds_index_path), "--jsonl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == b""


def test_build_summaries_state_a_rate_only_when_it_means_something(runner, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text('{"id": "a", "text": "One article about Astana."}\n', encoding="utf-8")
    path = str(tmp_path / "ix")
    first = runner.invoke(cli, ["index", "build", "--index", path, str(one)])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"Indexed 1 article into {path} in ")
    assert "/s" not in first.stdout and "(full build): 1 added" in first.stdout
    again = runner.invoke(cli, ["index", "build", "--index", path])
    assert again.stdout.startswith(f"Up to date: 1 article in {path}, nothing to index")
    assert "/s" not in again.stdout


def test_a_page_past_the_last_says_so(runner, seeds_index_path):
    result = runner.invoke(search_command, ["Astana", "--page", "9", "-i", str(seeds_index_path)])
    assert result.exit_code == 0
    assert "Page 9 is past the end: the matches fill 1 page." in result.output
    fine = runner.invoke(search_command, ["Astana", "-i", str(seeds_index_path)])
    assert "past the end" not in fine.output


def test_an_all_capitals_query_with_operators_says_how_it_was_read(runner, seeds_index_path):
    result = runner.invoke(search_command, ["ASTANA NOT VATICAN", "-i", str(seeds_index_path)])
    first = result.output.splitlines()[0]
    assert first.startswith("Read ASTANA NOT VATICAN as words")
    assert "NOT is a word" in first and first.endswith("astana NOT vatican")
    for plain in ("ASTANA VATICAN", "Astana NOT Vatican", '"ASTANA NOT" VATICAN'):
        output = runner.invoke(search_command, [plain, "-i", str(seeds_index_path)]).output
        assert not output.startswith("Read "), plain


def test_json_adds_pages_limit_time_and_each_hits_rank_source_author(runner, seeds_index_path):
    data = search_json(runner, seeds_index_path, "Astana", "--limit", "3", "--page", "2")
    assert data["pages"] == 2 and data["limit"] == 3 and data["page"] == 2
    assert isinstance(data["took_ms"], float) and data["took_ms"] > 0
    hit = data["hits"][0]
    assert hit["rank"] == 4
    assert hit["source"] == str(SEEDS.resolve() / f"{hit['id']}.txt")
    assert hit["author"] is None
    assert {"id", "title", "date", "score", "snippet", "entities"} <= set(hit)


def test_hits_as_csv_and_json_lines(runner, seeds_index_path):
    expected = search_json(runner, seeds_index_path, "Astana")["hits"]
    as_csv = runner.invoke(search_command, ["Astana", "--csv", "-i", str(seeds_index_path)])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["id"] for row in rows] == [hit["id"] for hit in expected]
    assert list(rows[0])[:3] == ["rank", "id", "title"] and rows[0]["rank"] == "1"
    assert rows[0]["person"].split("; ") == expected[0]["entities"]["person"]
    assert "**Astana**" in rows[0]["snippet"]
    lines = runner.invoke(search_command, ["Astana", "--jsonl", "-i", str(seeds_index_path)])
    assert [json.loads(line) for line in lines.stdout.splitlines()] == expected
    both = runner.invoke(search_command, ["Astana", "--csv", "--json", "-i", str(seeds_index_path)])
    assert both.exit_code == 2


def test_facet_limit(runner, seeds_index_path):
    data = search_json(runner, seeds_index_path, "*", "--facet-limit", "1")
    assert all(len(values) == 1 for values in data["facets"].values())
    shown = runner.invoke(search_command, ["*", "--facet-limit", "2", "-i", str(seeds_index_path)])
    person = next(line for line in shown.output.splitlines() if line.startswith("  person:"))
    assert person.count("(") == 2 and "more" not in person
    none = search_json(runner, seeds_index_path, "*", "--facet-limit", "0")
    assert all(values == [] for values in none["facets"].values())


def test_entities_min_count_and_limit(runner, ix, seeds_index_path):
    frequent = ix.entities(min_count=3)
    assert frequent and all(entity.count >= 3 for entity in frequent)
    assert len(frequent) < len(ix.entities())
    args = ["entities", "--min-count", "4", "--limit", "1", "--json", "-i", str(seeds_index_path)]
    listed = json.loads(runner.invoke(cli, args).stdout)
    assert listed and all(entity["count"] >= 4 for entity in listed)
    assert len({entity["type"] for entity in listed}) == len(listed)  # at most one per kind
    assert ("person", "Maulen Ashimbayev") in {(e["type"], e["name"]) for e in listed}


def test_shell_completion_works_as_the_readme_says():
    readme = (ROOT / "README.md").read_text("utf-8")
    for variable, command in (("_SEARCHLIB_COMPLETE", "searchlib"), ("_SEARCH_COMPLETE", "search")):
        assert f'eval "$({variable}=bash_source {command})"' in readme
        entry = "main" if command == "searchlib" else "search_main"
        script = subprocess.run(
            [sys.executable, "-c", f"from searchlib.cli import {entry}; {entry}()"],
            capture_output=True,
            text=True,
            env={**os.environ, variable: "bash_source", "PYTHONPATH": str(ROOT)},
            timeout=60,
            check=False,
        )
        assert script.returncode == 0 and "complete -o nosort -F" in script.stdout


# -- 4. Indexes found from anywhere ------------------------------------------------------


def test_index_list_shows_definitions_here_and_indexes_in_the_home(runner, project, home):
    searchlib.build(home / "news", [project / "seeds"])
    listed = json.loads(runner.invoke(cli, ["index", "list", "--json"]).stdout)
    assert listed["home"] == str(home)
    by_name = {entry["name"]: entry for entry in listed["indexes"]}
    assert by_name["seeds"] == {
        "name": "seeds",
        "path": str(project / "indexes" / "seeds"),
        "definition": str(project / "indexes" / "seeds.toml"),
        "built": False,
        "articles": None,
    }
    assert by_name["news"]["path"] == str(home / "news") and by_name["news"]["articles"] == 5
    text = runner.invoke(cli, ["index", "list"]).output
    assert f"home: {home}" in text and "not built" in text and "5 articles" in text


def test_search_finds_an_index_in_the_home_from_any_folder(runner, tmp_path, home, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    missing = runner.invoke(search_command, ["Astana"])
    assert missing.exit_code == 2 and "no index named 'seeds'" in missing.output
    searchlib.build(home / "seeds", [SEEDS])
    found = runner.invoke(search_command, ["Astana"])
    assert found.exit_code == 0, found.output
    assert found.output.startswith('4 articles for "Astana"')


def test_a_mistyped_index_name_gets_a_suggestion(runner, project, home):
    result = runner.invoke(search_command, ["Astana", "-i", "seds"])
    assert result.exit_code == 2
    assert "no index named 'seds'" in result.output and "did you mean 'seeds'?" in result.output
    far = runner.invoke(search_command, ["Astana", "-i", "zzzz"])
    assert "did you mean" not in far.output and "searchlib index list" in far.output


# -- 5. Progress ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_full_build_reports_progress_from_the_start_and_per_article(tmp_path):
    source = tmp_path / "many.jsonl"
    source.write_text(
        "".join(
            json.dumps({"id": f"a{i}", "text": f"Report {i} from Astana on the talks."}) + "\n"
            for i in range(150)
        ),
        encoding="utf-8",
    )
    calls: list[tuple[int, int]] = []
    searchlib.build(
        tmp_path / "ix", [source], progress=lambda done, total: calls.append((done, total))
    )
    assert calls[0] == (0, 150)  # before any article is written: the bar has its total
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 150 and {t for _, t in calls} == {150}
    assert len(set(done)) > 100  # every article counts, not only each segment of 1,000
    with source.open("a", encoding="utf-8") as more:
        more.writelines(
            json.dumps({"id": f"b{i}", "text": "More from Astana."}) + "\n" for i in range(20)
        )
    calls.clear()
    searchlib.build(tmp_path / "ix", progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 20) and sorted(set(calls)) == [(i, 20) for i in range(21)]


# -- 6. Library niceties -------------------------------------------------------------------


def test_results_index_slice_and_short_reprs(ix):
    results = ix.search("Astana", limit=3)
    assert results[0] is results.hits[0] and results[-1] is results.hits[-1]
    assert results[1:] == results.hits[1:]
    with pytest.raises(IndexError):
        results[3]
    assert repr(results) == "<Results 'Astana': 4 articles, page 1 of 2, 3 hits>"
    hit = results[0]
    assert repr(hit).startswith(f"<Hit 1. {hit.id} '") and repr(hit).endswith(
        f" score {hit.score:.2f}>"
    )
    assert len(repr(hit)) < 110 and "fragments" not in repr(hit)


def test_timelines_by_week_and_day():
    dates = {"2024-12-30": 1, "2025-01-12": 2, "2025-01-13": 1, None: 4}
    weeks = searchlib.Timeline.count(dates, "week")
    assert weeks.counts == {"2025-W01": 1, "2025-W02": 2, "2025-W03": 1}  # ISO weeks
    days = searchlib.Timeline.count({"2025-01-30": 1, "2025-02-02": 3}, "day")
    assert days.counts == {"2025-01-30": 1, "2025-01-31": 0, "2025-02-01": 0, "2025-02-02": 3}
    assert weeks.undated == 4 and weeks.to_dict()["freq"] == "week"


def test_results_timeline_by_week_counts_every_match(ix):
    weekly = ix.search("*", limit=1).timeline(freq="week")
    assert weekly.dated == 4 and weekly.undated == 1
    assert weekly.counts["2023-W41"] == 1  # 2023-10-11


@pytest.mark.parametrize("engine", ["whoosh", "sidecar"])
def test_sort_oldest_first_keeps_undated_last(seeds_index_path, engine):
    with searchlib.open(seeds_index_path, engine=engine) as ix:
        oldest = [hit.date for hit in ix.search("*", sort="date_asc")]
        newest = [hit.date for hit in ix.search("*", sort="date")]
        assert oldest == [*sorted(d for d in oldest if d), None]
        assert oldest[:-1] == newest[:-1][::-1]
        assert ix.search("Congress", sort="date_asc")[0].date == "2021-03-01"


def test_the_notebook_extra_has_what_the_tour_needs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    extra = {
        req.split(">")[0].split("=")[0].strip()
        for req in project["optional-dependencies"]["notebook"]
    }
    # The tour's DataFrames and plots, a kernel to run it, and an app to open it in.
    assert {"pandas", "matplotlib", "ipykernel", "notebook"} <= extra
    tour = (ROOT / "examples" / "tour.ipynb").read_text("utf-8")
    assert "to_pandas()" in tour and ".plot(" in tour
    readme = (ROOT / "README.md").read_text("utf-8")
    assert 'pip install -e ".[notebook]" && jupyter notebook examples/tour.ipynb' in readme


# -- 7. Snippets and highlighting ----------------------------------------------------------


def test_the_caller_chooses_the_marker_and_the_length_of_snippets(ix):
    default = ix.search("Astana", limit=1)[0].snippet
    assert "**Astana**" in default
    html = ix.search("Astana", limit=1, highlight="html")[0].snippet
    assert "<mark>Astana</mark>" in html and "**" not in html
    assert ix.search("Astana", limit=1, highlight="ansi")[0].snippet.count("\x1b[1;33m") >= 1
    assert "[Astana]" in ix.search("Astana", limit=1, highlight=("[", "]"))[0].snippet
    plain = ix.search("Astana", limit=1, highlight="none")[0].snippet
    assert plain == default.replace("**", "")
    short = ix.search("Astana", limit=1, highlight="none", snippet_chars=60)[0].snippet
    assert len(short) < 70 < len(plain) and "Astana" in short
    with pytest.raises(ValueError, match="highlight must be one of"):
        ix.search("Astana", highlight="bold")


def test_html_snippets_escape_the_article_text(entity_ix):
    hits = {hit.id: hit for hit in entity_ix.search("summit", highlight="html")}
    snippet = hits["xss-1"].snippet
    assert "<mark>summit</mark>" in snippet
    assert "<img" not in snippet and "&lt;img" in snippet


def test_search_highlight_and_snippet_chars_options(runner, seeds_index_path):
    args = ["Astana", "--limit", "1", "-i", str(seeds_index_path)]
    marked = runner.invoke(search_command, [*args, "--highlight", "markdown"]).output
    assert "**Astana**" in marked
    assert (
        "<mark>Astana</mark>"
        in runner.invoke(search_command, [*args, "--highlight", "html"]).output
    )
    coloured = runner.invoke(search_command, [*args, "--highlight", "ansi"]).output
    assert "\x1b[" in coloured
    assert "\x1b[" not in runner.invoke(search_command, args).output  # auto, piped: plain
    data = search_json(runner, seeds_index_path, *args[:-2], "--highlight", "html")
    assert "<mark>Astana</mark>" in data["hits"][0]["snippet"]
    short = search_json(runner, seeds_index_path, *args[:-2], "--snippet-chars", "60")
    assert len(short["hits"][0]["snippet"]) < len(data["hits"][0]["snippet"]) - 100


def test_headings_never_double_the_quotes_of_a_query(runner, ix, seeds_index_path):
    query = '"Kassym-Jomart Tokayev" Astana'
    output = runner.invoke(search_command, [query, "-i", str(seeds_index_path)]).output
    assert output.splitlines()[0].startswith(f"{ix.search(query).total} articles for {query} ·")
    assert '""' not in output
    html = ix.search(query)._repr_html_()
    assert "“&quot;" not in html and "for &quot;Kassym-Jomart Tokayev&quot; Astana ·" in html
    assert (
        'articles for "Astana" ·'
        in runner.invoke(search_command, ["Astana", "-i", str(seeds_index_path)]).output
    )
