"""searchlib: full-text search for archives of news articles.

Read articles, analyse them with NLTK, index them with Whoosh, and search them with ranked
results, highlighted snippets and facets::

    import searchlib
    ix = searchlib.open("seeds")
    results = ix.search("Astana Declaration", limit=5, date_from="2023")
    for hit in results.hits:
        print(hit.rank, hit.title, hit.date)

Never open an index from an untrusted source: Whoosh's own index files use pickle.
"""

from __future__ import annotations

from .analysis import Article
from .errors import (
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDateError,
    QuerySyntaxError,
    SearchlibError,
    SourceError,
    SourceProblemError,
)
from .index import BuildReport, CheckReport, build, check
from .search import FacetValue, Hit, Index, Results
from .search import open_index as open
from .sources import Problem

__all__ = [
    "Article",
    "BuildReport",
    "CheckReport",
    "FacetValue",
    "Hit",
    "Index",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "InvalidDateError",
    "Problem",
    "QuerySyntaxError",
    "Results",
    "SearchlibError",
    "SourceError",
    "SourceProblemError",
    "build",
    "check",
    "open",
]
__version__ = "0.1.0"
