"""Facets: the one facet counter, over columns of dates and canonical entity names (numpy)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..fields import FACETS
from ..model import FacetValue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (without ``np.unique``'s hashing, and its
    import of numpy.ma: a tenth of a cold search's time)."""
    first = np.ones(len(values), bool)
    first[1:] = values[1:] != values[:-1]
    return values[first]


@dataclass(frozen=True)
class FacetColumns:
    """Each article's date and entities under canonical names, as arrays: facet counts and date
    counts of any set of articles by numpy counting. Built from the sidecar's columns or, for
    an index without one, from the stored fields; both give the same arrays."""

    docs_all: int
    #: Per entity kind: (article, canonical name id) pairs, each pair once, and the canonical
    #: names in sorted order (so name ids sort as names do).
    entities: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]
    #: Per entity kind: where each article's pairs start (an article's pairs are together).
    entity_starts: dict[str, np.ndarray]
    #: Each article's year (0: undated); read-only.
    years: np.ndarray
    #: The distinct dates (yyyymmdd, 0: undated) and each article's place among them.
    days: np.ndarray
    day_of: np.ndarray

    @classmethod
    def build(
        cls,
        dates: np.ndarray,
        raw_entities: Mapping[str, tuple[np.ndarray, np.ndarray, list[str]]],
        names: Mapping[str, Mapping[str, str]],
    ) -> FacetColumns:
        """Columns from each article's date (yyyymmdd, 0: undated) and its raw entity names as
        (article, raw name id) pairs, mapped to canonical names by ``names`` (the entity
        table's)."""
        docs_all = len(dates)
        entities = {}
        for kind, (docs, raw_ids, raw_names) in raw_entities.items():
            canonical = [names.get(kind, {}).get(raw, raw) for raw in raw_names]
            sorted_names = sorted(set(canonical))
            number = {name: i for i, name in enumerate(sorted_names)}
            ids = np.array([number[name] for name in canonical], np.int64)
            # An article that names one entity two ways counts once.
            width = max(len(sorted_names), 1)
            keys = distinct(
                np.sort(np.asarray(docs, np.int64) * width + ids[np.asarray(raw_ids, int)])
            )
            entities[kind] = (keys // width, keys % width, sorted_names)
        starts = {
            kind: np.searchsorted(docs, np.arange(docs_all + 1))
            for kind, (docs, _, _) in entities.items()
        }
        years = (dates // 10000).astype(np.int32)
        days, day_of = np.unique(dates, return_inverse=True)
        for column in (years, days, day_of):
            column.flags.writeable = False
        return cls(docs_all, entities, starts, years, days, day_of)

    def facets(self, found: np.ndarray, most: int) -> dict[str, list[FacetValue]]:
        """The ``most`` commonest values of each facet among the articles ``found`` (none when
        ``most`` is 0), most articles first, then by value."""
        out: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
        if most < 1:
            return out
        matched = None
        for name in FACETS:
            if name == "year":
                counts = np.bincount(self.years[found], minlength=1)
                counts[0] = 0  # undated
                label: Callable[[int], str] = "{:04d}".format
            else:
                docs, ids, names = self.entities[name]
                if len(found) * 8 < self.docs_all:  # few matches: read only their pairs
                    starts, ends = (
                        self.entity_starts[name][found],
                        self.entity_starts[name][found + 1],
                    )
                    sizes = ends - starts
                    offsets = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
                    counts = np.bincount(
                        ids[offsets + np.arange(len(offsets))], minlength=len(names)
                    )
                else:
                    if matched is None:
                        matched = np.zeros(self.docs_all, bool)
                        matched[found] = True
                    counts = np.bincount(ids[matched[docs]], minlength=len(names))
                label = names.__getitem__
            present = np.flatnonzero(counts)
            # Most articles first, then by value (ids and years are in value order).
            order = present[np.lexsort((present, -counts[present]))][:most]
            out[name] = [FacetValue(label(i), int(counts[i])) for i in order.tolist()]
        return out

    def dates(self, docnums: np.ndarray) -> Counter[str | None]:
        """How many of these articles were published on each date (``None``: undated)."""
        counts = np.bincount(self.day_of[docnums], minlength=len(self.days))
        present = np.flatnonzero(counts)
        values, counts = self.days[present], counts[present]
        return Counter(
            {
                (f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}" if v else None): int(c)
                for v, c in zip(values.tolist(), counts.tolist(), strict=True)
            }
        )
