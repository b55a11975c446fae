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

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ArticleNotFoundError,
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    InvalidDateError,
    MissingExtraError,
    NotAnIndexError,
    QuerySyntaxError,
    SearchlibError,
    SourceChangedError,
    SourceError,
    SourceProblemError,
)

# The rest of the API is imported on first use (PEP 562), so that `import searchlib` and the
# command line start fast: a command imports only what it uses.
_LAZY = {
    "Article": ("model", "Article"),
    "Contribution": ("model", "Contribution"),
    "Entity": ("model", "Entity"),
    "FacetValue": ("model", "FacetValue"),
    "Hit": ("model", "Hit"),
    "Results": ("model", "Results"),
    "Story": ("model", "Story"),
    "Problem": ("prepare.sources", "Problem"),
    "Timeline": ("present.timeline", "Timeline"),
    "Index": ("search.index", "Index"),
    "open": ("search.index", "open_index"),
    "BuildReport": ("store.build", "BuildReport"),
    "build": ("store.build", "build"),
    "CheckReport": ("store.check", "CheckReport"),
    "check": ("store.check", "check"),
    "EvalReport": ("evaluation", "EvalReport"),
    "evaluate": ("evaluation", "evaluate_index"),
}

if TYPE_CHECKING:
    from .evaluation import EvalReport
    from .evaluation import evaluate_index as evaluate
    from .model import Article, Contribution, Entity, FacetValue, Hit, Results, Story
    from .prepare.sources import Problem
    from .present.timeline import Timeline
    from .search.index import Index
    from .search.index import open_index as open
    from .store.build import BuildReport, build
    from .store.check import CheckReport, check


def __getattr__(name: str) -> Any:
    """Import a public name of the API when it is first used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'searchlib' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Article",
    "ArticleNotFoundError",
    "BuildReport",
    "CheckReport",
    "Contribution",
    "Entity",
    "EvalReport",
    "FacetValue",
    "Hit",
    "Index",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "InvalidDateError",
    "MissingExtraError",
    "NotAnIndexError",
    "Problem",
    "QuerySyntaxError",
    "Results",
    "SearchlibError",
    "SourceChangedError",
    "SourceError",
    "SourceProblemError",
    "Story",
    "Timeline",
    "build",
    "check",
    "evaluate",
    "open",
]
__version__ = "0.1.0"
