"""Spelling index: the vocabulary's deletions, built with each generation, for did-you-mean.

A build writes ``spelling-*`` files beside the sidecar: the index's words (the alphabetic words
of title and body as articles write them) with the number of articles that hold each one's stem,
and a symmetric-deletion table (SymSpell's idea): every string made by deleting up to
:data:`MAX_EDITS` letters from the first :data:`PREFIX` letters of each word, hashed, sorted,
with the word it came from. A typed word's own deletions then find every indexed word within
two edits by binary searches, so a suggestion costs the same few milliseconds whatever the word
or the size of the vocabulary. Plain ``.npy`` files (never pickled) and a JSON header written
last; a generation without a current one simply suggests nothing.
"""

from __future__ import annotations

import itertools
import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..fields import SEARCH_FIELDS
from ..text import stem
from .facets import distinct
from .sidecar import files as impacts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

SPELLING = "spelling-"
HEADER = f"{SPELLING}header.json"
FORMAT = 2  # 2: words as UTF-8 bytes, word numbers in the smallest type
#: Deletions are made of each word's first letters only: enough to tell words apart, and
#: a bounded number of them per word (at most 29).
PREFIX = 7
MAX_EDITS = 2
#: Longer terms are never suggested (nor looked up).
MAX_WORD = 40
#: Candidates checked for one word at most (short words have many neighbours).
MAX_CANDIDATES = 2000


def _deletions(word: str) -> set[str]:
    """``word``'s first :data:`PREFIX` letters with up to :data:`MAX_EDITS` of them deleted."""
    start = word[:PREFIX]
    found = {start}
    n = len(start)
    # The order of itertools.combinations (a set's order follows its insertions); slices for
    # one and two letters, each of a build's words' 29 deletions made at C speed.
    for edits in range(1, min(MAX_EDITS, n) + 1):
        if edits == 1:
            found.update(start[:i] + start[i + 1 :] for i in range(n))
        elif edits == 2:
            found.update(
                start[:i] + start[i + 1 : j] + start[j + 1 :]
                for i in range(n)
                for j in range(i + 1, n)
            )
        else:
            for gone in itertools.combinations(range(n), edits):
                found.add("".join(c for i, c in enumerate(start) if i not in gone))
    return found


def _terms_at(words: list[str], terms: np.ndarray) -> list[tuple[str, int]]:
    """Each of ``words`` whose stem is one of the sorted ``terms`` (the sidecar's, UTF-8
    bytes), with where: one binary search of them all. A stem longer than the terms' width
    is none of them (numpy would cut it to the width)."""
    stems = [stem(word).encode("utf-8") for word in words]
    fits = [n for n, term in enumerate(stems) if len(term) <= terms.itemsize]
    if not fits or not len(terms):
        return []
    wanted = np.array([stems[n] for n in fits], terms.dtype)
    at = np.searchsorted(terms, wanted)
    found = (at < len(terms)) & (terms[np.minimum(at, len(terms) - 1)] == wanted)
    return [(words[fits[n]], int(at[n])) for n in np.flatnonzero(found)]


def _key(text: str) -> int:
    # A stable hash (Python's own changes between processes); collisions only add candidates,
    # which are all checked.
    return zlib.crc32(text.encode("utf-8"))


def write(folder: Path, generation: str) -> None:
    """Write the spelling index of generation folder ``folder``: the words as articles write
    them (each segment's, saved beside it by :func:`save_segment_words`), each with the number
    of articles that hold its stem (from the sidecar)."""
    surfaces = {
        word for word in _generation_words(folder) if 2 <= len(word) <= MAX_WORD and word.isalpha()
    }
    terms = np.load(folder / f"{impacts.PREFIX}words.npy", allow_pickle=False)
    frequencies = np.diff(np.load(folder / f"{impacts.PREFIX}indptr.npy", allow_pickle=False))
    kept = [(word, int(frequencies[at])) for word, at in _terms_at(sorted(surfaces), terms)]
    words = [word for word, _ in kept]
    keys: list[int] = []
    ids: list[int] = []
    for number, word in enumerate(words):
        found = [_key(deleted) for deleted in _deletions(word)]
        keys.extend(found)
        ids.extend([number] * len(found))
    order = np.argsort(np.array(keys, np.uint32), kind="stable")
    arrays = {
        # UTF-8 bytes (sorted as the words are), not numpy's four bytes a character.
        "words": np.array([w.encode("utf-8") for w in words], "S"),
        "df": np.array([df for _, df in kept], np.int32),
        "keys": np.array(keys, np.uint32)[order],
        "ids": np.array(ids, np.min_scalar_type(max(len(words) - 1, 0)))[order],
    }
    for old in folder.glob(f"{SPELLING}*"):
        old.unlink()
    for name, array in arrays.items():
        np.save(folder / f"{SPELLING}{name}.npy", array, allow_pickle=False)
    header = {"format": FORMAT, "generation": generation, "words": len(words), "prefix": PREFIX}
    tmp = folder / f".{HEADER}.tmp"
    tmp.write_text(json.dumps(header), "utf-8")
    tmp.rename(folder / HEADER)  # last: a spelling index without a header is incomplete


#: Each segment's words as its articles write them (title and body, unstemmed, no stop
#: words), sorted, one a line, zlib-compressed: ``segwords-SEGMENT.txt.z``.
SEGMENT_WORDS = "segwords-"


