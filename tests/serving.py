"""Helpers of the serve tests: a real uvicorn server on a free loopback port, and an index of
articles whose ids, titles and text are hostile to HTML, URLs and templates."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import searchlib

# Ids, titles and text that must reach a page only as text: markup, URL syntax, paths,
# template syntax, control characters.
HOSTILE_IDS = [
    '<script>alert("id")</script>',
    "a/b?c=1&d=<i>#frag",
    "../../../etc/passwd",
    "%2e%2e%2fsecret",
]
HOSTILE_ARTICLES = [
    {
        "id": HOSTILE_IDS[0],
        "title": '<img src=x onerror="alert(1)"> Summit {{ 7*7 }}',
        "date": "2024-05-01",
        "text": "The summit </p></textarea><script>alert(2)</script> in Astana went on {{ 7*7 }} "
        "and {% raw %} & \x1b[31m red.\n\nA second paragraph about the summit.",
    },
    {
        "id": HOSTILE_IDS[1],
        "title": '"><svg onload=alert(3)>',
        "date": "2023-02-10",
        "text": "Another summit, with javascript:alert(4) and <a href='javascript:x'>a link</a>.",
    },
    {"id": HOSTILE_IDS[2], "title": "A path for an id", "text": "The summit of paths."},
    {"id": HOSTILE_IDS[3], "title": "Encoded dots", "date": "2022", "text": "Summit, encoded."},
]


def hostile_index(folder: Path) -> Path:
    """Build an index of HOSTILE_ARTICLES in ``folder`` and return its path."""
    source = folder / "hostile.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in HOSTILE_ARTICLES), encoding="utf-8")
    report = searchlib.build(folder / "ix", [source])
    assert report.articles == len(HOSTILE_ARTICLES) and report.skipped == 0
    return folder / "ix"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yield its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
