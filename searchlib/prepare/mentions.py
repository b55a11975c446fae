"""Mentions to names in one article: titles, offices and junk out, run-ons split, names whole.

Titles and offices are dropped, junk is left out, run-ons are split and organisation names
completed.

The tagger's mentions are often near misses: a name with its holder's office ("Kazakh Senate
Speaker"), two names run together ("Republic of Kazakhstan Kassym-Jomart Tokayev"), an
organisation cut short ("Congress" of "Congress of Leaders of World and Traditional
Religions"), a word that names nothing alone ("Bank", "Session"), a ticker ("<PZL>"). The
rules here mend what the text itself shows, and leave out what no reader would call a name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING

from ..fields import KIND_OF_TAG
from ..text import stopwords
from .cues import (
    EVENT_NOUNS,
    HEAD_NOUNS,
    clubs,
    employer,
    event_part,
    join_countries,
    kind_of_head,
    law_title,
    loose_members,
    with_sovereign,
    work_or_event,
)
from .places import find_place, is_country, key, known_names

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .ner import Mention


def _word_list(name: str) -> frozenset[str]:
    text = resources.files("searchlib").joinpath(f"data/{name}").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


#: Honorifics and job titles, dropped from the start of people's names.
TITLES = _word_list("titles.txt")
#: Words for offices: a name that starts or ends with one is an office's ("Kazakh Senate
#: Speaker", "UN Deputy"), never an organisation's or a place's own.
OFFICES = _word_list("offices.txt")
#: Words that alone, or only with each other, name no one thing ("Bank", "Session").
GENERIC = _word_list("generic.txt")


def _first_names() -> frozenset[str]:
    text = resources.files("searchlib").joinpath("data/ner_names.txt").read_text("utf-8")
    return frozenset(line[6:].lower() for line in text.splitlines() if line.startswith("first\t"))


#: Given names (the tagger's name list, from the census and gender-guesser packages).
FIRST_NAMES = _first_names()
#: Words that end a company's name ("Texaco Inc"): a "person" ending with one is a company.
COMPANY_SUFFIXES = frozenset(
    {"inc", "corp", "corporation", "co", "ltd", "plc", "llc", "limited", "ag", "sa", "nv", "bv"}
)
#: Honorifics: a name that starts with one is a person's ("Mr Balls"); none ends with one.
HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "rev", "rt", "hon"}
)
#: News agencies, which bylines and sign-offs name ("Reuter"): organisations, never people.
AGENCIES = frozenset(key(name) for name in _word_list("agencies.txt"))
# Words that may join the parts of a title ("Ambassador Extraordinary and Plenipotentiary of
# the State of Kuwait to the Republic of Kazakhstan"): a name never starts with them.
TITLE_GLUE = frozenset({"of", "the", "and", "to", "for", "in", "&", "a.i.", "d'affaires"})
# Words of a state's formal name before "of": "Islamic Republic" of Afghanistan is a fragment.
_HONORIFIC_GLUE = TITLE_GLUE | {"your", "his", "her", "their"}
_STATE_WORDS = frozenset(
    {"republic", "kingdom", "state", "states", "emirate", "sultanate", "principality"}
)
# What introduces a work (a film, a show, a song, a program), or a firm, and the list it
# is in: "box-office flops Alexander and Catwoman", "programs such as Ad-Aware and Spybot".
_WORK_NOUNS = frozenset(
    {  # (not verbs that take an object too: "plays", "hits", "shows", "books")
        "film", "films", "movie", "movies", "show",
        "series", "sitcom", "sitcoms", "soap", "soaps", "drama", "dramas", "programme",
        "programmes", "program", "programs", "song", "songs", "album", "albums", "singles",
        "track", "novel", "novels", "book", "musical", "musicals", "opera", "operas",
        "software", "flop", "flops", "blockbuster", "blockbusters", "thriller", "comedy",
        "documentary",
    }
)  # fmt: skip
_FIRM_NOUNS = frozenset(
    {
        "firm", "firms", "company", "companies", "maker", "makers", "retailer", "retailers",
        "carrier", "carriers", "provider", "providers", "publisher", "publishers", "insurer",
        "insurers", "broker", "brokers", "giant", "airline",
    }
)  # fmt: skip
# Firms' words that are people's jobs too: "publisher Robert Maxwell" (but "company Kitty Hawk").
_PEOPLES_JOBS = frozenset({"publisher", "publishers", "broker", "brokers"})
_LIST_WORDS = frozenset({",", "and", "or", "the", "such", "as", "including", "like", "called"})
# A broadcaster's possessive: what follows is its programme ("BBC Two's The Catherine Tate Show").
_CHANNEL_OWNS = re.compile(
    r"\b(?:BBC|ITV|Channel|Sky|CNN|MTV|HBO)(?:\s?(?:\d|One|Two|Three|Four|Five|News))?['’]s\s+(?:The\s+)?$"
)
# A town known by this many names is well known (London 49, Derby 7, Salford 4; Cisco 1).
_WELL_KNOWN = 3
_PLACED = re.compile(
    r"\b(?i:in|at|from|to|near|across|into|outside|around|throughout|towards|via|within"
    r"|between)\s+(?:the\s+)?([A-Z][\w'’.-]*(?:\s(?:of\s|de\s)?[A-Z][\w'’.-]*){0,4})"
)
#: Bodies of an institution, named after it ("Board of the ... Center").
BODIES = frozenset({"board", "secretariat", "presidium"})
# Names that a number completes: "BBC Radio 4", "Channel 4", "Formula 1".
_NUMBERED = frozenset({"radio", "channel", "formula"})
_CONTRACTION = re.compile(r"^\w+'(?:m|ve|ll|re|d|t)$", re.IGNORECASE)
# Words that head a document's or a day's name, not an organisation's ("Final Declaration",
# "United Nations Plan of Action", "Day of Spiritual Harmony").
_DOCUMENT_NOUNS = frozenset(
    {
        "declaration", "plan", "day", "charter", "treaty", "accord", "accords", "agreement",
        "resolution", "report", "session", "strategy", "memorandum", "communique", "code",
    }
)  # fmt: skip
# A line that lists people by surname, as a team's line-up does: "Subs Not Used: Francis,
# Kabba, Shaw, Haystead." (four or more names, with substitutions in brackets).
_LINE_NAME = r"[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?(?: \([^()\n]*\))?"
_LINEUP = re.compile(rf"^(?:[A-Z][\w ]*: )?(?:{_LINE_NAME}, ){{3,}}{_LINE_NAME}\.?$", re.MULTILINE)
_ROMAN = re.compile(r"^(?=[MDCLXVI])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")
_ORDINAL = re.compile(r"^(\d+(st|nd|rd|th)?|[MDCLXVI]+)$")
# What carries an organisation's name on: " of Leaders", " for Interfaith", " and Traditional
# Religions" (a word after "and" only inside such a phrase), with an optional "the".
_NAME_LINK = re.compile(r"\s+(of|for|and|&)\s+(?:the\s+)?((?:[A-Z][\w'’-]*\s*)+)")


@dataclass(frozen=True)
class Named:
    """One mention as a name: its kind, name and where the mention ends in the text."""

    kind: str
    name: str
    end: int = 0
    sure: bool = False  # the text says its kind ("water firm ..."), over the tagger's type


def named_mentions(text: str, mentions: Iterable[Mention]) -> list[Named]:
    """The names of one article's mentions, mended and without junk, in order."""
    mentions = list(mentions)
    starts = {m.start: m for m in mentions}
    # How often each word is written, as written: "session" against "Session".
    lower_words = Counter(re.findall(r"\b[A-Za-z][a-z-]+\b", text))
    named: list[Named] = []
    consumed = 0  # where the last completed organisation's name ended
    mentions = join_countries(text, _shift_first_names(text, mentions))
    starts = {m.start: m for m in mentions}
    lineups = [(m.start(), m.end()) for m in _LINEUP.finditer(text)]
    teams = clubs(text, mentions)
    for mention in mentions:
        kind = KIND_OF_TAG.get(mention.type)
        before = text[max(0, mention.start - 80) : mention.start]
        if (
            kind
            and any(a <= mention.start < b for a, b in lineups)
            and not is_country(mention.text)
        ):
            kind = "person"  # a team's line-up: "Kenny, Geary, Morgan, Bromby, ..."
        if (
            mention.type == "MISC"
            and _is_institution(mention.text)
            and not loose_members(mention.text)
        ):
            kind = "org"  # "Catholic Church", "International Center for Interfaith Dialogue"
        if mention.type == "MISC" and key(mention.text) in teams:
            kind = "org"  # a club: "Arsenal boss Arsène Wenger" (CoNLL's clubs are ORG)
        if kind is None or _is_ticker(text, mention):
            continue
        if kind == "org" and (law_title(before) or work_or_event(text, mention.end)):
            continue  # "law on Return of Illegally Acquired Assets", "X, directed by"
        if (
            key(mention.text) in AGENCIES
            and not text[mention.end :].strip(" \n.-)(")
            and text[: mention.start].rstrip(" ")[-1:] in ("\n", ".", "")
        ):
            continue  # the wire's sign-off ("... said. Reuter"), not a mention of it
        if mention.start < consumed and kind != "place":  # part of the name before
            continue
        kind = _kind_by_form(kind, mention, text, starts)
        if kind is None:
            continue
        name = clean_name(kind, mention.text)
        if kind == "person" and (title := re.search(r"(\w+) \S+$", before + mention.text)):
            name = " ".join(with_sovereign(title[1], name.split()))  # "King" + "Charles"
        kind = kind_of_head(kind, name)
        if kind != "person" and (event := event_part(mention.text, before[-16:])) is not None:
            name = clean_name("org", event)  # "the 10th Global Forum of" the Alliance ...
            kind = "org"
        if not name:
            continue
        cue = _list_cue(before)
        firm = _firm_cue(cue, name.split())
        sure = key(mention.text) in teams or firm or employer(before)
        words = name.split()
        if kind == "org" and not (_looks_like_person(words) and words[0].lower() in FIRST_NAMES):
            # (not "Sania Mirza" + " of India", a person the tagger took for an organisation)
            name, grown_end = _complete_org(text, name, mention.end, starts)
            name = " ".join(name.split())
            if grown_end > mention.end:
                consumed = grown_end
        for part_kind, part in _split_run_on(kind, name, lower_words):
            part_kind = _true_kind(part_kind, part)
            if part:
                named.append(Named(part_kind, part, mention.end, sure and part == name))
    before_offices = set(named)
    named = _drop_trailing_offices(named)
    # "Salford" of "Salford MP" is written as a place (an office's) too
    office_ends = {n.end for n in named if n.kind == "place" and n not in before_offices}
    named = _split_possessives(named)
    # A place the gazetteer does not know is one where the article writes it as a place is
    # written somewhere ("in Staffordshire", "to the Holy Land"), not "Borat and Bruno", "the
    # Cosmopolitan interview", "a brave Blades cup campaign".
    located = {key(n.name) for n in named if n.end in office_ends}
    if any(n.kind == "place" and not _well_known_place(n.name) for n in named):
        located |= _written_as_places(text)
    return [
        n
        for n in _split_at_people(named)
        if not _is_junk(n.kind, n.name, lower_words)
        and (n.kind != "place" or _well_known_place(n.name) or key(n.name) in located)
    ]


