"""Cues: what the words around a name say it is (a club, an employer, an event, a law's title).

The tagger reads a few words either side; these rules read the phrases a reader goes by
where the tagger's type is wrong: "Arsenal boss Arsène Wenger" (a club, which the tagger
calls "miscellaneous"), "consultant at Cisco" (an employer, not the town), "the 10th Global
Forum of ..." (an event), "law on Return of Illegally Acquired Assets" (a law's title), "the
Northern Echo" (a newspaper), "Downing Street" (a street, not a person).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .places import country_of_adjective, key

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .ner import Mention

# The roles a club has in news of sport ("Arsenal boss", "Arsenal side"; not "captain" or
# "chairman", which parties have too, nor "players" and "fans", which devices and shows
# have); a people's adjective takes them too, and is no club.
_CLUB_ROLES = re.compile(
    r"\s*(?:['’]s\s+)?(?:boss|manager|striker|defender|keeper|goalkeeper|midfielder|winger"
    r"|skipper|side|squad|v|vs)\b"
)
# A fixture or a result names two sides: "v Arsenal", "beat Arsenal", "drew with Arsenal".
_CLUB_FIXTURE = re.compile(r"\b(?:v|vs|beat|beats|drew with|draw with|lost to|at home to)\s+$")
# A possessive before a person's name: a team's player, a magazine's critic; an adjective
# takes none ("Arsenal's Sol Campbell", "Entertainment Weekly's Owen Gleiberman").
_OWNS = re.compile(r"['’]s\s+")
# A score: "Arsenal lost 2-0", "Arsenal won 3-1 at".
_CLUB_SCORE = re.compile(r"\s+(?:won|lost|beat|drew|led|trailed)\s+(?:\w+\s+)?\d+-\d+\b")
# How adjectives of peoples and places end ("Spanish", "Welsh", "Dutch", "Brazilian",
# "Olympic"), and those that end otherwise.
_ADJECTIVE_END = re.compile(r"(?:sh|ese|an|ch|i|ic|ive)$")
_PEOPLES = frozenset(
    {
        "greek", "swiss", "scots", "swede", "dane", "finn", "pole", "turk", "kurd", "basque",
        "arab", "serb", "croat", "slovak", "czech", "thai", "maori", "zulu", "inuit",
    }
)  # fmt: skip
# A competition's name, which is no club ("Premiership striker", "Davis Cup captain").
_COMPETITION = frozenset({"cup", "league", "trophy", "open", "games", "nations", "series"})


def clubs(text: str, mentions: Iterable[Mention]) -> set[str]:
    """The names (folded) that the tagger called miscellaneous and the article writes as a
    sports club's (or another organisation's) at least once: before a player's role ("Arsenal
    striker"), in a fixture or a score ("beat Arsenal"), or owning a person ("Arsenal's Sol
    Campbell"); a people's adjective ("Spanish striker"), a competition or a work is none."""
    mentions = list(mentions)
    people = {m.start for m in mentions if m.type == "PER"}
    found: set[str] = set()
    for m in mentions:
        if m.type != "MISC" or key(m.text) in found:
            continue
        words = m.text.split()
        last = words[-1].lower() if words else ""
        if (
            not words
            or len(words) > 3
            or not all(w[:1].isupper() for w in words)
            or "-" in last  # "World Cup-winning", "Portugal-based"
            or words[0] in ("A", "An")  # "A Beautiful Mind's Russell Crowe": a work
            or {last, words[0].lower()} & _COMPETITION  # "Davis Cup", "League One"
            or last.endswith("ship")  # "Premiership", "Championship"
            or _ADJECTIVE_END.search(last)
            or last.rstrip("s") in _PEOPLES
            or country_of_adjective(last)
        ):
            continue
        before = text[max(0, m.start - 20) : m.start]
        owns = _OWNS.match(text, m.end)
        if (
            _CLUB_ROLES.match(text, m.end)
            or _CLUB_SCORE.match(text, m.end)
            or _CLUB_FIXTURE.search(before)
            or (owns is not None and owns.end() in people)  # "Arsenal's Sol Campbell"
        ):
            found.add(key(m.text))
    return found


# A person's job at a firm: "principal security consultant at Cisco" is the firm, not the town.
_EMPLOYED_AT = re.compile(
    r"\b(?:consultant|analyst|executive|director|economist|strategist|engineer|researcher"
    r"|spokesman|spokeswoman|spokesperson|officer|chief|employee|employees|staff|scientist"
    r"|partner|lawyer|adviser|advisor|trader|dealer)\s+(?:at|with)\s+$"
)


def employer(before: str) -> bool:
    """Whether the text before a name makes it a person's employer ("analyst at ")."""
    return _EMPLOYED_AT.search(before) is not None


# The rest of a law's title: "law on Return of Illegally Acquired Assets", "Act of".
_LAW_TITLE = re.compile(
    r"\b(?:[Ll]aws?|Act|[Bb]ill|[Dd]ecree|[Rr]egulations?)\s+(?:on|of|about)\s+(?:the\s+)?"
    r"(?:[A-Z][\w'’-]*\s+(?:(?:of|on|and|the)\s+)*)*$"
)


def law_title(before: str) -> bool:
    """Whether a name continues a law's title ("law on Return of ")."""
    return _LAW_TITLE.search(before) is not None


# Words that head an event's name: "the 10th Global Forum", "the Sydney Marathon".
EVENT_NOUNS = frozenset(
    {
        "forum", "summit", "conference", "meeting", "festival", "marathon", "games",
        "championship", "championships", "tournament", "convention", "expo", "exhibition",
        "olympics", "rally", "regatta", "ceremony",
    }
)  # fmt: skip
_ORDINAL_BEFORE = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
    r"|tenth|(?=[MDCLXVI]+\s)[MDCLXVI]+|(?:19|20)\d\d)\s+$",
    re.IGNORECASE,
)


