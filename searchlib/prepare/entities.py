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
from .cues import HEAD_NOUNS, SOVEREIGNS
from .mentions import (
    BODIES,
    COMPANY_SUFFIXES,
    GENERIC,
    clean_name,
    named_mentions,
    only_titles,
    shouted,
)
from .places import canonical_place, consonants, country_of_adjective, find_place, key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .ner import Mention

# Words that do not tell organisation names apart ("the Congress of Leaders" = "Congress of
# the Leaders").
_ORG_NOISE = frozenset({"the", "of", "and", "&", "for", "in", "on", "at", "a", "an"})
# Words that end a company's name without telling companies apart ("Texaco Inc" = "Texaco").
_COMPANY_SUFFIXES = COMPANY_SUFFIXES
_STATES = frozenset({"republic", "kingdom", "state", "emirate", "sultanate", "principality"})
# How many times more articles an acronym may be in than the one name whose initials it is.
_ACRONYM_RARER = 5
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

    ``dateline_place`` is the dateline a news header opened with ("NUR-SULTAN (KAZINFORM)"):
    the article was filed there, by that agency, so both count as its place and organisation.
    """
    mentions = list(mentions)
    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    aliases: list[tuple[str, str, str]] = []
    said: dict[str, str] = {}  # the kind the text itself gives a name ("water firm ...")
    for named in named_mentions(text, mentions):
        names[named.kind].append(named.name)
        if named.sure:
            said[key(named.name)] = named.kind
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
        place, _, agency = dateline_place.partition(" (")
        names["place"].insert(0, clean_name("place", place))
        agency = clean_name("org", agency.rstrip(")"))
        if agency:
            # "NUR-SULTAN (KAZINFORM)": the agency that filed it is one of its organisations.
            names["org"].append(agency.title() if shouted(agency) else agency)
    _one_kind_each(names, said)

    people = _expand_surnames(names["person"], aliases)
    defined = {key(alias): full for kind, alias, full in aliases if kind == "org"}
    full_names = sorted({p for p in people if len(p.split()) > 1}, key=len, reverse=True)
    orgs = [defined.get(key(name), name) for name in _without_people(names["org"], full_names)]
    # "Congress" beside "VII Congress of the Leaders of World and Traditional Religions", which
    # the tagger took for an event: the full name it is short for.
    spelled_out = [
        name
        for m in mentions
        if m.type == "MISC" and len((name := clean_name("org", m.text)).split()) > 2
    ]
    orgs = _expand_short_orgs(orgs, aliases, spelled_out)
    orgs = _join_prefixed(orgs, aliases)
    orgs = _without_parts(_expand_heads(orgs, aliases), aliases)
    # "Dicastery" (a person to the tagger) beside the Dicastery for Interreligious Dialogue.
    org_starts = {key(o).split()[0] for o in orgs if " " in o}
    people = [p for p in people if " " in p or key(p) not in org_starts]
    places = _join_place_parts(_without_people(names["place"], full_names), orgs, aliases)
    places = [canonical_place(name) for name in places]
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


def _one_kind_each(names: dict[str, list[str]], said: Mapping[str, str] | None = None) -> None:
    """A name the tagger gave several kinds in one article ("Arsenal" as a club and a place)
    has one: a place if it names a country, a state or a continent, else the kind the text
    says it is somewhere ("water firm Aguas Argentinas"), else the kind most of its mentions
    have (an organisation before a place before a person)."""
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, listed in names.items():
        for name in listed:
            kinds[key(name)][kind] += 1
    order = {"org": 2, "place": 1, "person": 0}
    surnames = {key(p).split()[-1] for p in names["person"] if " " in p}
    for name_key, found in kinds.items():
        if len(found) < 2:
            continue
        place = find_place(name_key)
        if place is not None and place[1] in "ASL":
            keep = "place"
        elif said and said.get(name_key) in found and name_key not in surnames:
            keep = said[name_key]  # (not a surname of the article's: "firms, Watanabe said")
        else:
            keep = max(found, key=lambda k: (found[k], order[k]))
        for kind in set(found) - {keep}:
            names[kind] = [n for n in names[kind] if key(n) != name_key]


# Words that end a place's name after the town or the country it is named after
# ("Guantanamo Bay", "Gaza Strip"): the town's name alone in the same article is that place.
_FEATURE_WORDS = frozenset(
    {"bay", "island", "islands", "lake", "river", "valley", "gulf", "strait", "strip", "coast"}
)


def _join_place_parts(
    places: list[str], orgs: list[str], aliases: list[tuple[str, str, str]]
) -> list[str]:
    """A one-word "place" that starts an organisation of the article and that the gazetteer
    does not know ("Marsh" of Marsh & McLennan) is that organisation, left out here; a town
    that starts the article's one place named after it ("Guantanamo" of Guantanamo Bay) is
    that place."""
    org_starts: dict[str, set[str]] = defaultdict(set)
    for org in orgs:
        if " " in org:
            org_starts[key(org).split()[0]].add(org)
    featured: dict[str, set[str]] = defaultdict(set)
    for place in places:
        words = place.split()
        if len(words) == 2 and words[-1].lower() in _FEATURE_WORDS:
            featured[key(words[0])].add(place)
    kept = []
    for place in places:
        if " " not in place:
            found = find_place(place)
            if found is None and len(org_starts.get(key(place), ())) == 1:
                aliases.append(("org", place, next(iter(org_starts[key(place)]))))
                continue
            if (found is None or found[1] == "P") and len(featured.get(key(place), ())) == 1:
                place = next(iter(featured[key(place)]))
        kept.append(place)
    return kept


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


def _expand_short_orgs(
    orgs: list[str], aliases: list[tuple[str, str, str]], spelled_out: Iterable[str] = ()
) -> list[str]:
    """A one-word organisation is the longer one of the same article that it starts or else
    ends ("Congress" of Congress of Leaders of World and Traditional Religions rather than of
    Secretariat of the Congress, "League" of Muslim World League), if there is one such, or
    the one such name the article spells out elsewhere; one that fits several, or a generic
    word that fits none, is left out."""
    longer = [o for o in dict.fromkeys(orgs) if len(o.split()) > 1]
    expanded = []
    for name in orgs:
        if len(name.split()) == 1 and not name.isupper():
            word = key(name)
            fits = {o for o in longer if word == key(o).split()[0]}
            if not fits:
                by_form = {_form("org", o): o for o in spelled_out if word == key(o).split()[0]}
                fits = set(by_form.values()) if len(by_form) == 1 else set()
            fits = fits or {o for o in longer if word == key(o).split()[-1]}
            if len(fits) == 1:
                full = fits.pop()
                aliases.append(("org", name, full))
                name = full
            elif len(fits) > 1 or word in GENERIC:
                continue  # one of several names of the article, all listed; or nothing
        expanded.append(name)
    return expanded


def _expand_heads(orgs: list[str], aliases: list[tuple[str, str, str]]) -> list[str]:
    """A name that heads the one longer name of the article ("Nazarbayev Center" of the N.
    Nazarbayev Center for the Development of Interfaith ... Dialogue) is that name."""

    def head_key(name: str) -> str:
        words = key(name).split()
        while len(words) > 1 and len(words[0]) == 1:
            words.pop(0)  # "N." Nazarbayev
        return " ".join(words)

    longer = {head_key(o): o for o in orgs if len(o.split()) > 2}
    full: dict[str, str] = {}
    for name in dict.fromkeys(orgs):
        wanted = head_key(name)
        fits = [o for k, o in longer.items() if k.startswith((wanted + " for ", wanted + " of "))]
        if " " in name and len(fits) == 1:
            full[name] = fits[0]
            aliases.append(("org", name, fits[0]))
    return [full.get(o, o) for o in orgs]


def _without_parts(orgs: list[str], aliases: list[tuple[str, str, str]]) -> list[str]:
    """Leave out a body named only by its kind and an organisation of the article
    ("Secretariat of the Congress", "Congress Secretariat" beside the Congress of Leaders of
    ...): a part of it, not a name of its own."""
    short = {key(alias) for kind, alias, _ in aliases if kind == "org"}
    short |= {key(o).split()[0] for o in orgs if len(o.split()) > 2}  # "Congress" of ...
    kept = []
    for name in orgs:
        words = [w for w in key(name).split() if w not in _ORG_NOISE]
        if len(words) == 2 and (
            (words[0] in BODIES and words[1] in short) or (words[1] in BODIES and words[0] in short)
        ):
            continue
        kept.append(name)
    return kept


def _join_prefixed(orgs: list[str], aliases: list[tuple[str, str, str]]) -> list[str]:
    """An organisation named with its parent's acronym and without it ("UN Alliance of
    Civilizations", "Alliance of Civilizations") is one: the longer name."""
    keys = {key(o) for o in orgs}
    full: dict[str, str] = {}
    for name in orgs:
        first, _, rest = name.partition(" ")
        if first.isupper() and key(first) in keys and " " in rest and key(rest) in keys:
            full[key(rest)] = name
            aliases.append(("org", rest, name))
    return [full.get(key(o), o) for o in orgs]


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
    full_names = {name for name in people if len(name.split()) > 1 and not _name_alone(name)}
    by_last: dict[str, set[str]] = defaultdict(set)
    by_first: dict[str, set[str]] = defaultdict(set)
    for name in full_names:
        # By whole words as written: "O'Driscoll" is the last word of Brian O'Driscoll.
        words = name.split()
        by_last[key(words[-1])].add(name)
        by_first[key(words[0])].add(name)
        if len(words) > 2 and _surname_alone(" ".join(words[-2:])):
            by_last[key(" ".join(words[-2:]))].add(name)  # "De Vido" of Julio De Vido
    expanded = []
    for name in people:
        if _sovereign_alone(name):  # "King Charles" is the article's one Charles III
            fits = by_first.get(key(name.split()[1])) or set()
        elif len(name.split()) == 1 or _surname_alone(name):
            fits = by_last.get(key(name)) or by_first.get(key(name)) or set()
        else:
            fits = set()
        if len(fits) > 1:
            continue
        if fits:
            full = next(iter(fits))
            aliases.append(("person", name, full))
            name = full
        expanded.append(name)
    return expanded