def _written_as_places(text: str) -> set[str]:
    """The names (folded) that the text writes after a word that places them ("in London",
    "to the Holy Land", "at Twickenham"), and each of their first words: one pass over it."""
    found: set[str] = set()
    for phrase in _PLACED.finditer(text):
        words = phrase[1].split()
        found.update(key(" ".join(words[:n])) for n in range(1, len(words) + 1))
    return found


def _well_known_place(name: str) -> bool:
    """A country, state or continent, a place of several words, or a well-known town (not the
    small towns "Cisco" and "Bono" that share a word's or a person's name)."""
    found = find_place(name)
    return found is not None and (
        found[1] in "ASL" or " " in name.strip() or known_names(found[0]) >= _WELL_KNOWN
    )


def _kind_by_form(kind: str, mention: Mention, text: str, starts: dict[int, Mention]) -> str | None:
    """What the words themselves and their neighbours say a name is, where the tagger said
    otherwise: "Mr Balls" is a person; "International Center" (for ...), "Dicastery" for
    Interreligious Dialogue and "Nazarbayev Center" are organisations; a person's name right
    after a country's ("... to the Republic of Kazakhstan Montaser Abu Zeid") is a person.
    None: no name at all ("Straw" of the album "Final Straw", the "Initiative on World Unity
    for a Just Peace")."""
    words = mention.text.replace("’", "'").split()
    before = text[max(0, mention.start - 40) : mention.start]
    if re.search(r"\b(?:Initiative|Call|Appeal) (?:on|for|of) (?:the |a )?$", before):
        return None  # the rest of a call's or an initiative's name
    if kind == "place" and employer(before):
        return "org"  # "principal security consultant at Cisco": the firm, not the town
    cue = _list_cue(text[max(0, mention.start - 160) : mention.start])
    if cue in _WORK_NOUNS or _CHANNEL_OWNS.search(before):
        return None  # "songs including Back Stabbers, Love Train", "Channel 4's Supernanny"
    if kind != "org" and _firm_cue(cue, words):
        return "org"  # "technology firms Earthlink and Webroot" (not "publisher Robert Maxwell")
    if kind != "person" and len(words) > 1 and words[0].lower().strip(".") in HONORIFICS:
        return "person"
    if kind == "person" and len(words) == 1 and _in_title_case_run(text, mention):
        return None
    if kind == "org" or not words:
        return kind
    if kind == "place" and _looks_like_person(words) and not find_place(mention.text):
        last = re.search(r"((?:[A-Z][\w-]* ){1,3})$", before)
        after_country = last is not None and is_country(last[1].strip())
        if after_country or (words[0].lower() in FIRST_NAMES and not find_place(words[0])):
            return "person"  # "Montaser Abu Zeid", "Serena Williams" (not "Sydney Marathon")
    if words[-1].lower() in HEAD_NOUNS and not find_place(mention.text):
        return "org"  # a place or person named after its head noun: "Nazarbayev Center"
    link = re.compile(r"\s+for\s+(?:the\s+)?").match(text, mention.end)
    after = starts.get(link.end()) if link else None
    if (
        len(words) == 1
        and after is not None
        and after.type == "ORG"
        and not find_place(mention.text)
    ):
        return "org"  # "Dicastery" + " for " + "Interreligious Dialogue"
    return kind


