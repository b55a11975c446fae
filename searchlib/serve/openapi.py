"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from .state import FREQS, KINDS, MAX_LIMIT, MAX_QUERY_CHARS, SORTS


def _param(
    name: str, description: str, schema: dict[str, Any], where: str = "query"
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


def describe(indexes: list[str]) -> dict[str, Any]:
    """The description, with the names of the indexes this server serves."""
    index = _param(
        "index", "Which served index (default: the first).", {"type": "string", "enum": indexes}
    )
    query = _param(
        "q",
        "A query in searchlib's query language; empty or * matches all.",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
    )
    filters = [
        _param("from", "Published on or after YYYY[-MM[-DD]].", {"type": "string"}),
        _param("to", "Published on or before YYYY[-MM[-DD]].", {"type": "string"}),
        *(
            _param(
                kind,
                f"Only articles that mention this {kind} (canonical name or alias).",
                {"type": "string"},
            )
            for kind in KINDS
        ),
    ]
    article_id = _param("id", "An article id (URL-encoded).", {"type": "string"}, "path")
    errors = {
        "400": {"$ref": "#/components/responses/Error"},
        "404": {"$ref": "#/components/responses/Error"},
        "503": {"$ref": "#/components/responses/Error"},
    }

    def get(summary: str, parameters: list[dict[str, Any]], schema: str) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{schema}"}
                            }
                        },
                    },
                    **errors,
                },
            }
        }

    facet = {
        "type": "object",
        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
    }
    results = {
        "type": "object",
        "description": "As printed by search --json.",
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": facet}},
            "suggestion": {"type": ["string", "null"]},
            "corrected": {"type": "boolean"},
        },
    }
    entities = {
        "type": "object",
        "properties": {k: {"type": "array", "items": {"type": "string"}} for k in KINDS},
    }
    hit = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "date": {"type": ["string", "null"]},
            "score": {"type": "number"},
            "snippet": {
                "type": "string",
                "description": "Plain text; the query's words marked **like this**.",
            },
            "entities": entities,
        },
    }
    article = {
        "type": "object",
        "description": "As printed by searchlib show --json.",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "date": {"type": ["string", "null"]},
            "dateline": {"type": ["string", "null"]},
            "source": {"type": "string"},
            "line": {"type": ["integer", "null"]},
            "entities": entities,
            "text": {"type": "string"},
        },
    }
    timeline = {
        "type": "object",
        "description": "As printed by searchlib timeline --json.",
        "properties": {
            "query": {"type": "string"},
            "freq": {"type": "string", "enum": list(FREQS)},
            "dated": {"type": "integer"},
            "undated": {"type": "integer"},
            "periods": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"period": {"type": "string"}, "count": {"type": "integer"}},
                },
            },
        },
    }
    entity = {
        "type": "object",
        "description": "As printed by searchlib entities --json.",
        "properties": {
            "type": {"type": "string", "enum": list(KINDS)},
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "ids": {"type": "array", "items": {"type": "string"}},
        },
    }
    profile = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": list(KINDS)},
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "aliases": {"type": "array", "items": {"type": "string"}},
            "timeline": {"$ref": "#/components/schemas/Timeline"},
            "cooccurring": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": facet},
            },
        },
    }
    error = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "message": {"type": "string"},
                    "hint": {"type": "string"},
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "searchlib",
            "version": "0.1.0",
            "description": (
                "Search news archives: the JSON shapes of the searchlib CLI's --json output."
            ),
        },
        "paths": {
            "/api/indexes": get("The indexes served here.", [], "Indexes"),
            "/api/search": get(
                "Ranked hits with snippets, facets and a spelling suggestion.",
                [
                    query,
                    index,
                    *filters,
                    _param(
                        "sort",
                        "relevance or date (newest first).",
                        {"type": "string", "enum": list(SORTS)},
                    ),
                    _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1}),
                    _param(
                        "limit",
                        "Hits per page.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                ],
                "Results",
            ),
            "/api/timeline": get(
                "Matching articles per year or month.",
                [
                    query,
                    index,
                    *filters,
                    _param("freq", "year or month.", {"type": "string", "enum": list(FREQS)}),
                ],
                "Timeline",
            ),
            "/api/entities": get(
                "People, organisations and places, most mentioned first.",
                [
                    index,
                    _param("type", "Only this kind.", {"type": "string", "enum": list(KINDS)}),
                    _param(
                        "limit",
                        "At most this many per kind (default 100).",
                        {"type": "integer", "minimum": 1, "maximum": 1000},
                    ),
                ],
                "Entities",
            ),
            "/api/entities/{kind}/{name}": get(
                "One entity: aliases, article count, timeline and the entities it appears with.",
                [
                    _param(
                        "kind",
                        "person, org or place.",
                        {"type": "string", "enum": list(KINDS)},
                        "path",
                    ),
                    _param(
                        "name", "Canonical name or alias (URL-encoded).", {"type": "string"}, "path"
                    ),
                    index,
                ],
                "EntityProfile",
            ),
            "/api/articles/{id}": get("One article in full.", [article_id, index], "Article"),
            "/api/similar/{id}": get(
                "The articles most like this one.",
                [
                    article_id,
                    index,
                    _param(
                        "limit",
                        "How many.",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                ],
                "Results",
            ),
        },
        "components": {
            "schemas": {
                "Results": results,
                "Hit": hit,
                "Article": article,
                "Timeline": timeline,
                "Entity": entity,
                "Entities": {"type": "array", "items": {"$ref": "#/components/schemas/Entity"}},
                "EntityProfile": profile,
                "Indexes": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
                "Error": error,
            },
            "responses": {
                "Error": {
                    "description": (
                        "The CLI's message and hint. 400: a malformed query or parameter; "
                        "404: an unknown id, entity or index; 503: the index is being built "
                        "(see Retry-After)."
                    ),
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
        },
    }