def event_part(name: str, before: str) -> str | None:
    """An event numbered or dated in the text ("the 10th Global Forum of the Alliance of
    Civilizations"): the organisation whose event it is ("Alliance of Civilizations"), or ""
    when it names none; None when ``name`` is no such event ("VII Congress" of an
    organisation is its own: a congress heads institutions)."""
    words = name.split()
    numbered = _ORDINAL_BEFORE.search(before) is not None
    if words and _ORDINAL_BEFORE.search(words[0] + " "):
        numbered, words = True, words[1:]
    parts = re.split(r" (of|for) (?:the )?", " ".join(words), maxsplit=1)
    head, of, rest = [*parts, "", ""][:3]
    if not numbered or not head or head.split()[-1].lower() not in EVENT_NOUNS:
        return None
    return rest if of == "of" and rest[:1].isupper() else ""


# Words that end a newspaper's or magazine's name ("the Northern Echo", "the Sunday Times").
NEWSPAPER_HEADS = frozenset(
    {
        "echo", "times", "post", "herald", "gazette", "chronicle", "telegraph", "tribune",
        "journal", "observer", "courier", "argus", "examiner", "inquirer",
    }
)  # fmt: skip
# Words that end a club's name, never a place's ("Manchester United", "Bolton Wanderers").
CLUB_HEADS = frozenset({"united", "rovers", "wanderers", "athletic", "albion", "hotspur", "fc"})
# Words that end a street's or a square's name: a place, never a person ("Downing Street").
# (not "lane", a surname too: Jeffery Lane)
STREET_HEADS = frozenset({"street", "road", "avenue", "square", "boulevard"})


def kind_of_head(kind: str, name: str) -> str:
    """The kind a name's last word gives it over the tagger's: a newspaper or a club is an
    organisation, a street a place ("Coronation Street", a soap, is then no place the article
    writes as one)."""
    words = name.split()
    if len(words) < 2:
        return kind
    last = words[-1].lower()
    if (last in NEWSPAPER_HEADS or last in CLUB_HEADS) and kind != "org":
        return "org"
    if last in STREET_HEADS and kind != "place":
        return "place"
    return kind


def join_countries(text: str, mentions: list[Mention]) -> list[Mention]:
    """Two places joined by "and" that are one country's name ("Serbia" and "Montenegro" of
    Serbia and Montenegro): one mention."""
    from .ner import Mention  # the tagger's type; imported here, as the model loads lazily
    from .places import find_place

    joined: list[Mention] = []
    for m in mentions:
        last = joined[-1] if joined else None
        between = text[last.end : m.start] if last is not None else ""
        if last is not None and last.type == m.type == "LOC" and between == " and ":
            found = find_place(text[last.start : m.end])
            if found is not None and found[1] == "A":
                joined[-1] = Mention("LOC", text[last.start : m.end], last.start, m.end)
                continue
        joined.append(m)
    return joined


# What follows a work's or a competition's name, not an organisation's: "House of Flying
# Daggers, directed by ...", "a former Australian Formula 3 champion", "the Autosport
# International 2005 show".
_NOT_AN_ORG_AFTER = re.compile(
    r",?(?:\s+\d{1,2})?\s+(?:(?:directed|written|produced|written and directed) by\b|champion\b"
    r"|(?:19|20)\d\d\s+(?:show|exhibition|fair|festival|conference|expo|awards|tournament)\b)"
)


def work_or_event(text: str, end: int) -> bool:
    """Whether the words after a name (ending at ``end``) make it a work's or an event's."""
    return _NOT_AN_ORG_AFTER.match(text, end) is not None


# A party is named by its members too: "Liberal Democrats", "the Tories".
PARTY_MEMBERS = frozenset(
    {
        "democrats", "republicans", "conservatives", "tories", "socialists", "communists",
        "liberals", "greens", "nationalists", "unionists",
    }
)  # fmt: skip
# Words that head an institution's name, never a place's ("Center", not "City"): a place or
# a "miscellaneous" name ending in one is an organisation ("Catholic Church").
HEAD_NOUNS = frozenset(
    {
        "bank", "church", "party", "council", "committee", "commission", "ministry",
        "agency", "department", "office", "university", "institute", "foundation", "museum",
        "center", "centre", "secretariat", "board", "bureau", "corporation", "company",
        "association", "federation", "authority", "embassy", "court", "club", "congress",
        "senate", "parliament", "assembly", "league", "organisation", "organization", "academy",
    }
) | PARTY_MEMBERS  # fmt: skip


def loose_members(name: str) -> bool:
    """Whether a name ends in a party's members without being a party's name: more than two
    words, or not all capitalised ("Two House Republicans", "Independent the Tories")."""
    words = name.split()
    return words[-1].lower() in PARTY_MEMBERS and (
        len(words) > 2 or not all(w[:1].isupper() for w in words)
    )


#: Titles that stay with a given name that has no other ("King Charles" is not any Charles;
#: "Pope Leo XIV" is Leo XIV).
SOVEREIGNS = frozenset({"king", "queen", "pope", "emperor", "empress", "tsar", "czar", "sultan"})


def with_sovereign(title: str, words: list[str]) -> list[str]:
    """A person's name words with the sovereign's ``title`` written before them, if they are
    one given name ("King" + "Charles", a headline's "KING FAHD"); otherwise as they are (not
    a headline's "POPE" before "Evans")."""
    if len(words) != 1 or title.lower() not in SOVEREIGNS:
        return words
    if title.istitle():
        return [title, *words]
    return [title.title(), words[0].title()] if title.isupper() and words[0].isupper() else words