def _list_cue(before: str) -> str:
    """The word that introduces the list a name ends ("programs" of "programs such as
    Ad-Aware and "), going back over capitalised names, commas and "and"."""
    before = re.split(r'["“”]', before)[-1]  # a quotation ends the list: 'the company," X'
    tokens = re.findall(r"[\w'’.&-]+|,", before)
    for token in reversed(tokens):
        if token.endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", token):
            return ""  # the sentence before
        if token[:1].isupper() or token.lower() in _LIST_WORDS:
            continue
        return token.lower()
    return ""


def _in_title_case_run(text: str, mention: Mention) -> bool:
    """Whether a one-word mention is the end of a run of capitalised words that is no name's
    (the album "Final Straw", not "Mr Straw" or "Chancellor Brown"), inside a sentence."""
    previous = re.search(r"(\S+) (\S+) $", text[max(0, mention.start - 60) : mention.start])
    if previous is None:
        return False
    before, word = previous[1], previous[2]
    return (
        word[:1].isupper()
        and word.isalpha()
        and not word.isupper()
        and word.lower() not in TITLES | HONORIFICS | OFFICES
        and before[:1].islower()  # inside a sentence: "album Final Straw"
        and before.lower() not in TITLE_GLUE
    )


def _shift_first_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """A first name the tagger gave to the name before a person's ("Alliance of Civilizations
    Miguel" + "Ángel Moratinos"): it begins the person's name."""
    from .ner import Mention  # the tagger's type; imported here, as the model loads lazily

    shifted = list(mentions)
    for i, (a, b) in enumerate(pairwise(mentions)):
        words = a.text.split()
        if (
            a.type != "PER"
            and b.type == "PER"
            and len(words) > 1
            and words[-1].lower() in FIRST_NAMES
            and text[a.end : b.start] == " "
        ):
            cut = a.end - len(words[-1])
            shifted[i] = Mention(a.type, text[a.start : cut].rstrip(), a.start, cut - 1)
            shifted[i + 1] = Mention("PER", text[cut : b.end], cut, b.end)
    return shifted