#: Words that begin a surname of two ("De Vido", "van Persie"): alone, it is a surname.
SURNAME_PARTICLES = frozenset({"de", "da", "di", "del", "dos", "das", "van", "von", "der"})
# Those that are no given names when capitalised ("Van Morrison", "Della Bousquet" are).
_CAPITAL_PARTICLES = frozenset({"De", "Da", "Di", "Del", "Dos", "Das"})


def _name_alone(name: str) -> bool:
    """A surname or a sovereign's given name, however many words: no full name."""
    return _surname_alone(name) or _sovereign_alone(name)


def _sovereign_alone(name: str) -> bool:
    words = name.split()
    return len(words) == 2 and words[0].lower() in SOVEREIGNS


def _surname_alone(name: str) -> bool:
    words = name.split()
    return len(words) == 2 and (words[0] in SURNAME_PARTICLES or words[0] in _CAPITAL_PARTICLES)


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
        if kind == "org":
            _join_spellings(kind, counts, groups)
            _join_of_place(counts, groups)
            _join_parties(counts, groups)

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


def _join_of_place(counts: dict[str, int], groups: _Groups) -> None:
    """A long organisation name with its country after it ("International Center for
    Interfaith and Interreligious Dialogue of Kazakhstan") is the same name without it, if the
    archive has that name and no other country's."""
    with_place: dict[str, set[str]] = defaultdict(set)
    for name in counts:
        head, of, place = name.rpartition(" of ")
        if (
            of
            and find_place(place)
            and len([w for w in key(head).split() if w not in _ORG_NOISE]) >= 3
        ):
            with_place[_form("org", head)].add(name)
    bare: dict[str, str] = {_form("org", name): name for name in counts}
    for form, names in with_place.items():
        if form in bare and len({groups.find(n) for n in names}) == 1:
            groups.union(next(iter(names)), bare[form])


