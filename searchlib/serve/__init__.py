"""``searchlib serve``: the archive in a browser, and a JSON API, from one command.

Search, article and entity pages and the JSON API. Needs the ``serve`` extra
(``pip install -e ".[serve]"``)::

    from searchlib.serve import create_app, run
    app = create_app(["seeds"])        # an ASGI application, for any ASGI server
    run(["seeds"], port=8080)          # or serve it with uvicorn on 127.0.0.1
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..extras import require

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["create_app", "run"]

# More requests at once than this are answered 503 by uvicorn instead of queueing without end.
MAX_CONCURRENT = 64


def _require_extra() -> None:
    for module in ("starlette", "uvicorn", "jinja2"):
        require(module, "serve", "searchlib serve")


def create_app(indexes: Iterable[str | os.PathLike[str]] = ("seeds",)) -> Starlette:
    """The Starlette application that serves these indexes (names or paths), the first by
    default; an index defined but never built is built in the background meanwhile."""
    _require_extra()
    from .app import create_app as make

    return make(indexes)


def run(
    indexes: Iterable[str | os.PathLike[str]] = ("seeds",),
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    wait: float = 2.0,
    ready: Callable[[str, list[str]], None] | None = None,
) -> None:
    """Serve the indexes with uvicorn until interrupted.

    An unknown index raises its error before the server starts; one still being built after
    ``wait`` seconds is answered with 503 until it is ready. ``ready`` is called with the
    server's address and the indexes' names once they are checked.
    """
    app = create_app(indexes)
    failed = app.state.catalog.wait(wait)
    if failed:
        raise next(iter(failed.values()))
    import uvicorn

    if ready is not None:
        shown = f"[{host}]" if ":" in host else host
        ready(f"http://{shown}:{port}/", app.state.catalog.names)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        limit_concurrency=MAX_CONCURRENT,
        log_level="warning",
    )