def _drop_trailing_offices(named: list[Named]) -> list[Named]:
    """An office or title after a name ("Salford MP", "Labour MP", "Canterbury Dr" of "the
    Archbishop of Canterbury Dr Rowan Williams"): the name is what comes before it, if that is
    a name of the article or a place the gazetteer knows; else no name at all."""
    alone = {key(n.name) for n in named}
    mended = []
    for n in named:
        words = n.name.split()
        if n.kind == "person" or len(words) < 2:
            mended.append(n)
            continue
        cut = len(words)
        while cut > 0 and words[cut - 1].lower().strip(".,") in OFFICES | HONORIFICS:
            cut -= 1
        if cut == len(words):
            mended.append(n)
        elif cut and (find_place(" ".join(words[:cut])) or key(" ".join(words[:cut])) in alone):
            mended.append(Named(n.kind, " ".join(words[:cut]), n.end))
    return mended


def _split_possessives(named: list[Named]) -> list[Named]:
    """Two names joined by a possessive ("Bank of England's Monetary Policy Committee",
    "Novartis' Sandoz"), where the owner is a name of the article or a known place: both
    names."""
    alone = {key(n.name) for n in named}
    split = []
    for n in named:
        owner = re.match(r"(.+?)(?:'s|s')\s+([A-Z].*)$", n.name)
        if n.kind != "person" and owner:
            head = owner[1] + ("s" if owner[0][len(owner[1]) :].startswith("s'") else "")
            place = find_place(head)
            owned = owner[2].split()
            known_owner = (
                key(head) in alone or (place and place[1] in "ASL") or _is_institution(head)
            )
            known_part = (
                key(owner[2]) in alone
                or _is_institution(owner[2])
                or (len(owned) == 1 and owned[0].lower() not in GENERIC)  # "Novartis' Sandoz"
            )
            # (but "Moody's Investors Service Inc" is one company)
            if known_owner and known_part and owned[-1].lower().strip(".") not in COMPANY_SUFFIXES:
                split.append(Named(_true_kind(n.kind, head), head, n.end))
                split.append(Named(n.kind, owner[2], n.end))
                continue
        split.append(n)
    return split


