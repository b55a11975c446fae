"""The web application: search, article and entity pages and the JSON API over the library.

:func:`create_app` returns a Starlette application; ``searchlib serve`` runs it with uvicorn.
Handlers are plain functions, so Starlette runs them in its thread pool, where searchlib's
thread-local searchers make concurrent searches safe. Nothing from a URL reaches the
filesystem: indexes are chosen by name among those served, static files are kept in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Awaitable, Callable, Iterable
from importlib import resources
from typing import Any

import jinja2
import markupsafe
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import searchlib

from . import openapi
from .additions import EntityNotFoundError, entity_profile, highlight
from .catalog import Catalog, IndexUnavailableError
from .state import (
    FREQS,
    KINDS,
    MAX_DEPTH,
    MAX_LIMIT,
    BadRequestError,
    SearchState,
    choice_param,
    int_param,
    link,
    path_segment,
    text_param,
)

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A URL longer than this is no search anyone typed or clicked.
MAX_TARGET_BYTES = 4096
MAX_ENTITIES = 1000
FACETS_SHOWN = 8
STATIC = {"style.css": "text/css", "keys.js": "text/javascript"}
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; script-src 'self'; "
        b"img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
STATUS = [
    (IndexUnavailableError, 503),
    (searchlib.IndexLockedError, 503),
    (searchlib.QuerySyntaxError, 400),
    (searchlib.InvalidDateError, 400),
    (BadRequestError, 400),
    (searchlib.ArticleNotFoundError, 404),
    (searchlib.IndexNotFoundError, 404),
    (EntityNotFoundError, 404),
]


def status_of(error: searchlib.SearchlibError) -> int:
    """The HTTP status that matches a library error (500 for a failure of the index)."""
    return next((code for kind, code in STATUS if isinstance(error, kind)), 500)


def error_body(error: searchlib.SearchlibError) -> dict[str, Any]:
    """The JSON form of an error: the message and hint the CLI prints."""
    return {"error": {"type": type(error).__name__, "message": error.message, "hint": error.hint}}


def create_app(indexes: Iterable[str | os.PathLike[str]] = ("seeds",)) -> Starlette:
    """A web application that serves these indexes (names or paths), the first by default."""
    return _application(Catalog(indexes))


def _application(catalog: Catalog) -> Starlette:
    templates = jinja2.Environment(
        loader=jinja2.PackageLoader("searchlib.serve", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_printable,
    )
    templates.globals.update(segment=path_segment, link=link, indexes=catalog.names)
    static = {
        name: resources.files(__package__).joinpath(f"static/{name}").read_bytes()
        for name in STATIC
    }

    def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        body = templates.get_template(name).render(request=request, **context)
        return HTMLResponse(body, status_code=code)

    def on_error(request: Request, error: Exception) -> Response:
        if isinstance(error, HTTPException):
            status = error.status_code
            what = f"no page or endpoint at {request.url.path}" if status == 404 else error.detail
            wrapped: searchlib.SearchlibError = searchlib.SearchlibError(
                what, "the pages are / and /article/ID; the API is described at /api/openapi.json"
            )
        elif isinstance(error, searchlib.SearchlibError):
            wrapped, status = error, status_of(error)
        else:
            wrapped = searchlib.SearchlibError(
                "the server failed to answer", "try again; if it persists, see the server's log"
            )
            status = 500
        headers = {"Retry-After": "5"} if status == 503 else None
        if request.url.path.startswith("/api/"):
            return JSONResponse(error_body(wrapped), status_code=status, headers=headers)
        response = page(request, "error.html", status, error=wrapped, status=status)
        if headers:
            response.headers.update(headers)
        return response

    # -- pages ----------------------------------------------------------------------------

    def search_page(request: Request) -> Response:
        state = SearchState.read(request.query_params)
        ix = catalog.get(state.index)
        try:
            results = ix.search(state.q, **state.search_args())
        except (searchlib.QuerySyntaxError, searchlib.InvalidDateError) as error:
            return page(
                request, "search.html", 400, state=state, results=None, error=error, histogram=None
            )
        pages = min(math.ceil(results.total / state.limit), MAX_DEPTH // state.limit)
        return page(
            request,
            "search.html",
            state=state,
            results=results,
            error=None,
            histogram=histogram(results, state, _freq(request)),
            pages=pages,
            page_numbers=page_window(state.page, pages),
            shown=FACETS_SHOWN,
        )

    def article_page(request: Request) -> Response:
        name, ix = served(request)
        article = get_article(ix, name, request.path_params["id"])
        query = text_param(request.query_params, "q", 1000) or ""
        similar = ix.similar(article.id, limit=5)
        return page(
            request,
            "article.html",
            article=article,
            index=name,
            q=query,
            body=paragraphs(highlight(article.body, query)),
            similar=[hit for hit in similar.hits if hit.id != article.id],
        )

    def entity_page(request: Request) -> Response:
        name, ix = served(request)
        profile = entity_profile(
            ix, request.path_params["kind"], request.path_params["name"], index_name=name
        )
        bars = bar_chart(
            profile.timeline,
            lambda p: link("/", index=name, **{profile.kind: profile.name}, **{"from": p, "to": p}),
        )
        return page(request, "entity.html", profile=profile, index=name, histogram=bars)

    def static_file(request: Request) -> Response:
        file = request.path_params["name"]
        if file not in static:
            raise HTTPException(404, f"no static file {file!r}")
        return Response(
            static[file], media_type=STATIC[file], headers={"Cache-Control": "max-age=3600"}
        )

    # -- API ------------------------------------------------------------------------------

    def api_indexes(request: Request) -> Response:
        return JSONResponse([{"name": name} for name in catalog.names])

    def api_search(request: Request) -> Response:
        state = SearchState.read(request.query_params)
        results = catalog.get(state.index).search(state.q, **state.search_args())
        return JSONResponse(results.to_dict())

    def api_timeline(request: Request) -> Response:
        state = SearchState.read(request.query_params)
        freq = choice_param(request.query_params, "freq", FREQS)
        found = catalog.get(state.index).search(
            state.q, limit=1, facet_limit=0, snippets=False, **state.filter_args()
        )
        return JSONResponse(found.timeline(freq).to_dict())

    def api_entities(request: Request) -> Response:
        _, ix = served(request)
        kind = request.query_params.get("type") or None
        if kind is not None:
            kind = choice_param(request.query_params, "type", KINDS)
        most = int_param(request.query_params, "limit", 100, MAX_ENTITIES)
        shown: dict[str, int] = {}
        found = []
        for entity in ix.entities(kind):
            shown[entity.kind] = shown.get(entity.kind, 0) + 1
            if shown[entity.kind] <= most:
                found.append(entity.to_dict())
        return JSONResponse(found)

    def api_entity(request: Request) -> Response:
        name, ix = served(request)
        profile = entity_profile(
            ix, request.path_params["kind"], request.path_params["name"], index_name=name
        )
        return JSONResponse(profile.to_dict())

    def api_article(request: Request) -> Response:
        name, ix = served(request)
        return JSONResponse(get_article(ix, name, request.path_params["id"]).to_dict())

    def api_similar(request: Request) -> Response:
        name, ix = served(request)
        article = get_article(ix, name, request.path_params["id"])
        most = int_param(request.query_params, "limit", 10, MAX_LIMIT)
        return JSONResponse(ix.similar(article.id, limit=most).to_dict())

    def api_openapi(request: Request) -> Response:
        return JSONResponse(openapi.describe(catalog.names))

    def served(request: Request) -> tuple[str, searchlib.Index]:
        name = text_param(request.query_params, "index") or catalog.default
        return name, catalog.get(name)

    routes = [
        Route("/", search_page),
        Route("/article/{id:path}", article_page),
        Route("/entity/{kind}/{name:path}", entity_page),
        Route("/static/{name}", static_file),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/indexes", api_indexes),
        Route("/api/search", api_search),
        Route("/api/timeline", api_timeline),
        Route("/api/entities", api_entities),
        Route("/api/entities/{kind}/{name:path}", api_entity),
        Route("/api/articles/{id:path}", api_article),
        Route("/api/similar/{id:path}", api_similar),
        Route("/api/openapi.json", api_openapi),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            Exception: on_error,
            HTTPException: on_error,
            searchlib.SearchlibError: on_error,
        },
    )
    app.state.catalog = catalog
    app.add_middleware(Guard)
    return app


def _printable(value: Any) -> Any:
    """Text with its control characters removed (HTML forbids them), before escaping; markup
    from a macro is made of text that passed here already."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return _CONTROLS.sub("", value)
    return value


