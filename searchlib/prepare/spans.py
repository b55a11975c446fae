"""Spans: rules that mend the tagger's entity spans (acronyms, joins, run-ons, offices, forms).

The CRF labels each word; these rules, applied to its spans in :func:`~searchlib.prepare.ner.
extract_mentions`, fix what it gets wrong in ways its training corpora agree on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent.parent / "data"


def decode(labels: list[str]) -> Iterator[tuple[str, int, int]]:
    """Decode BIO labels into (type, first, last) token positions; a stray I- opens a span."""
    start, kind = -1, ""
    for k, label in enumerate([*labels, "O"]):
        prefix, _, typ = label.partition("-")
        if kind and (prefix != "I" or typ != kind):
            yield kind, start, k - 1
            kind = ""
        if prefix in ("B", "I") and not kind:
            start, kind = k, typ


def tag_acronyms(words: list[str], labels: list[str]) -> list[str]:
    """Give "Muslim World League ( MWL )"'s acronym the type of the name it abbreviates.

    The acronym is the same entity by definition, but alone it has no context the CRF can use:
    untagged, or tagged on its own with another type, it takes the name's.
    """
    labels = list(labels)
    for kind, first, last in list(decode(labels)):
        if last + 3 < len(words) and words[last + 1] == "(" and words[last + 3] == ")":
            initials = "".join(w[0] for w in words[first : last + 1] if w[:1].isupper())
            alone = labels[last + 2][:2] in ("O", "B-") and labels[last + 3][:2] != "I-"
            if alone and len(initials) > 1 and words[last + 2] == initials:
                labels[last + 2] = "B-" + kind
    return labels


def join_coordinated(
    words: list[str],
    spans: Iterable[tuple[str, int, int]],
    truecase: dict[str, tuple[str, str]],
) -> Iterator[tuple[str, int, int]]:
    """Join "Congress of Leaders of World" and "Traditional Religions" across their "and":
    the second is made of ordinary words (written in lower case elsewhere), so it is the end
    of an "X of Y and Z" name, not a name of its own ("Bank of England and Barclays")."""
    pending: tuple[str, int, int] | None = None
    for span in spans:
        if pending:
            kind, first, last = pending
            ordinary = all(
                truecase.get(w.lower(), ("", "3"))[1] in ("0", "1")
                for w in words[span[1] : span[2] + 1]
            )
            if (
                span[0] == kind != "PER"
                and span[1] == last + 2
                and words[last + 1] in ("and", "&")
                and "of" in words[first:last]
                and ordinary
            ):
                pending = (kind, first, span[2])
                continue
            yield pending
        pending = span
    if pending:
        yield pending


def split_run_ons(
    text: str,
    tokens: list[tuple[int, int, str]],
    sent: list[int],
    spans: Iterable[tuple[str, int, int]],
    truecase: dict[str, tuple[str, str]],
) -> Iterator[tuple[str, int, int]]:
    """Split spans that run two names together, as Wikipedia-trained models tend to.

    - At an en or em dash between spaces ("ASTANA – The Center"): punctuation between
      names, never inside one.  (Not at a spaced hyphen: tokenized corpora write "al-Janabi"
      as "al - Janabi".)
    - Before a trailing person's name after an "X of Y" organisation or place with no comma
      ("the Senate of the Kazakh Parliament Maulen Ashimbayev"): two or three capitalised
      words that no training or archive text had, after a word that it had, are a person.
    """
    for kind, first, last in spans:
        parts, start = [], first
        for k in range(first + 1, last):
            s, e, _word = tokens[sent[k]]
            if text[s:e] in ("–", "—") and text[s - 1 : s].isspace() and text[e : e + 1].isspace():
                parts.append((start, k - 1))
                start = k + 1
        parts.append((start, last))
        for a, b in parts:
            words = [tokens[sent[k]][2] for k in range(a, b + 1)]
            for size in (3, 2):
                head, tail = words[:-size], words[-size:]
                if (
                    kind != "PER"
                    and len(head) >= 2
                    and head[-1].lower() in truecase
                    and any(w.islower() for w in head)
                    and all(w[:1].isupper() and w.lower() not in truecase for w in tail)
                ):
                    yield kind, a, b - size
                    yield "PER", b - size + 1, b
                    break
            else:
                yield kind, a, b


LEGAL_FORMS = frozenset(
    {"inc", "inc.", "corp", "corp.", "co.", "ltd", "ltd.", "llc", "llp", "plc", "l.p.", "pc"}
)


@lru_cache(maxsize=1)
def offices() -> frozenset[str]:
    lines = (DATA_DIR / "offices.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def with_legal_form(words: list[str], labels: list[str], kind: str, last: int) -> int:
    """The last token of an organisation with its legal form after a comma ("Enron Net Works,
    LLC"), which every training corpus counts as part of the name but the CRF often leaves."""
    if kind != "ORG":
        return last
    k = last + 1
    if k + 1 < len(words) and words[k] == "," and labels[k] == "O":
        k += 1
    legal = k < len(words) and words[k].lower() in LEGAL_FORMS and words[k][:1].isupper()
    return k if legal and labels[k] == "O" else last


# Heads of "X of Y" names that make them organisations ("Council of Europe", "Congress of
# Leaders of ..."), whatever type the CRF gave the span; an office heading the span ("Head of
# the Secretariat of ...") is not part of the name.
ORG_HEADS = frozenset(
    [
        "congress",
        "council",
        "secretariat",
        "ministry",
        "department",
        "committee",
        "commission",
        "association",
        "federation",
        "university",
        "institute",
        "organization",
        "organisation",
        "agency",
        "assembly",
        "parliament",
        "senate",
        "foundation",
        "academy",
        "court",
        "bank",
    ]
)


def office_and_head(
    words: list[str], kind: str, first: int, last: int, offices: frozenset[str]
) -> tuple[str, int]:
    """Drop an office and its "of (the)" from the front of a span; type an "X of Y" span
    headed by an organisation word as ORG."""
    if kind == "PER":
        return kind, first
    k = first
    while k + 2 <= last and words[k].lower() in offices and words[k + 1] == "of":
        k += 3 if words[k + 2].lower() == "the" and k + 3 <= last else 2
    if k + 2 <= last and words[k].lower() in ORG_HEADS and words[k + 1] == "of":
        kind = "ORG"
    return kind, k


def join_bodies(
    words: list[str], spans: Iterable[tuple[str, int, int]]
) -> Iterator[tuple[str, int, int]]:
    """Join a body and the institution it belongs to across their "of (the)" ("Senate" "of
    the" "Parliament of the Republic of Kazakhstan"): a name ending in an organisation's head
    word, then "of", names one organisation with what follows, which the CRF often cuts."""
    pending: tuple[str, int, int] | None = None
    for span in spans:
        if pending:
            kind, first, last = pending
            gap = words[last + 1 : span[1]]
            if (
                kind != "PER"
                and span[0] in ("ORG", "LOC")
                and words[last].lower() in ORG_HEADS
                and gap in (["of"], ["of", "the"])
            ):
                pending = ("ORG", first, span[2])
                continue
            yield pending
        pending = span
    if pending:
        yield pending


LEADING_JUNK = frozenset({"the", "a", "an", "of", "and", "in", "on", "at", "for", "to", "by"})
