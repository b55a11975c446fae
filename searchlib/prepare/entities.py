"""Entities: one canonical name per real-world person, organisation and place.

Two stages, both pure so that they can run in worker processes and be rebuilt at any time:

* :func:`article_entities` turns the mentions the tagger found in one article into names:
  honorifics and job titles are dropped ("President Kassym-Jomart Tokayev" → "Kassym-Jomart
  Tokayev"), a surname alone is the full name it abbreviates in the same article, an acronym
  defined as "Muslim World League (MWL)" is the League, and places take GeoNames' canonical name
  through its alternate names ("NUR-SULTAN" → "Astana"). It also returns the aliases it saw.
* :func:`join_names` joins the names of a whole index into its entity table
  (:class:`~searchlib.prepare.canonical.EntityTable`): spelling variants ("Ashimbaev",
  "Ashimbayev") and wording variants ("Congress of the Leaders of World & Traditional Religions")
  become one value, the most frequent form; aliases seen in one article serve all; and the user's
  own aliases (``indexes/NAME.aliases.toml``) come first. The table is saved as JSON beside the
  index, and facets and filters go through it.

The rules are general: nothing here knows any particular article.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from ..fields import ENTITY_FIELDS as KINDS
from .mentions import GENERIC, clean_name, named_mentions, only_titles, shouted
from .places import canonical_place, consonants, find_place, key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .ner import Mention

# Words that do not tell organisation names apart ("the Congress of Leaders" = "Congress of
# the Leaders").
_ORG_NOISE = frozenset({"the", "of", "and", "&", "for", "in", "on", "at", "a", "an"})
# Words that end a company's name without telling companies apart ("Texaco Inc" = "Texaco").
_COMPANY_SUFFIXES = frozenset(
    {"inc", "corp", "corporation", "co", "ltd", "plc", "llc", "limited", "ag", "sa", "nv", "bv"}
)
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&.]{1,11})\s*\)")


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
    mentions = list(mentions)
    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    aliases: list[tuple[str, str, str]] = []
    for named in named_mentions(text, mentions):
        names[named.kind].append(named.name)
    # "Muslim World League (MWL)": the acronym stands for the name before it, whatever the
    # tagger took that name for.
    org_keys = {key(name) for name in names["org"]}
    for mention in mentions:
        acronym = _ACRONYM_AFTER.match(text, mention.end)
        if not acronym or mention.type == "PER":
            continue
        name = clean_name("org", mention.text)
        if _is_acronym_of(acronym[1], name) and (
            mention.type == "ORG" or key(acronym[1]) in org_keys
        ):
            aliases.append(("org", acronym[1], name))
            if mention.type != "ORG":
                names["org"].append(name)
    if dateline_place:
        names["place"].insert(0, clean_name("place", dateline_place))
    _one_kind_each(names)

    people = _expand_surnames(names["person"], aliases)
    defined = {key(alias): full for kind, alias, full in aliases if kind == "org"}
    full_names = sorted({p for p in people if len(p.split()) > 1}, key=len, reverse=True)
    orgs = [defined.get(key(name), name) for name in _without_people(names["org"], full_names)]
    orgs = _expand_short_orgs(orgs, aliases)
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


def _one_kind_each(names: dict[str, list[str]]) -> None:
    """A name the tagger gave several kinds in one article ("Arsenal" as a club and a place)
    has one: a place if it names a country, a state or a continent, else the kind most of its
    mentions have (an organisation before a place before a person)."""
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, listed in names.items():
        for name in listed:
            kinds[key(name)][kind] += 1
    order = {"org": 2, "place": 1, "person": 0}
    for name_key, found in kinds.items():
        if len(found) < 2:
            continue
        place = find_place(name_key)
        if place is not None and place[1] in "ASL":
            keep = "place"
        else:
            keep = max(found, key=lambda k: (found[k], order[k]))
        for kind in set(found) - {keep}:
            names[kind] = [n for n in names[kind] if key(n) != name_key]


def _without_people(names: list[str], people: list[str]) -> list[str]:
    """Cut a person's name off the end of an organisation or place the tagger ran on into
    ("UN Alliance of Civilizations Miguel Ángel Moratinos" → "UN Alliance of Civilizations"),
    and leave out one that is only a person's name."""
    people_keys = {key(p) for p in people}
    kept = []
    for name in names:
        if key(name) in people_keys:
            continue
        for person in people:
            if name.endswith(" " + person):
                name = name[: -len(person) - 1].strip(" ,")
                break
        if name and not only_titles(name, "org"):
            kept.append(name)
    return kept