def _split_at_people(named: list[Named]) -> list[Named]:
    """Cut off the end of an organisation or place that is another name of the article
    ("Alliance of Civilizations Miguel Ángel Moratinos", where "Miguel Ángel Moratinos" is
    named alone too) or a person whose surname it names ("Congress Secretariat Maulen
    Ashimbayev" beside "Ashimbayev"): the cut-off end is a person, and so are its other
    mentions, whatever the tagger took them for."""
    alone = {key(n.name) for n in named}
    # "Jeremie Aliadiere" (ORG) beside "Aliadiere" (PER): a first name and the surname of a
    # person of the article make a person.
    lone = {key(n.name) for n in named if n.kind == "person" and " " not in n.name}
    named = [
        Named("person", n.name, n.end)
        if n.kind != "person"
        and _looks_like_person(n.name.split())
        and n.name.split()[0].lower() in FIRST_NAMES
        and key(n.name.split()[-1]) in lone
        else n
        for n in named
    ]
    said = {key(n.name) for n in named if n.sure}  # "water firm Aguas Argentinas"
    full_people = {
        key(n.name)
        for n in named
        if n.kind == "person" and " " in n.name and key(n.name) not in said
    }
    named = [
        Named("person", n.name, n.end) if key(n.name) in full_people else n  # one kind each
        for n in named
        for n in _split_pair(n, alone)
    ]
    surnames = {key(n.name).split()[-1] for n in named if n.kind == "person"}
    people: set[str] = set()
    split: list[Named] = []
    for n in named:
        words = n.name.split()
        if n.kind != "person" and len(words) >= 3:
            # The longest end named alone, else a first name and a surname named alone.
            cuts = [c for c in range(max(1, len(words) - 4), len(words) - 1)]
            for cut in [c for c in cuts if key(" ".join(words[c:])) in alone] or [
                c for c in cuts[-1:] if key(words[-1]) in surnames
            ]:
                tail = words[cut:]
                tail_key = key(" ".join(tail))
                if _looks_like_person(tail) and words[cut - 1].lower() not in TITLE_GLUE:
                    split.append(Named(n.kind, " ".join(words[:cut]), n.end))
                    split.append(Named("person", " ".join(tail), n.end))
                    people.add(tail_key)
                    break
            else:
                split.append(n)
        else:
            split.append(n)
    return [Named("person", n.name, n.end) if key(n.name) in people else n for n in split]


