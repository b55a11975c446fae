"""Duplicates: the groups of near-duplicate stories of a generation, found and kept at build time.

Each article's MinHash signature (:mod:`searchlib.prepare.shingles`) is kept in the generation
(``duplicates-signatures.npy`` and ``duplicates-ids.npy``, plain ``.npy`` files, never pickled),
so an incremental build computes signatures only for the articles it writes and reuses the
others'. Candidates are found by locality-sensitive hashing: the signature cut into
:data:`BANDS` bands, two articles are candidates when one band is equal. A candidate pair is
kept when its signatures agree on at least :data:`SIMILARITY` of their values (the estimated
Jaccard similarity of their shingles), and a group is a connected set of kept pairs. The groups
depend only on the articles' ids and texts, never on the build's path: a full and an
incremental build of the same sources give the same groups. They are kept as arrays by the
rows of the ids (mapped when a search opens the generation, never read into Python objects),
with the header ``duplicates.json`` written last, and checked with the generation's other files
(see :mod:`searchlib.store.integrity`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    import numpy as np

#: The groups and the header, written last: a generation without it has no groups yet.
GROUPS = "duplicates.json"
SIGNATURES = "duplicates-signatures.npy"
IDS = "duplicates-ids.npy"
DAYS = "duplicates-days.npy"
#: Each article's group (-1: none), by the rows of IDS; each group's rows; where each starts.
GROUP_OF = "duplicates-group.npy"
MEMBERS = "duplicates-members.npy"
STARTS = "duplicates-starts.npy"
#: 2: the groups as arrays beside the signatures (1: as lists in the header).
FORMAT = 2
#: Least share of equal signature values (estimated Jaccard similarity of the shingles) for
#: two articles to be the same story; chosen by reading pairs of reuters21578 and bbc (see
#: benchmarks/RESULTS.md, "Near-duplicate stories").
SIMILARITY = 0.5
#: Two dated articles further apart than this many days are not the same story, however alike:
#: a weekly report (export sales, a bill auction) comes again with new numbers.
MAX_DAYS = 3
#: The day of an undated article.
UNDATED = -1
#: Bands of the signature for candidates: 32 bands of 4 values find a pair of similarity 0.5
#: with probability 0.87, and one of 0.7 with 0.9995.
BANDS = 32
#: Candidates sharing a band beyond this many are compared with the band's first article
#: only, so that a band shared by thousands of articles costs linear time.
ALL_PAIRS = 64
_BLOCK = 4096
#: Candidate pairs made at once (16 bytes each), whatever the buckets' sizes.
_PAIRS_AT_ONCE = 1 << 20


class Signatures(NamedTuple):
    """The signatures of some articles: their ids, signatures (one row each) and days."""

    ids: np.ndarray
    signatures: np.ndarray
    days: np.ndarray


class Compared(NamedTuple):
    """What an article is compared on: its id, title, text and date (``YYYY-MM-DD``)."""

    id: str
    title: str
    text: str
    date: str | None


@dataclass(frozen=True, eq=False)  # (arrays: compared by identity)
class Groups:
    """The near-duplicate groups of a generation, the largest first, each a sorted tuple of
    article ids: ``len``, iteration, :meth:`largest` and an article's group by :meth:`of`.

    Held as arrays mapped from the generation's files (an archive of a million articles has
    hundreds of thousands of grouped articles: as Python strings and tuples they took 120 MB
    and a second to open): the sorted ids, each id's group (-1: none), and each group's rows
    of ids in turn, ``members[starts[g]:starts[g + 1]]``."""

    ids: np.ndarray
    group_of: np.ndarray
    members: np.ndarray
    starts: np.ndarray

    @classmethod
    def of_lists(cls, groups: Sequence[Sequence[str]]) -> Groups:
        """Groups given as lists of sorted ids, the largest first."""
        import numpy as np

        flat = [str(member) for group in groups for member in group]
        ids = np.array(flat, dtype=str) if flat else np.zeros(0, "U1")
        order = np.argsort(ids, kind="stable")
        rows = np.empty(len(ids), np.int32)
        rows[order] = np.arange(len(ids), dtype=np.int32)
        sizes = [len(group) for group in groups]
        group_of = np.repeat(np.arange(len(groups), dtype=np.int32), sizes)[order]
        return cls(ids[order], group_of, rows, _starts(sizes))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return (self.group(number) for number in range(len(self)))

    def group(self, number: int) -> tuple[str, ...]:
        """Group ``number`` (0 the largest)."""
        rows = self.members[int(self.starts[number]) : int(self.starts[number + 1])]
        return tuple(self.ids[rows].tolist())  # (str: each hit of a search asks)

    def largest(self, limit: int | None = None) -> list[tuple[str, ...]]:
        """The ``limit`` largest groups (all of them when ``None``)."""
        return [self.group(number) for number in range(len(self))[:limit]]

    def of(self, article_id: str) -> tuple[str, ...]:
        """The group of ``article_id`` (empty when it has no near-duplicate)."""
        row = int(self.ids.searchsorted(article_id))
        if row == len(self.ids) or self.ids[row] != article_id or self.group_of[row] < 0:
            return ()
        return self.group(int(self.group_of[row]))

    def others(self, article_id: str) -> tuple[str, ...]:
        """The other articles of the group of ``article_id``."""
        return tuple(member for member in self.of(article_id) if member != article_id)


def _starts(sizes: Sequence[int]) -> np.ndarray:
    import numpy as np

    starts = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=starts[1:])
    return starts


def load(folder: Path) -> Groups:
    """The groups of generation ``folder`` (none when it was built without them, or its files
    do not agree: ``index check`` names the damaged one)."""
    import numpy as np

    header = _header(folder)
    groups = header.get("groups") if header is not None else None
    if isinstance(groups, list):  # (format 1: the groups inside the header)
        return Groups.of_lists([[str(member) for member in group] for group in groups])
    try:

        def array(name: str) -> np.ndarray:
            return np.asarray(np.load(folder / name, mmap_mode="r", allow_pickle=False))

        found = Groups(array(IDS), array(GROUP_OF), array(MEMBERS), array(STARTS))
    except (OSError, ValueError):
        return Groups.of_lists([])
    count, starts = len(found.ids), found.starts
    if (
        not isinstance(groups, int)
        or len(found.group_of) != count
        or len(starts) != groups + 1
        or (count and found.ids.dtype.kind != "U")
        or (len(starts) and (starts[0] != 0 or starts[-1] != len(found.members)))
        or bool((starts[1:] < starts[:-1]).any())
        or not _within(found.members, count)
        or (count and (int(found.group_of.min()) < -1 or int(found.group_of.max()) >= groups))
    ):
        return Groups.of_lists([])
    return found


def _within(values: np.ndarray, end: int) -> bool:
    return not len(values) or (int(values.min()) >= 0 and int(values.max()) < end)


def is_current(folder: Path, generation: str) -> bool:
    """Whether ``folder`` has groups of this format, of these signatures, for ``generation``."""
    header = _header(folder)
    return header is not None and header.get("generation") == generation and _same_kind(header)


def write(
    folder: Path,
    generation: str,
    fresh: Iterable[Compared] | None = None,
    *,
    base: Path | None = None,
    drop: Collection[str] = (),
    computed: Iterable[Signatures] | None = None,
) -> int:
    """Find and write the groups of generation ``folder``; returns how many there are.

    ``computed`` are the signatures of all of its articles, in parts, made as a full build
    wrote them (see :func:`signatures_of`): then no stored article is read back.

    With ``base`` (the generation this one was made from) the signatures of its articles are
    reused, but for the ids ``drop``, and those of the ``fresh`` articles computed; otherwise
    (or when ``base`` has none of this kind) every article's signature is computed from the
    stored articles of ``folder``."""
    import numpy as np

    from ..prepare.shingles import PERMUTATIONS

    reused = _reused(base, drop) if base is not None and fresh is not None else None
    parts = list(computed) if computed is not None and base is None else None
    if parts:
        ids = np.concatenate([part.ids for part in parts])
        days = np.concatenate([part.days for part in parts])
        order = np.argsort(ids, kind="stable")
        # The signatures put straight into id order: at 1M articles each copy is 512 MB.
        place = np.empty(len(order), np.int64)
        place[order] = np.arange(len(order))
        signatures = np.empty((len(ids), PERMUTATIONS), np.uint16)
        done = 0
        for part in parts:
            signatures[place[done : done + len(part.ids)]] = part.signatures
            done += len(part.ids)
        del parts
        return _save(folder, generation, ids[order], signatures, days[order])
    if reused is None:
        from ..engine.whoosh.writer import iter_stored

        stories = (
            Compared(s["id"], s.get("title", ""), s.get("body", ""), s.get("date"))
            for s in iter_stored(folder)
        )
        ids, signatures, days = _signatures(stories)
    else:
        new_ids, new_signatures, new_days = _signatures(fresh or ())
        ids = np.concatenate([reused[0], new_ids]) if len(new_ids) else reused[0]
        signatures = np.concatenate([reused[1], new_signatures])
        days = np.concatenate([reused[2], new_days])
    order = np.argsort(ids, kind="stable")
    ids, days = ids[order], days[order]
    return _save(folder, generation, ids, signatures[order].reshape(-1, PERMUTATIONS), days)


def _save(
    folder: Path, generation: str, ids: np.ndarray, signatures: np.ndarray, days: np.ndarray
) -> int:
    """Find the groups of the articles ``ids`` (sorted) and write them with the signatures."""
    import numpy as np

    groups = find_groups(ids, signatures, days)
    # Hard links to the base's files: never written to.
    for name in (GROUPS, SIGNATURES, IDS, DAYS, GROUP_OF, MEMBERS, STARTS):
        (folder / name).unlink(missing_ok=True)
    np.save(folder / SIGNATURES, signatures, allow_pickle=False)
    np.save(folder / IDS, ids if len(ids) else np.zeros(0, "U1"), allow_pickle=False)
    np.save(folder / DAYS, days, allow_pickle=False)
    rows = np.searchsorted(ids, np.array([m for group in groups for m in group], dtype=str))
    group_of = np.full(len(ids), -1, np.int32)
    group_of[rows] = np.repeat(np.arange(len(groups), dtype=np.int32), [len(g) for g in groups])
    np.save(folder / GROUP_OF, group_of, allow_pickle=False)
    np.save(folder / MEMBERS, rows.astype(np.int32), allow_pickle=False)
    np.save(folder / STARTS, _starts([len(group) for group in groups]), allow_pickle=False)
    header = {**_kind(), "generation": generation, "articles": len(ids), "groups": len(groups)}
    tmp = folder / f".{GROUPS}.tmp"
    tmp.write_text(json.dumps(header, ensure_ascii=False), "utf-8")
    tmp.rename(folder / GROUPS)
    return len(groups)


def find_groups(ids: np.ndarray, signatures: np.ndarray, days: np.ndarray) -> list[list[str]]:
    """The groups of near-duplicate stories among articles ``ids`` (sorted) with these
    signatures and publication days (:data:`UNDATED` for none): sorted ids each, the largest
    groups first, then by their first id.

    Memory beyond the arguments is linear in the articles: no set of the pairs compared is
    kept (at 1M articles with 50 copies of each story it held 2.3 GB). A pair is compared
    again in another band only while its articles are not yet in one group; pairs too far
    apart in time are left out of each bucket at once, never one by one."""
    import numpy as np

    count, width = signatures.shape if signatures.ndim == 2 else (0, 0)
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    day = np.asarray(days, np.int64)
    dated = day != UNDATED
    # An article without words has the all-ones signature: it resembles nothing.
    empty = np.iinfo(signatures.dtype).max
    usable = ~(signatures == empty).all(axis=1) if count else np.zeros(0, bool)
    least = SIMILARITY * width
    rows = width // BANDS if width else 0
    for band in range(BANDS if rows else 0):
        keys = np.zeros(count, np.uint64)
        with np.errstate(over="ignore"):
            for column in range(band * rows, (band + 1) * rows):
                keys = keys * np.uint64(0x100000001B3) + signatures[:, column].astype(np.uint64)
        members = np.flatnonzero(usable)
        members = members[np.argsort(keys[members], kind="stable")]
        sorted_keys = keys[members]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(members)]
        for first, second in _pairs(members, starts, ends):
            near = ~(dated[first] & dated[second]) | (np.abs(day[first] - day[second]) <= MAX_DAYS)
            for i, j in zip(first[near].tolist(), second[near].tolist(), strict=True):
                a, b = root(i), root(j)
                if a != b and np.count_nonzero(signatures[i] == signatures[j]) >= least:
                    parent[max(a, b)] = min(a, b)
    found: dict[int, list[str]] = {}
    for i in range(count):
        found.setdefault(root(i), []).append(str(ids[i]))
    groups = [sorted(group) for group in found.values() if len(group) > 1]
    groups.sort(key=lambda group: (-len(group), group[0]))
    return groups


def _pairs(
    members: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The pairs of articles to compare in one band, a few at a time: in each bucket
    (``members[starts[k]:ends[k]]``, ascending) every pair, or each article with the first of
    a bucket larger than :data:`ALL_PAIRS`."""
    import numpy as np

    sizes = ends - starts
    bucket = np.repeat(np.arange(len(starts)), sizes)
    at = np.arange(len(members))
    # How many articles after it in its bucket each is compared with.
    later = ends[bucket] - at - 1
    later[(sizes[bucket] > ALL_PAIRS) & (at != starts[bucket])] = 0
    total = np.cumsum(later)
    done = 0
    while done < len(members):
        # Up to _PAIRS_AT_ONCE pairs (at least one article's) at a time.
        stop = int(np.searchsorted(total, (total[done - 1] if done else 0) + _PAIRS_AT_ONCE))
        stop = max(stop, done + 1)
        counts = later[done:stop]
        first = np.repeat(members[done:stop], counts)
        offsets = np.repeat(at[done:stop] + 1 - (np.cumsum(counts) - counts), counts)
        second = members[np.arange(len(first)) + offsets]
        yield first, second
        done = stop


