"""Shingles: an article's MinHash signature over its word shingles, to find near-duplicates.

Two articles whose sets of :data:`SHINGLE`-word shingles overlap much (Jaccard similarity) are
the same story: a wire story sent twice, a correction, an update. A MinHash signature keeps,
for each of :data:`PERMUTATIONS` hash functions, the least hash of the article's shingles; the
share of positions where two signatures agree estimates their Jaccard similarity. Everything
is fixed here (no random state, no ``hash()``, which Python salts per process), so the same
text gives the same signature in any process, on any machine.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from ..text import fold

#: Words per shingle: five keep templated short items (earnings, dividends) apart, since a
#: different number or company name breaks five shingles.
SHINGLE = 5
#: Hash functions per signature: the similarity estimate's standard error is at most 0.045.
PERMUTATIONS = 128
#: Bumped whenever a signature of the same text would come out differently. Version 1 kept
#: the whole 32-bit values: their low halves are version 2's signatures.
VERSION = 2
#: Every value of the signature of an article without words.
EMPTY = 0xFFFF

_WORD = re.compile(r"\w+")
_MASK = (1 << 64) - 1
_CHUNK = 4096


def _splitmix(state: int) -> int:
    """The next value of SplitMix64 (a fixed, portable source of the hash constants)."""
    z = (state + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _constants(count: int, seed: int) -> np.ndarray:
    values, state = [], seed
    for _ in range(count):
        state = _splitmix(state)
        values.append(state)
    return np.array(values, dtype=np.uint64)


# Multiply-shift hashing: h(x) = (a·x + b mod 2^64) >> 32, with odd a.
_A = _constants(PERMUTATIONS, 1) | np.uint64(1)
_B = _constants(PERMUTATIONS, 2)
# Each word's place in a shingle has its own odd multiplier, so "a b c" and "c b a" differ.
_PLACES = _constants(SHINGLE, 3) | np.uint64(1)


def words(title: str, text: str) -> list[str]:
    """The words an article is compared on: its title and text, folded to lower case ASCII."""
    return _WORD.findall(fold(f"{title}\n{text}").lower())


def shingle_hashes(tokens: list[str]) -> np.ndarray:
    """The distinct 64-bit hashes of the shingles of ``tokens`` (one shingle of all of them
    when there are fewer than :data:`SHINGLE`)."""
    if not tokens:
        return np.zeros(0, np.uint64)
    hashed = np.array([zlib.crc32(token.encode("utf-8")) for token in tokens], np.uint64)
    width = min(SHINGLE, len(hashed))
    count = len(hashed) - width + 1
    combined = np.zeros(count, np.uint64)
    with np.errstate(over="ignore"):  # wrapping modulo 2^64 is the hash
        for place in range(width):
            combined = combined * np.uint64(31) + hashed[place : place + count] * _PLACES[place]
    return np.unique(combined)


def signature(title: str, text: str) -> np.ndarray:
    """The article's MinHash signature: :data:`PERMUTATIONS` unsigned 16-bit values (all
    ones for an article without words, which then resembles no other).

    Each value is the low half of the least 32-bit hash (b-bit minwise hashing): two unequal
    minima agree by chance once in 65,536, which moves a similarity estimate by less than
    0.00002, and the kept signatures take half the room (256 MB at a million articles)."""
    shingles = shingle_hashes(words(title, text))
    if not len(shingles):
        return np.full(PERMUTATIONS, EMPTY, np.uint16)
    least = np.full(PERMUTATIONS, 0xFFFFFFFF, np.uint64)
    # In chunks, so that a long text needs a bounded matrix (128 × 4,096 values at most).
    for start in range(0, len(shingles), _CHUNK):
        chunk = shingles[start : start + _CHUNK]
        with np.errstate(over="ignore"):
            mixed = _A[:, None] * chunk[None, :] + _B[:, None]
        least = np.minimum(least, (mixed >> np.uint64(32)).min(axis=1))
    return least.astype(np.uint16)  # (the low 16 bits)