def clean_name(kind: str, text: str) -> str:
    """A mention's text as a name: no titles, possessives, ordinals or stray punctuation."""
    name = " ".join(text.replace("’", "'").replace("<", " ").replace(">", " ").split())
    if name.count("(") != name.count(")"):
        name = " ".join(name.replace("(", " ").replace(")", " ").split())  # "Yasuhiro) Nakasone"
    name = re.sub(r"'s?$", "", name).strip(" ,.;:-–—\"'()")
    words = name.split()
    if kind == "person":
        while words and (
            words[0].lower().strip(".,") in TITLES | HONORIFICS or words[0].lower() in TITLE_GLUE
        ):
            words.pop(0)
    else:
        # "the Senate", "VIII Congress", "Ambassador of the Kingdom": what a name does not
        # start with.
        while words and (
            words[0].lower() in ("the", *TITLE_GLUE)
            or words[0].lower().strip(".,") in OFFICES
            or _ORDINAL.match(words[0])
        ):
            words.pop(0)
    if kind == "org" and len(words) > 3 and words[0].lower() in BODIES and words[1] == "of":
        rest = words[3:] if words[2].lower() == "the" else words[2:]
        if _is_institution(" ".join(rest)):
            words = rest  # "Board of N. Nazarbayev Center for ...": the Center's board
    name = " ".join(words)
    if shouted(name) and kind != "org":
        name = name.title()  # a headline's "NIGEL LAWSON"
    if only_titles(name, kind):
        return ""  # "Your Holiness", "Senate Speaker": an office, not a name
    return name if len(name) > 1 and any(ch.isalpha() for ch in name) else ""


def shouted(name: str) -> bool:
    """Written in capitals for emphasis (a headline's "TEXACO", "NIGEL LAWSON"), not as an
    acronym ("IBM", "UN")."""
    letters = [ch for ch in name if ch.isalpha()]
    return name.isupper() and (len(letters) > 4 or len(name.split()) > 1)


def only_titles(name: str, kind: str = "person") -> bool:
    """Whether ``name`` holds only titles and offices ("Your Holiness"); for an organisation
    or a place only offices ("Senate" is a title of people, and an organisation)."""
    titles = TITLES | OFFICES if kind == "person" else OFFICES
    return all(w.lower() in titles or w.lower() in _HONORIFIC_GLUE for w in name.split())


def _is_ticker(text: str, mention: Mention) -> bool:
    """A stock symbol in angle brackets ("<PZL>"), where the tagger saw a name."""
    inside = text[max(0, mention.start - 1) : mention.end + 1]
    word = mention.text.strip("<> ")
    return (">" in inside or "<" in inside) and word.isupper() and " " not in word


