"""Timelines: how many matching articles were published per year, month, week or day.

Built from the publication dates of all matching articles (see :attr:`Results.dates`), so a
timeline covers every match, not only the page of hits shown. Undated articles are counted apart:
they belong to no period.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..extras import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FREQS = ("year", "month", "week", "day")


@dataclass(frozen=True)
class Timeline:
    """Matching articles per period, oldest first, with the periods between that have none.

    ``counts`` maps each period (``"2023"`` by year, ``"2023-10"`` by month, ``"2023-W41"`` by
    ISO week, ``"2023-10-11"`` by day) to its number of articles; ``undated`` is how many
    matching articles state no date.
    """

    query: str
    freq: str
    counts: dict[str, int]
    undated: int = 0

    @classmethod
    def count(
        cls, dates: Mapping[str | None, int], freq: str = "year", query: str = ""
    ) -> Timeline:
        """Group ``YYYY-MM-DD`` dates (with how many articles have each) into periods."""
        if freq not in FREQS:
            raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
        per_period: Counter[str] = Counter()
        for date, number in dates.items():
            if date:
                per_period[_period(date, freq)] += number
        counts = {period: per_period[period] for period in _periods(sorted(per_period), freq)}
        return cls(query=query, freq=freq, counts=counts, undated=dates.get(None, 0))

    @property
    def dated(self) -> int:
        """How many matching articles have a date."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """The timeline as in ``searchlib timeline --json``."""
        return {
            "query": self.query,
            "freq": self.freq,
            "dated": self.dated,
            "undated": self.undated,
            "periods": [{"period": p, "count": c} for p, c in self.counts.items()],
        }

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw the timeline as a bar chart with matplotlib (needs ``searchlib[plot]``) and
        return the axes; pass ``ax`` to draw into an existing figure."""
        pyplot = require("matplotlib.pyplot", "plot", "Timeline.plot()")
        from matplotlib.ticker import MaxNLocator  # present once pyplot imported

        if ax is None:
            _, ax = pyplot.subplots(figsize=(8, 3))
        periods = list(self.counts)
        ax.bar(range(len(periods)), list(self.counts.values()), color="#4c72b0")
        # Label at most about a dozen periods so that month labels stay readable.
        step = max(1, len(periods) // 12)
        ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=45, ha="right")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # no "1.5 articles" ticks
        ax.set_ylabel("articles")
        what = f'"{self.query}"' if self.query.strip() not in ("", "*") else "all articles"
        undated = f" ({self.undated} undated not shown)" if self.undated else ""
        ax.set_title(f"{what} by {self.freq}{undated}")
        return ax


def _period(date: str, freq: str) -> str:
    """The period a ``YYYY-MM-DD`` date falls in."""
    if freq == "year":
        return date[:4]
    if freq == "month":
        return date[:7]
    if freq == "day":
        return date[:10]
    year, week, _ = dt.date.fromisoformat(date[:10]).isocalendar()
    return f"{year:04d}-W{week:02d}"


def _periods(present: list[str], freq: str) -> list[str]:
    """Every period from the first present to the last, so that gaps show as zeros."""
    if not present:
        return []
    if freq in ("week", "day"):
        parse = dt.date.fromisoformat if freq == "day" else _monday
        day, end = parse(present[0]), parse(present[-1])
        step = dt.timedelta(days=1 if freq == "day" else 7)
        periods = []
        while day <= end:
            periods.append(_period(day.isoformat(), freq))
            day += step
        return periods
    if freq == "year":
        return [str(year) for year in range(int(present[0]), int(present[-1]) + 1)]
    first = int(present[0][:4]) * 12 + int(present[0][5:7]) - 1
    last = int(present[-1][:4]) * 12 + int(present[-1][5:7]) - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


def _monday(week: str) -> dt.date:
    """The Monday of an ISO week written ``YYYY-Www``."""
    return dt.date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)