def save_segment_words(folder: Path, segment_id: str, words: Iterable[str]) -> None:
    """Keep the words of a segment just written beside it (linked into later generations
    with it, as its files are)."""
    data = zlib.compress("\n".join(sorted(set(words))).encode("utf-8"), 6)
    tmp = folder / f".{SEGMENT_WORDS}{segment_id}.tmp"
    tmp.write_bytes(data)
    tmp.rename(folder / f"{SEGMENT_WORDS}{segment_id}.txt.z")


def _generation_words(folder: Path) -> set[str]:
    """The words of every segment of a generation: from the files beside the segments, or
    read back from a segment without one (an index written before them kept its words in
    Whoosh's spelling fields; otherwise the stored text is analysed again)."""
    from whoosh import index as whoosh_index
    from whoosh.reading import SegmentReader

    from .whoosh.schema import analyze_text

    store = whoosh_index.open_dir(str(folder))
    segments = store._segments()
    live = {f"{SEGMENT_WORDS}{segment.segment_id()}.txt.z" for segment in segments}
    for path in folder.glob(f"{SEGMENT_WORDS}*"):
        if path.name not in live:
            path.unlink()  # of a segment merged away (linked from the last generation)
    words: set[str] = set()
    for segment in segments:
        path = folder / f"{SEGMENT_WORDS}{segment.segment_id()}.txt.z"
        if path.is_file():
            text = zlib.decompress(path.read_bytes()).decode("utf-8")
            words.update(text.split("\n") if text else ())
            continue
        reader = SegmentReader(store.storage, store.schema, segment)
        try:
            for name in SEARCH_FIELDS:
                if f"spell_{name}" in store.schema:
                    words.update(t.decode("utf-8") for t in reader.lexicon(f"spell_{name}"))
                else:
                    for _, stored in reader.iter_docs():
                        if stored.get(name):
                            words.update(analyze_text(store.schema[name], stored[name]).spelling)
        finally:
            reader.close()
    return words


def _header(folder: Path) -> dict[str, object] | None:
    return impacts.read_header(folder / HEADER)


def is_current(folder: Path, generation: str) -> bool:
    """Whether ``folder`` has a spelling index of this format for ``generation``."""
    header = _header(folder)
    return (
        header is not None
        and header.get("format") == FORMAT
        and header.get("generation") == generation
        and header.get("prefix") == PREFIX
    )


@dataclass(frozen=True)
class Candidate:
    """An indexed word close to a typed one: the word as written, the number of articles
    that hold its stem, and its edit distance."""

    word: str
    df: int
    distance: int


@dataclass(frozen=True)
class Speller:
    """A loaded spelling index (arrays memory-mapped, read-only)."""

    words: np.ndarray
    df: np.ndarray
    keys: np.ndarray
    ids: np.ndarray

    @classmethod
    def load(cls, folder: Path, generation: str) -> Speller | None:
        """The spelling index of ``folder``, or ``None`` when it is missing or not current."""
        if not is_current(folder, generation):
            return None
        try:
            arrays = {
                name: np.asarray(
                    np.load(folder / f"{SPELLING}{name}.npy", mmap_mode="r", allow_pickle=False)
                )
                for name in ("words", "df", "keys", "ids")
            }
        except (OSError, ValueError):
            return None
        speller = cls(**arrays)
        if len(speller.words) != len(speller.df) or len(speller.keys) != len(speller.ids):
            return None
        return speller

    def frequency(self, word: str) -> int:
        """How many articles hold the stem of ``word`` (0 for a word not in this index)."""
        if not 0 < len(word) <= MAX_WORD:  # (also keeps numpy from widening the words)
            return 0
        key = word.encode("utf-8")
        at = int(np.searchsorted(self.words, key))
        return int(self.df[at]) if at < len(self.words) and self.words[at] == key else 0

    def candidates(self, typed: Iterable[str], edits: int) -> list[Candidate]:
        """The indexed words within ``edits`` edits (Damerau-Levenshtein, adjacent swaps
        counting one) of any of the ``typed`` forms of a word, closest and most frequent
        first; the typed forms themselves are left out."""
        forms = {form for form in typed if 0 < len(form) <= MAX_WORD}
        if not forms:
            return []
        keys = np.array(sorted({_key(d) for form in forms for d in _deletions(form)}), np.uint32)
        starts = np.searchsorted(self.keys, keys, "left")
        stops = np.searchsorted(self.keys, keys, "right")
        numbers = distinct(
            np.sort(np.concatenate([self.ids[lo:hi] for lo, hi in zip(starts, stops, strict=True)]))
        )[:MAX_CANDIDATES]
        best: dict[str, Candidate] = {}
        for written, df in zip(
            self.words[numbers].tolist(), self.df[numbers].tolist(), strict=True
        ):
            word = written.decode("utf-8")
            if word in forms:
                continue
            edited = min(distance(form, word, edits) for form in forms)
            if edited <= edits:
                best[word] = Candidate(word, df, edited)
        return sorted(best.values(), key=lambda c: (c.distance, -c.df, c.word))


def distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment distance of ``a`` and ``b`` (``limit + 1`` when over)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit and min(previous) > limit:  # (a swap reaches two rows back)
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def together(
    docs_of: Callable[[str], np.ndarray], words: list[str], others: list[str], n: int
) -> tuple[list[int], int]:
    """For each of ``words``, how many articles hold it and any of ``others``; and how many
    hold any of ``others``. ``docs_of(term)`` gives the articles that hold a term."""
    context = np.zeros(n, bool)
    for other in others:
        context[docs_of(other)] = True
    return [int(context[docs_of(word)].sum()) for word in words], int(context.sum())
