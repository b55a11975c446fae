"""Fields: field names and weights, entity kinds and facets, declared once."""

from __future__ import annotations

#: The kinds of named entity an article is tagged with, each a field of the index and a facet;
#: the tagger's types they come from.
ENTITY_FIELDS = ("person", "org", "place")
KIND_OF_TAG = {"PER": "person", "ORG": "org", "LOC": "place"}
#: Text fields: analysed (words, stems) and stored.
TEXT_FIELDS = ("title", "body", "author")
#: Fields a query's words are looked for in, and their BM25F weights.
SEARCH_FIELDS = ("title", "body")
FIELD_WEIGHTS = {"title": 2.0, "body": 1.0}
#: Fields whose query clauses restrict the results instead of ranking them.
RESTRICTION_FIELDS = frozenset({"date", "year", *ENTITY_FIELDS})
#: The facets counted over a search's matches.
FACETS = (*ENTITY_FIELDS, "year")
#: Result orders: by score, newest first, oldest first (undated articles last in both).
SORTS = ("relevance", "date", "date_asc")
#: Characters of an article's text a snippet shows.
SNIPPET_CHARS = 240
