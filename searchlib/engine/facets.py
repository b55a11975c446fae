"""Facets: the one facet counter, over columns of dates and canonical entity names (numpy)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..fields import ENTITY_FIELDS, FACETS
from ..model import FacetValue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

#: A generation's columns are saved beside it once its entity table is written (see
#: :meth:`FacetColumns.save`): opening it then reads them instead of joining every article's
#: names again. Plain ``.npy`` files (never pickled) and a JSON header with the names, last.
PREFIX = "facets-"
HEADER = f"{PREFIX}header.json"
#: 2: the derived columns (years, days, each article's pairs' starts) kept too, and mapped.
FORMAT = 2


def _within(values: np.ndarray, end: int) -> bool:
    """Whether every value is in ``range(end)``."""
    return not len(values) or (int(values.min()) >= 0 and int(values.max()) < end)


def _offsets(count: int) -> type[np.signedinteger]:
    """The narrowest dtype for offsets up to ``count``."""
    return np.int32 if count < 2**31 else np.int64


def iso_day(value: int) -> str:
    """A date column's ``yyyymmdd`` as ``YYYY-MM-DD``."""
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


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
    #: Per entity kind: the id of the canonical name of each name the articles hold (what the
    #: entity table maps it to), so that hits show canonical names without the table.
    raw_ids: dict[str, dict[str, int]]

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
        entities, raw_ids_of = {}, {}
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
            raw_ids_of[kind] = dict(zip(raw_names, ids.tolist(), strict=True))
        return cls.assemble(dates, entities, raw_ids_of)

    @classmethod
    def assemble(
        cls,
        dates: np.ndarray,
        entities: dict[str, tuple[np.ndarray, np.ndarray, list[str]]],
        raw_ids: dict[str, dict[str, int]],
    ) -> FacetColumns:
        """Columns from each article's date, its (article, canonical name id) pairs, sorted
        and distinct, and the canonical name id of each name (what :meth:`build` makes and
        :meth:`save` keeps)."""
        docs_all = len(dates)
        starts = {
            kind: np.searchsorted(docs, np.arange(docs_all + 1))
            for kind, (docs, _, _) in entities.items()
        }
        years = (dates // 10000).astype(np.int32)
        days, day_of = np.unique(dates, return_inverse=True)
        for column in (years, days, day_of):
            column.flags.writeable = False
        return cls(docs_all, entities, starts, years, days, day_of, raw_ids)

    def canonical(self, kind: str, name: str) -> str:
        """The canonical name of a name an article holds (itself when the table has none)."""
        found = self.raw_ids[kind].get(name)
        return name if found is None else self.entities[kind][2][found]

    def save(self, folder: Path, generation: str) -> None:
        """Keep these columns in generation folder ``folder`` (read by :meth:`load`)."""
        arrays: dict[str, np.ndarray] = {
            "years": self.years.astype(np.int16),
            "days": self.days.astype(np.int32),
            "day_of": self.day_of.astype(np.int32),
        }
        for kind, (docs, ids, _) in self.entities.items():
            arrays[f"{kind}_docs"] = docs.astype(np.int32)
            arrays[f"{kind}_ids"] = ids.astype(np.int32)
            arrays[f"{kind}_starts"] = self.entity_starts[kind].astype(_offsets(len(docs)))
            arrays[f"{kind}_raw_ids"] = np.array(list(self.raw_ids[kind].values()), np.int32)
        for key, array in arrays.items():
            # (A new file, never one linked from the last generation: see link_segments.)
            tmp = folder / f".{PREFIX}{key}.npy"
            with tmp.open("wb") as out:
                np.save(out, array, allow_pickle=False)
            tmp.replace(folder / f"{PREFIX}{key}.npy")
        header = {
            "format": FORMAT,
            "generation": generation,
            "docs": self.docs_all,
            "names": {kind: names for kind, (_, _, names) in self.entities.items()},
            "raw": {kind: list(raw) for kind, raw in self.raw_ids.items()},
        }
        tmp = folder / f".{HEADER}"
        tmp.write_text(json.dumps(header, ensure_ascii=False), "utf-8")
        tmp.replace(folder / HEADER)  # last: columns without a header are incomplete

    @classmethod
    def load(cls, folder: Path, generation: str, docs_all: int) -> FacetColumns | None:
        """The columns :meth:`save` kept for this generation, or ``None`` when they are
        missing, unreadable or not this generation's.

        The arrays are mapped, not read: opening an archive of a million articles costs no
        copy of its columns (and no sort or search to rebuild them). Their bounds are checked
        here, so that damage is an index to rebuild, never a wrong count."""
        try:
            header = json.loads((folder / HEADER).read_text("utf-8"))
            if (
                header.get("format") != FORMAT
                or header.get("generation") != generation
                or header.get("docs") != docs_all
            ):
                return None

            def array(key: str) -> np.ndarray:
                path = folder / f"{PREFIX}{key}.npy"
                return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))

            years, days, day_of = array("years"), array("days"), array("day_of")
            if (
                len(years) != docs_all
                or len(day_of) != docs_all
                or not _within(day_of, len(days))
                or not _within(years, 10000)
            ):
                return None
            entities, starts, raw_ids = {}, {}, {}
            for kind, names in header["names"].items():
                docs, ids, begins = (
                    array(f"{kind}_docs"),
                    array(f"{kind}_ids"),
                    array(f"{kind}_starts"),
                )
                raw, to = list(header["raw"][kind]), array(f"{kind}_raw_ids")
                if (
                    len(docs) != len(ids)
                    or len(raw) != len(to)
                    or not (_within(ids, len(names)) and _within(to, len(names)))
                    or not _within(docs, docs_all)
                    or len(begins) != docs_all + 1
                    or begins[0] != 0
                    or begins[-1] != len(docs)
                    or bool((begins[1:] < begins[:-1]).any())
                ):
                    return None
                entities[kind] = (docs, ids, list(names))
                starts[kind] = begins
                raw_ids[kind] = dict(zip(raw, to.tolist(), strict=True))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if set(entities) != set(ENTITY_FIELDS):
            return None
        return cls(docs_all, entities, starts, years, days, day_of, raw_ids)

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
                (iso_day(v) if v else None): int(c)
                for v, c in zip(values.tolist(), counts.tolist(), strict=True)
            }
        )