def _complete_org(text: str, name: str, end: int, starts: dict[int, Mention]) -> tuple[str, int]:
    """Carry an organisation's name on through the text where the tagger stopped short
    ("Congress" + " of Leaders of World and Traditional Religions"), up to another name, or
    through one that continues it: an organisation's after "for" ("Dicastery" + " for " +
    "Interreligious Dialogue"), a place's after "of" ("Senate of the Parliament" + " of the
    Republic of Kazakhstan", "Federal Reserve Bank" + " of New York"), which ends the name.
    Returns the name and where it ends in the text."""
    grown, linked = name, " of " in name or " for " in name
    number = re.compile(
        r" (\d{1,2})(?=['’,.;:)\s]|$)"
        r"(?!\s*(?:%|per\b|pct\b|percent\b|points?\b|mln\b|million\b|billion\b))"
    )
    if grown.split()[-1].lower() in _NUMBERED and (channel := number.match(text, end)):
        return f"{grown} {channel[1]}", channel.end()  # "BBC Radio" 4, "Channel" 5
    while True:
        link = _NAME_LINK.match(text, end)
        if not link or link.group(2).split()[0].lower() in OFFICES:
            return grown, end
        glue = f" {link[1]}{' the' if 'the' in link[0].split() else ''} "
        if link.start(2) in starts:
            other = starts[link.start(2)]
            if other.type == "LOC" and link[1] == "of":
                place, place_end = other.text, other.end
                if place.split()[-1].lower() in _STATE_WORDS:
                    # The tagger's "Republic" + " of " + "Kazakhstan"
                    rest = re.compile(r"\s+of\s+(?:the\s+)?").match(text, place_end)
                    after = starts.get(rest.end()) if rest else None
                    if rest is None or after is None or after.type != "LOC":
                        return grown, end
                    place, place_end = text[other.start : after.end], after.end
                if find_place(place):
                    return grown + glue + place, place_end
                return grown, end
            # (a head noun's "for": "Dicastery for", "Center for"; not "Plonk Corp for the Board")
            headed = " " not in grown or grown.split()[-1].lower() in HEAD_NOUNS
            # (after a head noun's "for" the tagger's type says little: "Center for" +
            # "Interfaith", which it took for a place)
            if (link[1] == "for" and headed and other.type != "PER") or (
                other.type in ("ORG", "MISC") and linked and link[1] != "of"
            ):
                grown, end, linked = grown + glue + other.text, other.end, True
                # and the words the tagger left after it: "Inter-civilization" + " Dialogue"
                while (more := re.match(r" ([A-Z][\w'’-]*)", text[end:])) and end + 1 not in starts:
                    grown, end = f"{grown} {more[1]}", end + more.end()
                continue
            return grown, end
        if link[1] in ("and", "&") and not linked:
            return grown, end  # "Microsoft and Google": two names
        words = []
        for word in re.finditer(r"\S+", link[2]):
            if link.start(2) + word.start() in starts:
                break  # another name begins: "... Religions Maulen Ashimbayev"
            words.append(word[0])
            end = link.start(2) + word.end()
        grown += glue + " ".join(words)
        if len(words) < len(link[2].split()):
            return grown, end
        linked = linked or link[1] in ("of", "for")


def _split_run_on(kind: str, name: str, lower_words: Counter[str]) -> list[tuple[str, str]]:
    """A name the tagger ran on into the next: a place and a person ("Republic of Kazakhstan
    Kassym-Jomart Tokayev"), or an office's place and the place itself ("Independence of the
    Republic of Kazakhstan")."""
    words = name.split()
    if kind == "place" and len(words) > 1 and not find_place(name):
        for cut in range(len(words) - 2, 0, -1) if len(words) > 2 else ():
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            head_place = find_place(head)
            if head_place and head_place[1] in "AS" and _looks_like_person(words[cut:]):
                return [("place", head), ("person", tail)]
        for cut in range(len(words) - 1, 0, -1):
            # "Middle East Situation" (a heading): a place and words that name nothing.
            rest = [w.lower() for w in words[cut:]]
            if find_place(" ".join(words[:cut])) and all(
                w in GENERIC or lower_words[w] for w in rest
            ):
                return [("place", " ".join(words[:cut]))]
        for i, word in enumerate(words[1:-1], 1):
            tail = " ".join(words[i + 1 :])
            if word == "of" and is_country(tail):
                return [("place", tail)]
    head, within, where = name.partition(" in ")
    if kind == "org" and within and _is_institution(head) and find_place(where):
        return [("org", head), ("place", where)]  # "Catholic Church in England"
    if (
        kind in ("place", "org")
        and words
        and words[-1].lower() in _STATE_WORDS
        and not is_country(name)
    ):
        return []  # "Islamic Republic" (of Afghanistan): a fragment of a state's name
    return [(kind, name)]


def _is_institution(name: str) -> bool:
    """Whether a name is headed by an institution's word ("Bank of England")."""
    return re.split(r" (?:of|for) ", name)[0].split()[-1].lower() in HEAD_NOUNS


def _split_pair(n: Named, alone: set[str]) -> list[Named]:
    """Two names the tagger took for one ("Microsoft and Sony", "Labour and the Tories"),
    where the article names each alone too; "Marks and Spencer" and "Ministry of Information
    and Social Development" stay whole."""
    if n.kind == "person" or " of " in n.name or " for " in n.name or is_country(n.name):
        return [n]  # "Serbia and Montenegro" is one country
    parts = [p.strip() for p in re.split(r",|\s+and\s+(?:the\s+)?|\s+&\s+", n.name)]
    if len(parts) > 1 and all(p and key(p) in alone for p in parts):
        return [Named(n.kind, p, n.end) for p in parts]
    return [n]


def _firm_cue(cue: str, words: list[str]) -> bool:
    """Whether the word before a list of names makes this one a firm's."""
    return cue in _FIRM_NOUNS and not (cue in _PEOPLES_JOBS and _first_and_last(words))


def _first_and_last(words: list[str]) -> bool:
    """A given name and a surname: "Robert Maxwell", not "Aguas Argentinas"."""
    return _looks_like_person(words) and words[0].lower() in FIRST_NAMES


def _looks_like_person(words: list[str]) -> bool:
    return (
        2 <= len(words) <= 4
        and not any(w.lower() in stopwords() for w in words)  # "Rolf On Art"
        and all(w[:1].isupper() and not w.isupper() for w in words)
        and words[-1].lower() not in GENERIC  # "Nazarbayev Center"
        and not any(w.lower() in OFFICES for w in words)  # "Senate Speaker"
    )


def _true_kind(kind: str, name: str) -> str:
    """A country is a place whatever the tagger said; a news agency is an organisation."""
    if kind == "org" and is_country(name):
        return "place"
    if kind in ("person", "place") and key(name) in AGENCIES:
        return "org"
    last = name.split()[-1].lower().strip(".")
    if kind == "person" and len(name.split()) > 1 and (last in GENERIC or last in COMPANY_SUFFIXES):
        return "org"  # "Nazarbayev Center", "Drexel Burnham Lambert Inc"
    return kind


def _is_junk(kind: str, name: str, lower_words: Counter[str]) -> bool:
    """Names no reader would give: an office, a number, a word that names nothing alone."""
    words = name.split()
    if not words or all(_ROMAN.match(w) or w.isdigit() for w in words):
        return True  # "XXI"
    head = re.split(r" (?:of|for) ", name)[0].split()[-1].lower()
    if kind == "org" and head in _DOCUMENT_NOUNS:
        return True  # "Final Declaration", "Astana Declaration of Peace"
    if kind == "place" and len(words) > 1 and not find_place(name):
        known = next(
            (c for c in range(len(words) - 1, 0, -1) if find_place(" ".join(words[:c]))), 0
        )
        rest = words[known:]
        if (
            known
            and not all(w.isupper() for w in rest)
            and (not find_place(" ".join(rest)) or rest[-1].lower() in EVENT_NOUNS)
        ):
            return True  # "Sydney Marathon", "Vatican Dicastery": a place's thing, not a place
    if any(_CONTRACTION.match(w) for w in words):
        return True  # "I've", "I'm": a sentence's start, never a name
    if (
        kind != "person"
        and all(w.lower().strip(".,") in HONORIFICS | TITLES | OFFICES for w in words)
        and any(w.lower().strip(".,") in HONORIFICS for w in words)
    ):
        return True  # "Rt Rev Dr"
    if kind != "person" and words[-1].lower().strip(".,") in OFFICES:
        return True  # "Kazakh Senate Speaker", "UN Deputy"
    if re.fullmatch(r"[A-Z]\.?", words[-1]):
        return True  # "Board of N." (of N. Nazarbayev Center): cut off at an initial
    folded = [w.lower() for w in words]
    if (len(words) == 1 or any(w in TITLE_GLUE for w in folded)) and all(
        w in GENERIC or w in TITLE_GLUE for w in folded
    ):
        return True  # "Bank", "House", "Board of the Center" (but "State Department")
    if len(words) == 1 and 0 < lower_words[folded[0]] >= lower_words[name] and not is_country(name):
        # "Harmony", "Session", "Safeguard": the article writes the word in lower case too.
        found = find_place(name)
        return not (kind == "place" and found is not None and found[1] in "SL")
    return False
