"""The Whoosh engine: one generation searched with Whoosh's matchers and stored fields."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import whoosh
from whoosh import query as wq
from whoosh.sorting import FieldFacet, QueryFacet, ScoreFacet

from ...fields import SEARCH_FIELDS
from ...model import Contribution
from .. import spelling
from ..facets import FacetColumns, distinct
from ..sidecar.files import read_columns
from . import patches, ranking
from .query import (
    bound_cost,
    build_filter,
    parse_query,
    query_terms,
    text_of,
    with_entity_names,
)
from .storage import allow_open_files

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from whoosh.searching import Searcher

    from .. import Ranked, Request
    from ..sidecar.positions import PhraseScorer

_WHOOSH_DIR = os.path.dirname(whoosh.__file__)
#: Terms longer than this are in no index (a query's words are checked before, see
#: searchlib.search.query.check_size).
MAX_TERM = 1000
#: Spelling needs exact counts of rare words only (see searchlib.search.spelling.RARE).
EXACT_FREQUENCY = 100


def raised_inside(error: BaseException) -> bool:
    """True when ``error`` was raised inside Whoosh's code (a damaged segment file, mostly)."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_WHOOSH_DIR):
            return True
        tb = tb.tb_next
    return False


class WhooshEngine:
    """One generation of an index, searched with Whoosh.

    Safe to share between threads: each thread gets its own Whoosh searcher (Whoosh's are not).
    """

    name = "whoosh"

    def __init__(
        self,
        folder: Path,
        names: Callable[[], Mapping[str, Mapping[str, str]]],
        generation: str | None = None,
    ) -> None:
        """Open generation ``folder``; ``names`` gives the entity table's names (raw name to
        canonical, per kind) when the facet columns are not saved with the generation."""
        patches.apply()
        allow_open_files(sum(1 for _ in folder.glob("*.seg")))
        from whoosh import index as whoosh_index

        self.folder = folder
        self.generation = generation or folder.name
        self.names = names
        self._store = whoosh_index.open_dir(str(folder))
        # Opening a reader opens every segment file now, so a truncated or missing segment is
        # reported here rather than in the middle of a search.
        with self._store.reader() as reader:
            self.docs_all = reader.doc_count_all()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._columns: FacetColumns | None = None
        self._phrases: PhraseScorer | None = None
        self._phrases_loaded = False
        self.speller = spelling.Speller.load(folder, self.generation)

    # -- lifecycle ---------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """This thread's searcher of this generation."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._store.searcher(weighting=ranking.BM25())
            setattr(searcher, patches.PHRASE_MATCHES, self.phrase_matches)
            self._local.searcher = searcher
        return searcher

    def phrase_matches(self, phrase: wq.Phrase) -> tuple[np.ndarray, np.ndarray] | None:
        """``(docnums, scores)`` of a phrase in a field Whoosh keeps no positions of, from the
        sidecar's positions; ``None`` when the generation has no current sidecar."""
        scorer = self.phrase_scorer()
        return None if scorer is None else scorer.scores(phrase)

    def phrase_scorer(self) -> PhraseScorer | None:
        """The generation's phrases from the sidecar's positions (loaded on first use)."""
        if self._phrases_loaded:  # (asked once per segment of every phrase: no lock then)
            return self._phrases
        with self._lock:
            if not self._phrases_loaded:
                from ..sidecar.files import load
                from ..sidecar.positions import PhraseScorer

                sidecar = load(self.folder, self.generation, self.docs_all)
                self._phrases = (
                    None
                    if sidecar is None
                    else PhraseScorer(sidecar.fields, sidecar.row, sidecar.docs_all)
                )
                self._phrases_loaded = True
            return self._phrases

    def close(self) -> None:
        """Close this thread's searcher (it reopens on demand)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    def doc_count(self) -> int:
        """How many (live) articles the generation holds."""
        return int(self.searcher().doc_count())

    # -- queries -----------------------------------------------------------------------------

    def parse(self, text: str, variants: Callable[[str, str], list[str] | None]) -> Any:
        """The query for ``text``; entity clauses match every name the entity goes by."""
        searcher = self.searcher()
        parsed = parse_query(text, searcher.schema)
        return with_entity_names(bound_cost(parsed, searcher.reader(), self.speller), variants)

    def filter(self, date_from: Any, date_to: Any, entities: Mapping[str, Any]) -> Any:
        """The filter for dates and entity names (``None``: nothing filtered)."""
        return build_filter(date_from, date_to, **entities)

    def run(self, parsed: Any, flt: Any, asked: Request) -> Ranked:
        """Rank the matches of ``parsed`` within ``flt``: the page asked for, the total, and
        the facets and dates of every match."""
        from .. import Ranked

        searcher = self.searcher()
        matching = parsed if flt is None else wq.And([parsed, flt])
        docnums = sorted(searcher.docs_for_query(matching))
        ranked = ranking.expand(searcher, parsed, flt)  # feedback reorders matches, adds none
        # Ties are broken by id, so the order does not depend on where an article sits in the
        # index: a full build writes articles in file order, an incremental one appends them.
        order = [ScoreFacet(), FieldFacet("id")]
        if asked.sort == "date":
            order.insert(0, FieldFacet("date", reverse=True))
        elif asked.sort == "date_asc":  # oldest first, and undated articles still last
            order[:0] = [QueryFacet({0: wq.Every("date")}, other=1), FieldFacet("date")]
        found = searcher.search(ranked, filter=flt, limit=asked.wanted, sortedby=order)
        # Whoosh's sort key holds -score where the ScoreFacet is in ``order``.
        scored = [(docnum, -key[-2]) for docnum, key in list(found.items())[asked.first - 1 :]]
        return Ranked(scored, len(docnums), ranked, *self.counts(docnums, asked.facet_limit))

    def terms(self, parsed: Any) -> set[str]:
        """The words of a query that snippets highlight."""
        return query_terms(parsed)

    def explain(self, parsed: Any, docnum: int) -> list[Contribution]:
        """What each leaf clause of ``parsed`` (a term, a phrase…) adds to ``docnum``'s score.

        Whoosh has no explain API: each clause is scored on its own with the searcher's
        weighting, and for the bag-of-words queries searchlib builds the contributions add up
        to the score.
        """
        searcher = self.searcher()
        contributions = []
        context = searcher.context()
        for leaf in parsed.leaves():
            name = getattr(leaf, "fieldname", None)
            if name not in SEARCH_FIELDS:
                continue
            matcher = leaf.matcher(searcher, context)
            if matcher.is_active():
                matcher.skip_to(docnum)
            if not matcher.is_active() or matcher.id() != docnum:
                continue
            frequency = None
            if isinstance(leaf, wq.Term):  # (its weight: every boost is 1)
                frequency = int(matcher.weight())
            if isinstance(leaf, wq.Phrase):
                clause = '"' + " ".join(leaf.words) + '"'
            else:
                clause = text_of(getattr(leaf, "text", "")) or str(leaf)
            contributions.append(Contribution(name, clause, float(matcher.score()), frequency))
        return sorted(contributions, key=lambda c: -c.score)

    def similar(self, docnum: int, limit: int, terms: int) -> tuple[list[tuple[int, float]], Any]:
        """The articles most like ``docnum`` by its ``terms`` most distinctive body words, and
        the query of those words."""
        found = self.searcher().more_like(docnum, "body", top=limit, numterms=terms, normalize=True)
        # The key terms Whoosh's more_like chose are the terms of the query it ran.
        words = sorted({text_of(text) for name, text in found.q.iter_all_terms() if name == "body"})
        return list(found.items()), wq.Or([wq.Term("body", word) for word in words])

    # -- spelling (see searchlib.search.spelling) -------------------------------------------

    def frequency(self, term: str) -> int:
        """How many articles hold the analysed word ``term`` in title or body: exact up to
        :data:`EXACT_FREQUENCY` (as the sidecar counts), else the larger field's count (at
        most that many postings are read)."""
        if len(term) > MAX_TERM:
            return 0
        reader = self.searcher().reader()
        most = max(reader.doc_frequency(name, term) for name in SEARCH_FIELDS)
        return len(self.docs_of(term)) if 0 < most <= EXACT_FREQUENCY else most

    def candidates(self, forms: Iterable[str], edits: int) -> list[spelling.Candidate]:
        """The index's words (as written) within ``edits`` edits of any of ``forms``."""
        return self.speller.candidates(forms, edits) if self.speller is not None else []

    def together(self, terms: list[str], others: list[str]) -> tuple[list[int], int]:
        """How many articles hold each of ``terms`` and any of ``others``; how many any."""
        return spelling.together(self.docs_of, terms, others, self.docs_all)

    def docs_of(self, term: str) -> np.ndarray:
        """The articles that hold the analysed word ``term`` in title or body."""
        if len(term) > MAX_TERM:
            return np.zeros(0, np.int64)
        reader = self.searcher().reader()
        found = [
            np.fromiter(reader.postings(name, term).all_ids(), np.int64)
            for name in SEARCH_FIELDS
            if (name, term) in reader
        ]
        return distinct(np.sort(np.concatenate(found))) if found else np.zeros(0, np.int64)

    # -- facets ------------------------------------------------------------------------------

    def counts(self, docnums: Any, most: int) -> tuple[dict[str, Any], Any]:
        """The facets of these articles and a function that counts their dates."""
        columns = self.facet_columns()
        found = np.asarray(docnums, np.int64)
        return columns.facets(found, most), lambda: columns.dates(found)

    def facet_columns(self) -> FacetColumns:
        """The facet columns of this generation: those saved with it, else made from the
        stored fields once."""
        if self._columns is None:
            with self._lock:
                if self._columns is None:
                    saved = FacetColumns.load(self.folder, self.generation, self.docs_all)
                    if saved is None:
                        read = read_columns(self.searcher().reader(), self.docs_all)
                        saved = FacetColumns.build(read.dates, read.entities(), self.names())
                    self._columns = saved
        return self._columns

    # -- stored articles ---------------------------------------------------------------------

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of article ``docnum``."""
        return dict(self.searcher().stored_fields(docnum))

    def docnum(self, article_id: str) -> int | None:
        """The number of the article with this id, or ``None``."""
        found = self.searcher().document_number(id=article_id)
        return None if found is None else int(found)

    def article_ids(self) -> np.ndarray:
        """Every article's id by number (``""`` for a deleted one), from the id column: a
        million lookups by id, one per article, took six minutes in 100 segments."""
        reader = self.searcher().reader()
        if reader.has_column("id"):
            ids = np.array(list(reader.column_reader("id")), dtype=str)
        else:
            ids = np.array([stored.get("id", "") for stored in reader.all_stored_fields()])
        if reader.has_deletions():
            live = np.zeros(len(ids), bool)
            live[np.fromiter(reader.all_doc_ids(), np.int64)] = True
            ids[~live] = ""
        return ids

    def document(self, article_id: str) -> dict[str, Any] | None:
        """The stored fields of the article with this id, or ``None``."""
        stored = self.searcher().document(id=article_id)
        return None if stored is None else dict(stored)

    def iter_stored(self) -> Iterator[dict[str, Any]]:
        """Every live article's stored fields, in index order."""
        for _, stored in self.searcher().reader().iter_docs():
            yield stored

    def stats(self) -> dict[str, Any]:
        """Counts of articles, dates and terms."""
        searcher = self.searcher()
        dates = [text_of(term) for term in searcher.lexicon("date")]
        dated = sum(searcher.doc_frequency("date", d) for d in dates)
        return {
            "articles": searcher.doc_count(),
            "dated": dated,
            "undated": searcher.doc_count() - dated,
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
            "terms": self.body_terms(),
        }

    def body_terms(self) -> int:
        """How many distinct words the articles' bodies hold (as indexed: stemmed)."""
        return sum(1 for _ in self.searcher().lexicon("body"))