def get_article(ix: searchlib.Index, index_name: str, article_id: str) -> searchlib.Article:
    """The article, or the error ``searchlib show`` gives for an unknown id."""
    article = ix.get(article_id)
    if article is None:
        raise searchlib.ArticleNotFoundError(
            f"no article with id {article_id!r} in index {index_name!r}",
            "find ids with: searchlib search QUERY",
        )
    return article


def page_window(current: int, pages: int, around: int = 2) -> list[int]:
    """Page numbers to link: the first, the last, and a few around the current one."""
    near = range(max(1, current - around), min(pages, current + around) + 1)
    return sorted({1, *near, pages} - {0}) if pages else []


def paragraphs(pieces: list[tuple[str, bool]]) -> list[list[tuple[str, bool]]]:
    """Highlighted pieces split into paragraphs at blank lines."""
    result: list[list[tuple[str, bool]]] = [[]]
    for text, match in pieces:
        if match:
            result[-1].append((text, True))
            continue
        parts = text.split("\n\n")
        for number, part in enumerate(parts):
            if number:
                result.append([])
            if part:
                result[-1].append((part, False))
    return [p for p in result if any(t.strip() for t, _ in p)]


def histogram(
    results: searchlib.Results, state: SearchState, freq: str | None = None
) -> dict[str, Any] | None:
    """The bars of the matches' dates per ``freq``; by default by year, or finer (month, week,
    day) while they span two periods or less."""
    if freq is not None:
        timeline = results.timeline(freq)
    else:
        timeline = results.timeline(FREQS[0])
        for finer in FREQS[1:]:
            if not 0 < len(timeline.counts) <= 2:
                break
            timeline = results.timeline(finer)
    chart = bar_chart(timeline, lambda p: state.url(date_from=_first(p), date_to=_last(p)))
    if chart is not None:
        here = state.url()
        chart["links"] = {f: f"{here}{'&' if '?' in here else '?'}freq={f}" for f in FREQS}
    return chart


