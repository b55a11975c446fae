"""Documents: an article as the index's stored fields and back; entity lists joined in one place."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ..fields import ENTITY_FIELDS
from ..model import Article

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def join_names(names: Iterable[str]) -> str:
    """An entity list as one stored field: names joined by commas (a comma in a name becomes a
    space)."""
    return ",".join(name.replace(",", " ") for name in names)


def split_names(text: str) -> list[str]:
    """The names of a stored entity field (the inverse of :func:`join_names`)."""
    return [name.strip() for name in text.split(",") if name.strip()]


def stored_entities(stored: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each entity kind's names as stored for one article (raw, before canonical names)."""
    return {kind: split_names(stored.get(kind, "")) for kind in ENTITY_FIELDS}


def document(article: Article) -> dict[str, str]:
    """The Whoosh document for an article (fields without a value are left out)."""
    from ..prepare.sources import where  # here: searches, which never write, need no readers

    doc = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "dateline": article.dateline,
        "author": article.author,
        "source": where(article.source, article.line, article.entry),
        "content_hash": article.content_hash,
    }
    if article.date:
        doc["date"], doc["year"] = article.date, article.date[:4]
    for name in ENTITY_FIELDS:
        values = getattr(article, name)
        if values:
            doc[name] = join_names(values)
    doc["entity_aliases"] = "\n".join("\t".join(alias) for alias in article.entity_aliases)
    return {key: value for key, value in doc.items() if value}


def article_from_stored(stored: Mapping[str, Any]) -> Article:
    """The article a stored Whoosh document was made from (the inverse of :func:`document`)."""
    source, line, entry = stored.get("source", ""), None, None
    for mark in (":", "#"):
        path, _, number = source.rpartition(mark)
        if path and number.isdigit():
            source = path
            line, entry = (int(number), None) if mark == ":" else (None, int(number))
            break
    entities = {kind: tuple(names) for kind, names in stored_entities(stored).items()}
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        date=stored.get("date"),
        dateline=stored.get("dateline", ""),
        source=source,
        line=line,
        entry=entry,
        author=stored.get("author", ""),
        content_hash=stored.get("content_hash", ""),
        entity_aliases=tuple(
            tuple(line.split("\t")) for line in stored.get("entity_aliases", "").splitlines()
        ),
        **entities,
    )


def document_hash(article: Article) -> str:
    """A hash of everything indexed for an article: equal hashes, equal documents."""
    return hash_document(document(article))


def hash_document(doc: Mapping[str, str]) -> str:
    """The hash of a document as given to the index (see :func:`document_hash`)."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