def signatures_of(stories: Iterable[Compared]) -> Signatures:
    """The signatures of ``stories`` (what :func:`write` computes of the stored articles)."""
    return Signatures(*_signatures(stories))


def compared(doc: Mapping[str, Any]) -> Compared:
    """What a document given to Whoosh is compared on, as its stored fields read back give
    it (a field without a value is not stored)."""
    return Compared(doc["id"], doc.get("title") or "", doc.get("body") or "", doc.get("date"))


def _signatures(stories: Iterable[Compared]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    from ..prepare.shingles import PERMUTATIONS, signature

    ids: list[str] = []
    days: list[int] = []
    # Filled a block at a time: a list of one small array per article would take twice the room.
    blocks = [np.empty((_BLOCK, PERMUTATIONS), np.uint16)]
    for story in stories:
        if len(ids) == _BLOCK * len(blocks):
            blocks.append(np.empty((_BLOCK, PERMUTATIONS), np.uint16))
        blocks[-1][len(ids) % _BLOCK] = signature(story.title, story.text)
        ids.append(story.id)
        days.append(_day(story.date))
    signatures = np.concatenate(blocks)[: len(ids)]
    return (
        np.array(ids, dtype=str) if ids else np.zeros(0, "U1"),
        signatures,
        np.array(days, np.int32),
    )


def _day(date: str | None) -> int:
    try:
        return dt.date.fromisoformat(date).toordinal() if date else UNDATED
    except ValueError:
        return UNDATED


def _reused(base: Path, drop: Collection[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The ids and signatures of generation ``base`` but ``drop``, or ``None`` when it has
    none of this kind (or they are unreadable)."""
    import numpy as np

    from ..prepare.shingles import PERMUTATIONS

    header = _header(base)
    if header is None or not _same_signatures(header):
        return None
    try:
        ids = np.load(base / IDS, allow_pickle=False)
        signatures = np.load(base / SIGNATURES, allow_pickle=False)
        days = np.load(base / DAYS, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if (
        signatures.shape != (len(ids), PERMUTATIONS)
        or signatures.dtype not in (np.uint16, np.uint32)
        or days.shape != ids.shape
        or len(ids) != header.get("articles")
    ):
        return None
    # Version 1's 32-bit values: their low halves are this version's signatures.
    signatures = signatures.astype(np.uint16, copy=False)
    keep = ~np.isin(ids, np.array(sorted(drop), dtype=str)) if drop else np.ones(len(ids), bool)
    return ids[keep], signatures[keep], days[keep]


def _kind() -> dict[str, Any]:
    from ..prepare.shingles import PERMUTATIONS, SHINGLE, VERSION

    return {
        "format": FORMAT,
        "signature": VERSION,
        "shingle": SHINGLE,
        "permutations": PERMUTATIONS,
        "bands": BANDS,
        "similarity": SIMILARITY,
        "max_days": MAX_DAYS,
    }


def _same_kind(header: Mapping[str, Any]) -> bool:
    return all(header.get(key) == value for key, value in _kind().items())


def _same_signatures(header: Mapping[str, Any]) -> bool:
    """Whether the signatures kept with ``header`` give those this searchlib makes (whatever
    the format its groups are kept in; version 1's by their low 16 bits)."""
    kind = _kind()
    return header.get("signature") in (1, kind["signature"]) and all(
        header.get(key) == kind[key] for key in ("shingle", "permutations")
    )


def _header(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / GROUPS).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