def _expand_short_orgs(orgs: list[str], aliases: list[tuple[str, str, str]]) -> list[str]:
    """A one-word organisation is the longer one of the same article that it starts or ends
    ("Congress" of Congress of Leaders of World and Traditional Religions, "League" of Muslim
    World League), if there is one such; a generic word that is not is left out."""
    longer = [o for o in dict.fromkeys(orgs) if len(o.split()) > 1]
    expanded = []
    for name in orgs:
        if len(name.split()) == 1 and not name.isupper():
            word = key(name)
            fits = {o for o in longer if word in (key(o).split()[0], key(o).split()[-1])}
            if len(fits) == 1:
                full = fits.pop()
                aliases.append(("org", name, full))
                name = full
            elif word in GENERIC:
                continue
        expanded.append(name)
    return expanded


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
    """A name alone is the full name in the same article whose last word it is (or else whose
    first word: "Serena"), if there is one such name; if there are several ("Williams" beside
    Serena and Venus Williams), it is one of them, already listed, and is left out."""
    full_names = {name for name in people if len(name.split()) > 1}
    by_last: dict[str, set[str]] = defaultdict(set)
    by_first: dict[str, set[str]] = defaultdict(set)
    for name in full_names:
        words = key(name).split()
        by_last[words[-1]].add(name)
        by_first[words[0]].add(name)
    expanded = []
    for name in people:
        if len(name.split()) == 1:
            fits = by_last.get(key(name)) or by_first.get(key(name)) or set()
            if len(fits) > 1:
                continue
            if fits:
                full = next(iter(fits))
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
# A whole index


class _Groups:
    """Union-find over names, where a name the user listed belongs to that user's entry only:
    a join that would put two entries' names together is refused (that is how an aliases file
    splits what searchlib would join)."""

    def __init__(self, names: Iterable[str], claims: Mapping[str, str]) -> None:
        self.parent: dict[str, str] = {}
        self.claim: dict[str, str | None] = {}
        self.claims = claims
        for name in names:
            self.find(name)

    def find(self, name: str) -> str:
        if name not in self.parent:
            self.parent[name] = name
            self.claim[name] = self.claims.get(key(name))
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ca, cb = self.claim[ra], self.claim[rb]
        if ca is not None and cb is not None and ca != cb:
            return False
        self.parent[ra] = rb
        self.claim[rb] = cb if cb is not None else ca
        return True


def join_names(
    kind: str, counts: dict[str, int], pairs: list[tuple[str, str]], user: dict[str, list[str]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """One kind's names joined: ``(raw name -> canonical, canonical -> other names)``."""
    user_keys = {key(a): canonical for canonical, others in user.items() for a in others}
    user_keys.update({key(canonical): canonical for canonical in user})
    groups = _Groups(counts, user_keys)

    # Names with the same comparison form; for organisations without filler words.
    by_form: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        by_form[_form(kind, name)].append(name)
    for group in by_form.values():
        for other in group[1:]:
            groups.union(other, group[0])
    # The user's own names join their entry.
    for canonical, listed in user.items():
        for alias in listed:
            groups.union(alias, canonical)
    if kind == "person":
        # A name alone that an article took for a full one ("Williams" for Serena Williams
        # there) is no evidence across the archive: it joins like any name alone, below.
        lone = [alias for alias, _ in pairs if len(alias.split()) == 1]
        _join_people(counts, lone, groups)
    else:
        _join_short_forms(counts, pairs, groups)

    members_of: dict[str, list[str]] = defaultdict(list)
    for name in list(groups.parent):
        members_of[groups.find(name)].append(name)
    names: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    for root, members in members_of.items():
        stored = [m for m in members if m in counts]
        if not stored:
            continue
        chosen = groups.claim[root] or max(
            sorted(stored), key=lambda m: _preference(kind, m, counts[m])
        )
        for member in stored:
            names[member] = chosen
        others = {m for m in members if m != chosen} | set(user.get(chosen, ()))
        aliases[chosen] = sorted(others - {chosen})
    for canonical, listed in user.items():
        aliases.setdefault(canonical, sorted(set(listed)))
    return names, aliases


def _join_short_forms(
    counts: dict[str, int], pairs: list[tuple[str, str]], groups: _Groups
) -> None:
    """Join what articles defined: an acronym ("MWL") always; a short form ("Congress",
    "United") only where it means one name across the archive and is no name of its own there
    ("United" is Manchester United in one article and Dundee United in another)."""
    short: dict[str, set[str]] = defaultdict(set)
    for alias, name in pairs:
        if alias.isupper() or "." in alias:
            groups.union(alias, name)
        else:
            short[alias].add(name)
    for alias, names in short.items():
        if alias not in counts and len({groups.find(n) for n in names}) == 1:
            groups.union(alias, next(iter(names)))


def _preference(kind: str, name: str, count: int) -> tuple[bool, bool, int, int, int]:
    """How good a canonical name ``name`` is: properly cased before shouted ("Lawson" before
    "LAWSON"), a full name before a name alone or an acronym, then the most frequent, the
    longest."""
    words = name.split()
    full = len(words) > 1 if kind == "person" else not (len(words) == 1 and name.isupper())
    return (not shouted(name), full, count, len(words), len(name))


def _form(kind: str, name: str) -> str:
    words = key(name).split()
    if kind == "org":
        words = [w for w in words if w not in _ORG_NOISE]
        while len(words) > 1 and words[-1] in _COMPANY_SUFFIXES:
            words.pop()  # "Texaco Inc" is Texaco
    return " ".join(words)


def _join_people(counts: dict[str, int], lone: list[str], groups: _Groups) -> None:
    names = sorted(counts)
    # Spellings of one name ("Ashimbaev", "Ashimbayev"; "Mohamed", "Mohammed"): full names
    # whose words have the same consonants in the same order. A name alone is left to the
    # rule below, and so are names a consonant apart ("Johnson", "Johnston": two people).
    words = {name: key(name).split() for name in names}
    buckets: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name in names:
        if len(words[name]) > 1:
            buckets[tuple(consonants(word) for word in words[name])].append(name)
    for bucket in buckets.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                if _variant_words(words[a], words[b]):
                    groups.union(b, a)
    # A surname (or else a first name) alone joins the one person of the archive it can be;
    # where it could be several ("Williams": Serena, Venus, Rowan), it joins none.
    full = [n for n in names if len(n.split()) > 1]
    by_last: dict[str, list[str]] = defaultdict(list)
    by_first: dict[str, list[str]] = defaultdict(list)
    for name in full:
        by_last[words[name][-1]].append(name)
        by_first[words[name][0]].append(name)
    for name in sorted({*(n for n in names if len(n.split()) == 1), *lone}):
        wanted = key(name)
        fits = by_last.get(wanted) or by_first.get(wanted) or []
        people = {groups.find(f) for f in fits}
        if len(people) == 1:
            groups.union(name, fits[0])


def spelling_variants(a: str, b: str) -> bool:
    """Whether two names are spellings of one ("Ashimbaev", "Ashimbayev")."""
    return _variant_words(key(a).split(), key(b).split())


def _variant_words(words_a: list[str], words_b: list[str]) -> bool:
    if len(words_a) != len(words_b):
        return False
    close = 0
    for x, y in zip(words_a, words_b, strict=True):
        if x == y:
            continue
        if min(len(x), len(y)) < 6 or consonants(x) != consonants(y):
            return False
        if SequenceMatcher(None, x, y).ratio() < 0.8:
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
    from .places import main

    main()
