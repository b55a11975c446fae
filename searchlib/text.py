"""Text: accent folding, word spans, the stop list and stemming, shared by every stage.

The index's terms are NLTK's Snowball English stems of folded, lower-case words (no NLTK data
packages needed); snippets, spelling and feedback use the same functions, so they agree with
the index."""

from __future__ import annotations

import importlib.util
import pkgutil
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

import regex

# ---------------------------------------------------------------------------------------------
# Terms

# Characters that do not decompose under NFKD but have an obvious ASCII reading.
_FOLD = str.maketrans(
    {
        "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th",
        "ı": "i", "’": "'", "‘": "'", "ʼ": "'",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Fold accents and ligatures to ASCII where a reader would ("Ángel" → "Angel")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Acronyms with dots ("U.S."), numbers with separators ("2,000", "3.5"), and words that may
# hold hyphens or apostrophes ("Kassym-Jomart", "Qazinform's").
_WORD_PATTERN = r"(?:[^\W\d_]\.){2,}|\d+(?:[.,]\d+)+|\w+(?:[-‐‑'’ʼ]\w+)*"
_HYPHENS = re.compile(r"[-‐‑]")
# Compiled with `regex` (Unicode's \w: no "½" or "²" words) as NLTK's RegexpTokenizer does, but
# without the per-match timeout it now adds to guard against hostile caller-supplied patterns,
# which made tokenizing 3x slower. This pattern is ours and linear; the spans are the same.
_TOKENS = regex.compile(_WORD_PATTERN)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The stop list kept in the project (``searchlib/data/stopwords.txt``)."""
    # (pkgutil: importlib.resources imports zipfile and more, which a search needs nowhere else.)
    data = pkgutil.get_data("searchlib", "data/stopwords.txt")
    if data is None:
        raise FileNotFoundError("searchlib/data/stopwords.txt")
    text = data.decode("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _english_snowball() -> Callable[[str], str]:
    """NLTK's Snowball English stemmer, without NLTK's package import when it is not loaded yet.

    ``import nltk`` imports most of NLTK, and SciPy when it is installed: over a second, where
    the stemmer's own modules take milliseconds. When NLTK is not imported yet, its ``nltk``,
    ``nltk.stem`` and ``nltk.corpus`` packages are stood in for by empty package modules while
    the stemmer's modules load (they need nothing else from them: the stop words of
    ``nltk.corpus`` are used only with ``ignore_stopwords``), then taken away again, so a later
    ``import nltk`` by anyone runs NLTK's own package code and finds the same stemmer module.
    """
    if "nltk" in sys.modules:
        from nltk.stem.snowball import SnowballStemmer
    else:
        stood_in = []
        try:
            for name in ("nltk", "nltk.stem", "nltk.corpus"):
                spec = importlib.util.find_spec(name)
                if spec is None or spec.submodule_search_locations is None:
                    raise ImportError(f"{name} is not installed")
                package = types.ModuleType(name)
                package.__path__ = list(spec.submodule_search_locations)
                package.__spec__ = spec
                sys.modules[name] = package
                stood_in.append(name)
            # What the stemmer module imports of nltk.corpus: used with ignore_stopwords only.
            sys.modules["nltk.corpus"].stopwords = None  # type: ignore[attr-defined]
            from nltk.stem.snowball import SnowballStemmer
        finally:
            for name in stood_in:
                sys.modules.pop(name, None)
    return SnowballStemmer("english").stem


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    with _loading:  # the stand-in packages of _english_snowball are the whole process's
        return _english_snowball()


# Snippets stem every word of every hit shown; Snowball is slow and words repeat a lot.
@lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """NLTK's Snowball English stem of a folded, lower-case word; numbers stay as they are."""
    return word if word[:1].isdigit() else _stemmer()(word)


def _normalize(surface: str) -> str:
    word = fold(surface).lower()
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "").replace(".", "") if ("'" in word or "." in word) else word


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(normalized word, start, end)`` for each word of ``text``.

    Hyphenated words yield each part, so "Kassym-Jomart" is found by "Kassym", by "Jomart" and,
    as a phrase of its parts, by "Kassym-Jomart". Offsets point into the original text, which is
    what snippets highlight.
    """
    for match in _TOKENS.finditer(text):
        surface = match.group()
        start, end = match.span()
        if surface.isalnum() and surface.isascii():  # most words: nothing to fold or split
            yield surface.lower(), start, end
            continue
        if _HYPHENS.search(surface) is None or surface[0].isdigit():
            word = _normalize(surface)
            if word:
                yield word, start, end
            continue
        offset = start
        for part in _HYPHENS.split(surface):
            word = _normalize(part)
            if word:
                yield word, offset, offset + len(part)
            offset += len(part) + 1


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order: what a query or a document is matched on.

    The same terms as :func:`news_analyzer` gives, without Whoosh's token objects (feedback
    analyses the top articles of every search).
    """
    return [term for token in _TOKENS.findall(text) for term in _token_terms(token)]


# Words repeat: each distinct token is normalised, split, checked and stemmed once.
@lru_cache(maxsize=1 << 17)
def _token_terms(token: str) -> tuple[str, ...]:
    stops = stopwords()
    return tuple(stem(word) for word, _, _ in word_spans(token) if word not in stops)
