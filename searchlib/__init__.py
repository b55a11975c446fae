"""searchlib: full-text search for archives of news articles.

Read articles, analyse them with NLTK, index them with Whoosh, and search them with ranked
results, highlighted snippets and facets::

    import searchlib
    ix = searchlib.open("seeds")
    results = ix.search("Astana Declaration", limit=5, date_from="2023")
    for hit in results.hits:
        print(hit.rank, hit.title, hit.date)

In a notebook, results display as HTML; ``results.to_pandas()``, ``ix.to_pandas()`` and
``results.timeline("year").plot()`` need the ``pandas`` and ``plot`` extras.

Never open an index from an untrusted source: Whoosh's own index files use pickle.
"""

from __future__ import annotations

from .errors import (
    ArticleNotFoundError,
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDateError,
    MissingExtraError,
    QuerySyntaxError,
    SearchlibError,
    SourceChangedError,
    SourceError,
    SourceProblemError,
)
from .evaluation import evaluate_index as evaluate
from .model import Article, Contribution, Entity, FacetValue, Hit, Results
from .prepare.sources import Problem
from .present.timeline import Timeline
from .search.index import Index
from .search.index import open_index as open
from .store.build import BuildReport, build
from .store.check import CheckReport, check

__all__ = [
    "Article",
    "ArticleNotFoundError",
    "BuildReport",
    "CheckReport",
    "Contribution",
    "Entity",
    "FacetValue",
    "Hit",
    "Index",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "InvalidDateError",
    "MissingExtraError",
    "Problem",
    "QuerySyntaxError",
    "Results",
    "SearchlibError",
    "SourceChangedError",
    "SourceError",
    "SourceProblemError",
    "Timeline",
    "build",
    "check",
    "evaluate",
    "open",
]
__version__ = "0.1.0"
