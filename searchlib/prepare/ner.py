"""Named-entity recognition for news text: find PER, ORG, LOC and MISC mentions in raw text.

Two linear-chain CRFs (python-crfsuite, the engine behind ``nltk.tag.CRFTagger``) over
hand-built features; the second also sees how the first labelled the same words elsewhere in
the document.  The shipped model was trained on CoNLL-2003 train + dev and the train split of
ner-extra (Wikipedia and web text, see ``extra_splits``; UNER's web text weighs
``UNER_WEIGHT``) with::

    nice -n 10 python -m searchlib.prepare.ner_train train \
        --data ../shared/data/conll2003 --with-dev --extra ../shared/data/ner-extra \
        --processes 1 --folds 3 --iterations 120
"""

from __future__ import annotations

import re
import struct
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycrfsuite

from . import spans

DATA_DIR = Path(__file__).parent.parent / "data"
MODEL_PATH = DATA_DIR / "ner.crfsuite"
GAZETTEER_NAME = "ner_gazetteer.txt"
TRUECASE_NAME = "ner_truecase.txt"
CLUSTERS_NAME = "ner_clusters.txt"
NAMES_NAME = "ner_names.txt"
TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True)
class Mention:
    type: str  # "PER" | "ORG" | "LOC" | "MISC"
    text: str  # text[start:end] of the input
    start: int  # character offsets into the input text
    end: int


# --------------------------------------------------------------------------- tokenizing

# Abbreviations that keep their period, so that the period does not end a sentence.
_ABBREVIATIONS = (
    "Mr|Mrs|Ms|Dr|St|Jr|Sr|Inc|Corp|Ltd|Co|Cos|Bros|Gen|Col|Lt|Sgt|Capt|Cmdr|Adm|Gov|Sen|Rep"
    "|Rev|Prof|Pres|Mt|Ft|No|vs|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Ave|Blvd"
)
_TOKEN_PATTERN = rf"""(?x)
    https?://\S+                                # URLs stay whole
  | (?:[A-Za-z]\.){{2,}}(?![A-Za-z])            # dotted acronyms: U.S., U.N.
  | (?i:{_ABBREVIATIONS})\.(?=\s|$)
  | [A-Z]\.(?=\s+[A-Z])                         # middle initials: John F. Kennedy
  | \d+(?:[.,:/]\d+)+                           # 1,000.5  12:30  1/2
  | ['’][sS]\b                                  # possessive clitic, split from the name
  | \w+(?:[-&]\w+|['’](?![sS]\b)\w+)*           # words, Kassym-Jomart, O'Neill, AT&T
  | \S                                          # any other symbol on its own
"""
# Plain ``re`` rather than nltk's RegexpTokenizer: NLTK 3.10 runs every match through a
# ReDoS guard (the ``regex`` engine under a timeout), which made tokenizing 3x slower.  This
# pattern has no nested quantifiers, so it cannot backtrack catastrophically.
_TOKENIZER = re.compile(_TOKEN_PATTERN)

# News text uses typographic characters that CoNLL's Reuters text spells in ASCII.
_NORMALIZE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "`": "'"})
_SENTENCE_END = frozenset({".", "!", "?"})