def _join_parties(counts: dict[str, int], groups: _Groups) -> None:
    """A party is called by its name alone ("Labour" is the Labour Party), unless that name
    is also a company's ("National" of "National Corp"), an institution's ("Congress" is not
    India's Congress Party), a generic or short word ("New"), or the party's name says whose
    it is ("People's Party", "Workers' Party": nobody calls them "People")."""
    bare: dict[str, str] = {_form("org", name): name for name in sorted(counts)}
    companies = {
        groups.find(name)
        for name in counts
        if len(words := key(name).split()) > 1 and words[-1] in _COMPANY_SUFFIXES
    }
    everyday = GENERIC | HEAD_NOUNS
    whose = {groups.find(n) for n in counts if re.search(r"\w(?:'s|s') Party$", n)}
    for name in sorted(counts):
        words = name.split()
        if len(words) < 2 or words[-1].lower() != "party" or groups.find(name) in whose:
            continue
        alone = bare.get(_form("org", " ".join(words[:-1])))
        if (
            alone
            and len(alone) > 3
            and groups.find(alone) not in companies
            and key(alone) not in everyday
        ):
            groups.union(name, alone)


def _join_spellings(kind: str, counts: dict[str, int], groups: _Groups) -> None:
    """One-word organisation names spelt two ways in transliteration ("Qazinform",
    "Kazinform"): the same consonants once "q" is "k", and close letters."""
    buckets: dict[str, list[str]] = defaultdict(list)
    for name in sorted(counts):
        form = _form(kind, name)
        if " " not in form and len(form) >= 6 and not name.isupper():
            buckets[consonants(form.replace("q", "k"))].append(name)
    for bucket in buckets.values():
        for other in bucket[1:]:
            a, b = _form(kind, bucket[0]).replace("q", "k"), _form(kind, other).replace("q", "k")
            if SequenceMatcher(None, a, b).ratio() >= 0.85:
                groups.union(other, bucket[0])