def _freq(request: Request) -> str | None:
    """The chart's scale the URL asks for (``freq=``), or ``None`` to choose it."""
    if "freq" not in request.query_params:
        return None
    return choice_param(request.query_params, "freq", FREQS)


def _first(period: str) -> str:
    """The first day of a period as a date filter takes it (an ISO week's Monday)."""
    if "-W" not in period:
        return period
    return dt.date.fromisocalendar(int(period[:4]), int(period[6:8]), 1).isoformat()


def _last(period: str) -> str:
    """The last day of a period as a date filter takes it (an ISO week's Sunday)."""
    if "-W" not in period:
        return period
    return dt.date.fromisocalendar(int(period[:4]), int(period[6:8]), 7).isoformat()


def bar_chart(timeline: searchlib.Timeline, url: Callable[[str], str]) -> dict[str, Any] | None:
    """An SVG bar chart's geometry: one bar per period, each a link that filters on it."""
    if not timeline.counts:
        return None
    most = max(timeline.counts.values())
    width = max(4.0, min(48.0, 640 / len(timeline.counts)))
    bars = [
        {
            "period": period,
            "count": count,
            "x": round(number * width, 1),
            "height": round(96 * count / most, 1),
            "url": url(period),
        }
        for number, (period, count) in enumerate(timeline.counts.items())
    ]
    return {
        "bars": bars,
        "width": round(width * len(bars), 1),
        "bar": round(width * 0.85, 1),
        "labels": width >= 20,
        "freq": timeline.freq,
        "undated": timeline.undated,
        "first": bars[0]["period"],
        "last": bars[-1]["period"],
    }


class Guard:
    """Refuse requests that no page or API call needs (a body, a very long URL) and add the
    security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        problem = None
        if target > MAX_TARGET_BYTES:
            problem = (414, f"the URL is longer than {MAX_TARGET_BYTES} bytes", "shorten the query")
        elif headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
            problem = (413, "requests have no body here", "send a GET request with parameters")
        if problem is not None:
            status, message, hint = problem
            body = json.dumps(error_body(searchlib.SearchlibError(message, hint))).encode()
            await _send_raw(send, status, body)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, secured)


async def _send_raw(send: Callable[[Message], Awaitable[None]], status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
