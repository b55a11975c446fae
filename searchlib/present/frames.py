"""DataFrames of hits and articles, for analysis in pandas (an optional extra).

Dates become pandas timestamps (``NaT`` for undated articles) so that they sort, filter and
resample; entities stay lists of names, one column per kind (``df.explode("person")`` gives one
row per mention).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..extras import require
from ..fields import ENTITY_FIELDS

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from ..model import Article, Hit

HIT_COLUMNS = ("rank", "id", "title", "date", "score", "snippet", *ENTITY_FIELDS)
ARTICLE_COLUMNS = ("id", "title", "date", "dateline", "source", "line", *ENTITY_FIELDS, "body")


def hits_frame(hits: Iterable[Hit]) -> pd.DataFrame:
    """One row per hit: rank, id, title, date, score, snippet and entities."""
    rows = [
        {
            "rank": hit.rank,
            "id": hit.id,
            "title": hit.title,
            "date": hit.date,
            "score": hit.score,
            "snippet": hit.snippet,
            **{name: list(hit.entities.get(name, [])) for name in ENTITY_FIELDS},
        }
        for hit in hits
    ]
    return _frame(rows, HIT_COLUMNS, "Results.to_pandas()")


def articles_frame(articles: Iterable[Article]) -> pd.DataFrame:
    """One row per article: its stored fields, entities and full text."""
    rows = [
        {
            "id": article.id,
            "title": article.title,
            "date": article.date,
            "dateline": article.dateline,
            "source": article.source,
            "line": article.line,
            **{name: list(getattr(article, name)) for name in ENTITY_FIELDS},
            "body": article.body,
        }
        for article in articles
    ]
    frame = _frame(rows, ARTICLE_COLUMNS, "Index.to_pandas()")
    frame["line"] = frame["line"].astype("Int64")  # a JSONL line number, or <NA>
    return frame


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...], feature: str) -> pd.DataFrame:
    pandas = require("pandas", "pandas", feature)
    frame = pandas.DataFrame(rows, columns=list(columns))
    frame["date"] = pandas.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame
