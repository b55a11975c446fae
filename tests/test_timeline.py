"""Timelines over all matching articles: the library, the plot and `searchlib timeline`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import searchlib
from searchlib.cli import cli

from .conftest import SEED_IDS


def run_timeline(*args: str, index: Path) -> Result:
    return CliRunner().invoke(cli, ["timeline", *args, "-i", str(index)])


SEED_YEARS = {"2021": 1, "2022": 0, "2023": 1, "2024": 0, "2025": 2}


def test_timeline_counts_every_match_not_only_the_page(ix):
    results = ix.search("", limit=1)
    assert len(results.hits) == 1
    timeline = results.timeline()
    assert timeline.counts == SEED_YEARS  # gap years show as zero
    assert (timeline.dated, timeline.undated) == (4, 1)
    assert timeline.dated + timeline.undated == results.total == len(SEED_IDS)


def test_timeline_by_month_follows_filters(ix):
    timeline = ix.search("*", date_from="2025").timeline(freq="month")
    periods = list(timeline.counts)
    assert (periods[0], periods[-1], len(periods)) == ("2025-04", "2025-09", 6)
    assert {p: c for p, c in timeline.counts.items() if c} == {"2025-04": 1, "2025-09": 1}
    assert timeline.undated == 0  # a date filter drops undated articles


def test_month_periods_cross_years():
    dates = {"2023-11-30": 2, "2024-02-01": 1, None: 3}
    timeline = searchlib.Timeline.count(dates, "month", query="q")
    assert timeline.counts == {"2023-11": 2, "2023-12": 0, "2024-01": 0, "2024-02": 1}
    assert timeline.undated == 3
    assert searchlib.Timeline.count({}, "year").counts == {}
    with pytest.raises(ValueError, match="freq must be one of year, month, week, day"):
        searchlib.Timeline.count(dates, "fortnight")


def test_plot_draws_one_bar_per_period(ix):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = ix.search("Congress").timeline().plot()
    assert [round(bar.get_height()) for bar in ax.patches] == list(SEED_YEARS.values())
    assert [label.get_text() for label in ax.get_xticklabels()] == list(SEED_YEARS)
    assert ax.get_title() == '"Congress" by year (1 undated not shown)'


def test_plot_without_matplotlib_says_what_to_install(ix, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(searchlib.MissingExtraError, match=r"pip install 'searchlib\[plot\]'"):
        ix.search("Congress").timeline().plot()


def test_cli_timeline_histogram(seeds_index_path):
    result = CliRunner().invoke(cli, ["timeline", "Congress", "-i", str(seeds_index_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == '4 dated articles for "Congress" by year (1 undated)'
    bars = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert list(bars) == list(SEED_YEARS)
    assert bars["2022"] == ["0"]
    assert bars["2025"] == ["█" * 40, "2"] and bars["2023"] == ["█" * 20, "1"]


def test_cli_timeline_json_with_filters(seeds_index_path):
    result = run_timeline(
        "*",
        "--freq",
        "month",
        "--from",
        "2023",
        "--to",
        "2023-12",
        "--json",
        index=seeds_index_path,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {
        "query": "*",
        "freq": "month",
        "dated": 1,
        "undated": 0,
        "periods": [{"period": "2023-10", "count": 1}],
    }


def test_cli_timeline_person_filter(entity_index_path):
    result = run_timeline(
        "summit", "--person", "Kassym-Jomart Tokayev", "--json", index=entity_index_path
    )
    assert result.exit_code == 0, result.output
    periods = json.loads(result.output)["periods"]
    assert {p["period"]: p["count"] for p in periods} == {"2023": 1, "2024": 1}


def test_cli_timeline_bad_date_is_a_usage_error(seeds_index_path):
    result = CliRunner().invoke(
        cli, ["timeline", "x", "--from", "2023-13", "-i", str(seeds_index_path)]
    )
    assert result.exit_code == 2 and "invalid date '2023-13'" in result.stderr