def _join_short_forms(
    counts: dict[str, int], pairs: list[tuple[str, str]], groups: _Groups
) -> None:
    """Join what articles defined: an acronym ("MWL") always; a short form ("Congress",
    "United") only where it means one name across the archive and is no name of its own there
    ("United" is Manchester United in one article and Dundee United in another)."""
    # An acronym stored as a name ("UN") is the one organisation of the archive whose
    # initials it is ("United Nations"), if there is one such and it is not much rarer, with
    # all its spellings (the broadcaster "ABC" of 20 articles is not the "Aldridge Browhills
    # Conservatives" of one).
    by_initials: dict[str, set[str]] = defaultdict(set)
    for name in counts:
        words = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() not in _ORG_NOISE]
        if len(words) > 1 and not name.isupper():
            by_initials["".join(w[0] for w in words).upper()].add(name)
    in_group: Counter[str] = Counter()  # articles per name with all its spellings
    for name in counts:
        in_group[groups.find(name)] += counts[name]
    for name in counts:
        if name.isupper() and name.isalpha() and 2 <= len(name) <= 6:
            fitting = sorted(by_initials.get(name, ()))
            fits = {groups.find(n) for n in fitting}
            if len(fits) == 1 and in_group[fits.pop()] * _ACRONYM_RARER >= counts[name]:
                groups.union(name, fitting[0])
    # A one-word name that heads one name of the archive ("Senate" of the Senate of the
    # Parliament of Kazakhstan, whatever its wordings; not of a "Senate Finance Committee",
    # which a committee heads) is that name, if there is one such.
    headed: dict[str, set[str]] = defaultdict(set)
    for name in counts:
        words = name.split()
        if len(words) > 2 and words[1].lower() in ("of", "for"):
            headed[key(words[0])].add(name)
    for name in counts:
        if " " not in name and not name.isupper() and key(name) not in GENERIC:
            fits = {groups.find(n) for n in headed.get(key(name), ())}
            if len(fits) == 1:
                groups.union(name, next(iter(headed[key(name)])))
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
    full = (
        len(words) > 1 and not _name_alone(name)  # "De Vido" is a surname alone
        if kind == "person"
        else not (len(words) == 1 and name.isupper())
    )
    return (not shouted(name), full, count, len(words), len(name))


def _form(kind: str, name: str) -> str:
    words = key(name).split()
    if kind == "org":
        # "Senate of the Parliament of the Republic of Kazakhstan" = "... of Kazakhstan"
        # "Standard and Poor's Corp" = "Standard and Poor"
        words = [
            w
            for i, w in enumerate(words)
            if w not in _ORG_NOISE and not (i and w in _STATES) and not (i and w == "s")
        ]
        while len(words) > 1 and words[-1] in _COMPANY_SUFFIXES:
            words.pop()  # "Texaco Inc" is Texaco
        if len(words) > 2 and words[-2:] == ["news", "agency"]:
            words = words[:-2]  # "Qazinform News Agency" is Qazinform
        if len(words) > 1:
            # Word order and a country's adjective do not tell names apart: "Senate of the
            # Kazakh Parliament" = "Senate of the Parliament of Kazakhstan", "U.S. Agriculture
            # Department" = "U.S. Department of Agriculture".
            words = sorted(country_of_adjective(w) or w for w in words)
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
    full = [n for n in names if len(n.split()) > 1 and not _name_alone(n)]
    by_last: dict[str, list[str]] = defaultdict(list)
    by_first: dict[str, list[str]] = defaultdict(list)
    for name in full:
        # By whole words as written: "O'Driscoll", "Kilroy-Silk" are one word.
        by_last[key(name.split()[-1])].append(name)
        by_first[key(name.split()[0])].append(name)
        if len(name.split()) > 2 and _surname_alone(" ".join(name.split()[-2:])):
            by_last[key(" ".join(name.split()[-2:]))].append(name)
    for name in sorted({*(n for n in names if len(n.split()) == 1 or _name_alone(n)), *lone}):
        if _sovereign_alone(name):  # "King Hussein" is no Saddam Hussein
            fits = by_first.get(key(name.split()[1])) or []
        else:
            fits = by_last.get(key(name)) or by_first.get(key(name)) or []
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