def _tokenize(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, normalized word) for each token of ``text``."""
    # _NORMALIZE maps characters one for one, so the text can be normalized in one go.
    normalized = text.translate(_NORMALIZE)
    spans = map(re.Match.span, _TOKENIZER.finditer(text))
    return [(start, end, normalized[start:end]) for start, end in spans]


def _sentences(text: str, tokens: list[tuple[int, int, str]]) -> list[list[int]]:
    """Group token indexes into sentences: a line break, or . ! ? before a capital or quote."""
    sentences: list[list[int]] = []
    current: list[int] = []
    for i, (start, _end, word) in enumerate(tokens):
        if current:
            prev_end = tokens[i - 1][1]
            prev_word = tokens[i - 1][2]
            if "\n" in text[prev_end:start] or (
                prev_word in _SENTENCE_END and (word[0].isupper() or word[0] in "\"'")
            ):
                sentences.append(current)
                current = []
        current.append(i)
    if current:
        sentences.append(current)
    return sentences


# --------------------------------------------------------------------------- resources


# Where a neighbour's features go (see _Resources.token_features): two before, one before, one
# after, two after the token.
_OFFSETS = ("-2", "-1", "+1", "+2")


class _Resources:
    """Word lists shipped beside the model, and feature caches that depend on them.

    Features are kept as the UTF-8 bytes crfsuite reads, since it would otherwise encode every
    string of every token on every call.  Given ``known``, the attributes of the models that will
    read the features, features outside it are dropped as they are made: crfsuite skips
    attributes its model does not have, so the labels are the same, and a fifth of the features
    (rare words, word pairs) need not be encoded, copied or looked up.  Order is kept, so that
    crfsuite adds up the weights of the rest in the same order.
    """

    def __init__(self, directory: Path, known: frozenset[str] | None = None) -> None:
        self.known = known
        self.gazetteer = _read_gazetteer(directory / GAZETTEER_NAME)
        # first word -> the lengths of the names it starts, longest first: the only lengths
        # worth looking up for a match starting at that word.
        lengths: dict[str, set[int]] = defaultdict(set)
        for name in self.gazetteer:
            if name:
                lengths[name[0]].add(len(name))
        self.gazetteer_lengths = {w: sorted(n, reverse=True) for w, n in lengths.items()}
        # lower-cased word -> (usual spelling in mixed-case text, how often it is capitalised)
        self.truecase = _read_truecase(directory / TRUECASE_NAME)
        self.clusters = _read_clusters(directory / CLUSTERS_NAME)
        # lower-cased word -> "first", "last" or "first|last": common given names and surnames
        self.names = _read_names(directory / NAMES_NAME)
        # News text repeats words constantly, so per-word features are computed once each.
        self.token_features = lru_cache(maxsize=200_000)(self._token_features)
        # A feature of a token's place (a flag, a gazetteer's or a topic's), as kept: few
        # distinct ones, each asked for at many tokens.
        self.place_feature = lru_cache(maxsize=4096)(self._place_feature)

    def _place_feature(self, feature: str) -> tuple[bytes, ...]:
        return tuple(self.kept((feature,)))

    def kept(self, features: Iterable[str]) -> list[bytes]:
        """``features`` as crfsuite reads them, without those its models do not know."""
        known = self.known
        return [f.encode() for f in features if known is None or f in known]

    def _token_features(self, word: str) -> tuple[tuple[bytes, ...], ...]:
        """What a word contributes wherever it occurs: its own features, then those it gives
        a token as each of its neighbours (in the order of ``_OFFSETS``)."""
        low, shape, clusters = word.lower(), _shape(word), self._cluster(word)
        own = self.kept(("bias", *self._word_features(word, low, shape, clusters)))
        contexts = (
            tuple(self.kept((*_context_features(low, shape, o), o + "c=" + clusters[-1])))
            for o in _OFFSETS
        )
        return tuple(own), *contexts

    def _cluster(self, word: str) -> tuple[str, ...]:
        found = self.clusters.get(word) or self.clusters.get(word.lower())
        return found or self.clusters.get(word.capitalize()) or ("none",)

    def _word_features(
        self, word: str, low: str, shape: str, clusters: tuple[str, ...]
    ) -> tuple[str, ...]:
        features = _word_features(word, low, shape)
        features += tuple(f"c{n}={c}" for n, c in enumerate(clusters))
        casing = self.truecase.get(low)
        features = (*features, "capr=" + (casing[1] if casing else "?"))
        name = self.names.get(low) if word[:1].isupper() else None
        return (*features, "name=" + name) if name else features


def _read_gazetteer(path: Path) -> dict[tuple[str, ...], str]:
    gazetteer: dict[tuple[str, ...], str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            category, name = line.split("\t")
            key = tuple(w.lower() for _s, _e, w in _tokenize(name))
            gazetteer.setdefault(key, category)
    return gazetteer


def _read_truecase(path: Path) -> dict[str, tuple[str, str]]:
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {word.lower(): (word, ratio) for word, ratio in rows}


def _read_names(path: Path) -> dict[str, str]:
    kinds: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            kind, name = line.split("\t")
            kinds[name.lower()].append(kind)
    return {name: "|".join(sorted(k)) for name, k in kinds.items()}


def _read_clusters(path: Path) -> dict[str, tuple[str, ...]]:
    rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
    return {word: tuple(ids) for word, *ids in rows}


def _load_resources(directory: Path, known: frozenset[str] | None = None) -> _Resources:
    return _Resources(directory, known)


# --------------------------------------------------------------------------- features


def _shape(word: str) -> str:
    """Xxxx -> Xx, 1996-08-22 -> d-d-d: character classes with repeats collapsed."""
    out: list[str] = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _word_features(word: str, low: str, shape: str) -> tuple[str, ...]:
    """Features of a word on its own (``low`` is it in lower case, ``shape`` its
    :func:`_shape`); cached because news text repeats words constantly."""
    feats = [
        "w=" + low,
        "sh=" + shape,
        "p1=" + low[:1],
        "p2=" + low[:2],
        "p3=" + low[:3],
        "p4=" + low[:4],
        "s1=" + low[-1:],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "s4=" + low[-4:],
        "len=" + str(min(len(word), 8)),
    ]
    if word[:1].isupper():
        feats.append("title")
    if word.isupper() and len(word) > 1:
        feats.append("upper")
    if any(ch.isdigit() for ch in word):
        feats.append("digit")
    if "-" in word and len(word) > 1:
        feats.append("hyphen")
        feats.append("hyph_last=" + low.rsplit("-", 1)[1])
    if "." in word and len(word) > 1:
        feats.append("dot")
    return tuple(feats)


def _context_features(low: str, shape: str, offset: str) -> tuple[str, ...]:
    """The few features a neighbouring word contributes (in lower case, and its shape),
    tagged with its relative position."""
    return (offset + "w=" + low, offset + "sh=" + shape, offset + "s3=" + low[-3:])


def _is_caps_sentence(words: list[str]) -> bool:
    """Headlines and some datelines are written in capitals, hiding which words are names."""
    alpha = [w for w in words if w.isalpha() or any(ch.isalpha() for ch in w)]
    upper = sum(1 for w in alpha if w.isupper())
    return len(alpha) >= 2 and upper >= 0.8 * len(alpha)


def _is_lower_sentence(words: list[str]) -> bool:
    """Web text is sometimes written all in lower case ("we flew to chicago"), which hides
    names as capitals do."""
    alpha = [w for w in words if any(ch.isalpha() for ch in w)]
    return len(alpha) >= 3 and not any(ch.isupper() for w in alpha for ch in w)


@dataclass
class _Analysis:
    """A tokenized document with the stage-one features of each token, grouped by sentence."""

    tokens: list[tuple[int, int, str]]
    sentences: list[list[int]]
    features: list[list[list[bytes]]]  # as _Resources.kept gives them
    keys: list[list[str]]  # per token: lower-cased name-like word, or "" (see _consistency)


def _dateline(text: str, tokens: list[tuple[int, int, str]], sent: list[int], is_caps: bool) -> int:
    """How many leading tokens of the sentence form a dateline, which names a place even in
    sports stories where the same town names a team everywhere else.

    Reuters: "WIGAN , England 1996-08-31".  Wire stories: "ASTANA – The Senate ...",
    "NUR-SULTAN. KAZINFORM – ...": capitals opening a paragraph, then a dash or a period.
    """
    words = [tokens[i][2] for i in sent]
    if len(words) <= 8 and _shape(words[-1]) in ("d-d-d", "d/d/d"):
        return len(words)
    first = sent[0]
    if is_caps or (first > 0 and "\n" not in text[tokens[first - 1][1] : tokens[first][0]]):
        return 0
    n = 0
    while n < len(words) and (words[n] == "," or (words[n].isupper() and len(words[n]) > 1)):
        n += 1
    return n if 0 < n < len(words) and words[n] in ("-", ".") else 0


def _topic(words: list[str], first_sentence: list[int]) -> str:
    """Reuters-style headlines start with a topic: "SOCCER - JAPAN GET LUCKY WIN"."""
    head = [words[i] for i in first_sentence[:4]]
    if "-" in head[1:] and all(w.isupper() for w in head[: head.index("-", 1)]):
        return " ".join(head[: head.index("-", 1)]).lower()
    return ""


def _analyse(text: str, resources: _Resources) -> _Analysis:
    """Tokenize a document and build the feature lists of every token, one list per sentence."""
    tokens = _tokenize(text)
    sentences = _sentences(text, tokens)
    words = [w for _s, _e, w in tokens]
    caps = [_is_caps_sentence([words[i] for i in sent]) for sent in sentences]
    lower = [_is_lower_sentence([words[i] for i in sent]) for sent in sentences]
    topic = _topic(words, sentences[0]) if sentences else ""

    # How the document itself spells each word where case carries information (mixed-case
    # sentences, not sentence-initial).  Restores case in headlines and tells "The" from a name.
    # (Plain dicts, not Counters: one per distinct word of every document adds up.)
    doc_forms: dict[str, dict[str, int]] = defaultdict(dict)
    # Capitalised words seen inside a longer run of capitalised words elsewhere in the document
    # ("Salem Bitar" ... "Bitar"), which marks them as parts of names.
    run_position: dict[str, set[str]] = defaultdict(set)
    for sent, is_caps, is_lower in zip(sentences, caps, lower, strict=True):
        if is_caps or is_lower:
            continue
        for i in sent[1:]:
            w = words[i]
            if w[:1].isalpha():
                forms = doc_forms[w.lower()]
                forms[w] = forms.get(w, 0) + 1
        run: list[int] = []
        for i in [*sent, -1]:
            if i >= 0 and words[i][:1].isupper() and i != sent[0]:
                run.append(i)
                continue
            if len(run) >= 2:
                run_position[words[run[0]]].add("first")
                run_position[words[run[-1]]].add("last")
            run = []

    truecase = resources.truecase
    # The most frequent form, the first seen among equals (as Counter.most_common(1) gives).
    usual = {low: max(forms, key=forms.__getitem__) for low, forms in doc_forms.items()}

    def feature_word(i: int, in_caps: bool) -> str:
        w = words[i]
        if not (in_caps or (w.isupper() and len(w) > 1)):
            return w
        low = w.lower()
        if low in usual:
            return usual[low]
        return truecase[low][0] if low in truecase else w

    gazetteer, gazetteer_lengths = resources.gazetteer, resources.gazetteer_lengths
    token_features, place_feature, known = (
        resources.token_features,
        resources.place_feature,
        resources.known,
    )
    first, caps_sent, dateline_feature, truecased = map(
        place_feature, ("first", "caps_sent", "dateline", "truecased")
    )
    doc_lower, doc_cap = place_feature("doc=lower"), place_feature("doc=cap")
    topic_feature = place_feature("topic=" + topic) if topic else ()
    out: list[list[list[bytes]]] = []
    keys: list[list[str]] = []
    for sent, is_caps, is_lower in zip(sentences, caps, lower, strict=True):
        n = len(sent)
        fwords = [feature_word(i, is_caps or is_lower) for i in sent]
        lows = [w.lower() for w in fwords]
        keys.append([low if w[:1].isupper() else "" for w, low in zip(fwords, lows, strict=True)])
        gaz = [""] * n
        k = 0
        while k < n:  # longest gazetteer match starting at a capitalised word
            lengths = gazetteer_lengths.get(lows[k], ()) if fwords[k][:1].isupper() else ()
            for length in lengths:
                category = gazetteer.get(tuple(lows[k : k + length])) if length <= n - k else ""
                if category:
                    gaz[k] = "B-" + category
                    for j in range(k + 1, k + length):
                        gaz[j] = "I-" + category
                    k += length
                    break
            else:
                k += 1
        dateline = _dateline(text, tokens, sent, is_caps)
        padded = ["<s>", "<s>", *fwords, "</s>", "</s>"]
        # Token k's own features are at padded[k + 2]; its neighbours' around it.
        table = [token_features(w) for w in padded]
        padded_lows = ["<s>", "<s>", *lows, "</s>", "</s>"]
        sent_feats: list[list[bytes]] = []
        for k, i in enumerate(sent):
            fw = fwords[k]
            original = words[i]
            feats = [
                *table[k + 2][0],
                *table[k][1],
                *table[k + 1][2],
                *table[k + 3][3],
                *table[k + 4][4],
            ]
            # Features of the token's place in this sentence and document, as _Resources.kept
            # gives them (unknown ones left out, in this order): the word pairs are not
            # cacheable, the rest are few.
            low = lows[k]
            pair = "w-1|w=" + padded_lows[k + 1] + "|" + low
            if known is None or pair in known:
                feats.append(pair.encode())
            pair = "w|w+1=" + low + "|" + padded_lows[k + 3]
            if known is None or pair in known:
                feats.append(pair.encode())
            if k == 0:
                feats += first
            if is_caps:
                feats += caps_sent
            if k < dateline:
                feats += dateline_feature
            if original != fw:
                feats += truecased
            if gaz[k]:
                feats += place_feature("gaz=" + gaz[k])
            if fw[:1].isalpha():
                form = usual.get(low)
                if form:
                    feats += doc_lower if form.islower() else doc_cap
                # Sorted: a set's order follows string hashing, which differs between
                # processes, and crfsuite adds the weights in feature order.
                for pos in sorted(run_position.get(fw, ())):
                    feats += place_feature("run=" + pos)
                if topic and fw[:1].isupper():
                    feats += topic_feature
            sent_feats.append(feats)
        out.append(sent_feats)
    return _Analysis(tokens, sentences, out, keys)


def _consistency(
    analysis: _Analysis, labels: list[list[str]], resources: _Resources
) -> list[list[list[bytes]]]:
    """Stage-two features: how stage one labelled the same name elsewhere in the document.

    A name keeps one type throughout a news story, but the local context of each mention is
    often too weak to tell ("Magna rose 2 percent"); the other mentions settle it.
    """
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for sent_keys, sent_labels in zip(analysis.keys, labels, strict=True):
        for key, label in zip(sent_keys, sent_labels, strict=True):
            if key:
                votes[key][label[2:] or "O"] += 1
    # Every mention of a name that stage one labelled alike gets the same features.
    extras: dict[tuple[str, str], list[bytes]] = {}

    def extra(key: str, own: str) -> list[bytes]:
        others = votes[key].copy()
        others[own] -= 1
        ranked = [(n, kind) for kind, n in others.items() if n > 0]
        found: list[str] = []
        if ranked:
            found.append("doc_major=" + max(ranked)[1])
            found += ["doc_any=" + kind for _n, kind in ranked if kind != "O"]
        return resources.kept(found)

    out: list[list[list[bytes]]] = []
    for sent_keys, sent_labels, sent_feats in zip(
        analysis.keys, labels, analysis.features, strict=True
    ):
        new_sent: list[list[bytes]] = []
        for key, label, feats in zip(sent_keys, sent_labels, sent_feats, strict=True):
            if key:
                own = label[2:] or "O"
                if (key, own) not in extras:
                    extras[key, own] = extra(key, own)
                feats = feats + extras[key, own]
            new_sent.append(feats)
        out.append(new_sent)
    return out


# --------------------------------------------------------------------------- inference

STAGE1_NAME = "ner_stage1.crfsuite"


class _Recognizer:
    """Two CRFs: stage one tags each sentence; stage two re-tags it knowing stage one's labels
    for the same names elsewhere in the document."""

    def __init__(self, model_path: Path) -> None:
        self.stage1 = pycrfsuite.Tagger()
        self.stage1.open(str(model_path.with_name(STAGE1_NAME)))
        self.stage2 = pycrfsuite.Tagger()
        self.stage2.open(str(model_path))
        known = _attributes(model_path.with_name(STAGE1_NAME)) | _attributes(model_path)
        self.resources = _load_resources(model_path.parent, known)

    def labels(self, analysis: _Analysis) -> list[list[str]]:
        # Lists, not pycrfsuite.ItemSequence: the tagger copies an ItemSequence before use, so
        # it only pays for a sequence tagged more than once.
        first = [self.stage1.tag(f) for f in analysis.features]
        second = _consistency(analysis, first, self.resources)
        return [self.stage2.tag(f) for f in second]


def _attributes(model: Path) -> frozenset[str]:
    """The attributes a model knows (``tagger.info().attributes``), read from the model file's
    attribute dictionary itself.

    CRFsuite's model header gives the offset of that dictionary (a CQDB: ``"CQDB"``, its size,
    flag, byte order, how many strings and the offset of the table of their offsets); each
    string is stored as its id, its size with the ending NUL, and its bytes. (``info()`` parses
    the text dump of the whole model in Python, weights too, a second or more of each build
    process; and ``Tagger.dump`` closes its file twice, in C and then with ``os.close``, which
    can close a file or socket another thread has just opened under the same number.)"""
    data = model.read_bytes()
    unreadable = ValueError(f"{model} is not a CRFsuite model this version of searchlib reads")
    try:
        magic, _size, _kind, _version, _features, _labels, count, _, _, at = struct.unpack_from(
            "<4sI4sIIIIIII", data, 0
        )
        chunk, _, _, _, strings, table = struct.unpack_from("<4sIIIII", data, at)
        if magic != b"lCRF" or chunk != b"CQDB" or strings != count:
            raise unreadable
        found = []
        for number, offset in enumerate(struct.unpack_from(f"<{strings}I", data, at + table)):
            ident, size = struct.unpack_from("<II", data, at + offset)
            start = at + offset + 8
            if ident != number or start + size > len(data):
                raise unreadable
            found.append(data[start : start + size - 1].decode("utf-8"))
    except (struct.error, UnicodeDecodeError) as error:
        raise unreadable from error
    return frozenset(found)


_recognizers: dict[Path, _Recognizer] = {}
# One thread loads the models at a time (each loaded once per process).
_loading = threading.Lock()


def _recognizer(model_path: Path = MODEL_PATH) -> _Recognizer:
    """Load the models and word lists once per process."""
    found = _recognizers.get(model_path)
    if found is None:
        with _loading:
            found = _recognizers.get(model_path)
            if found is None:
                found = _recognizers[model_path] = _Recognizer(model_path)
    return found


def extract_mentions(text: str, *, model_path: Path = MODEL_PATH) -> list[Mention]:
    """Find the named entities in ``text``, in order of appearance."""
    if not text.strip():
        return []
    recognizer = _recognizer(model_path)
    analysis = _analyse(text, recognizer.resources)
    mentions: list[Mention] = []
    for sent, labels in zip(analysis.sentences, recognizer.labels(analysis), strict=True):
        words = [analysis.tokens[i][2] for i in sent]
        labels = spans.tag_acronyms(words, labels)
        truecase = recognizer.resources.truecase
        decoded = spans.decode(labels)
        joined = spans.join_bodies(words, spans.join_coordinated(words, decoded, truecase))
        for kind, first, last in spans.split_run_ons(text, analysis.tokens, sent, joined, truecase):
            # Entities cannot start with I-, so the CRF sometimes pulls a preceding "the" into
            # a name that begins with a word it saw inside names ("the Muslim World League").
            while first < last and analysis.tokens[sent[first]][2] in spans.LEADING_JUNK:
                first += 1
            kind, first = spans.office_and_head(words, kind, first, last, spans.offices())
            last = spans.with_legal_form(words, labels, kind, last)
            start, end = analysis.tokens[sent[first]][0], analysis.tokens[sent[last]][1]
            mentions.append(Mention(kind, text[start:end], start, end))
    return mentions
