"""``searchlib serve`` on the command line: a real subprocess that serves the seeds of a fresh
copy of the project on a free port, warns about exposed hosts and refuses unknown indexes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="needs the serve extra: pip install -e '.[serve]'")

from .serving import free_port

SEARCHLIB = [sys.executable, "-m", "searchlib"]


@pytest.mark.slow
def test_serve_starts_on_loopback_and_builds_the_seeds_first(project: Path):
    port = free_port()
    server = subprocess.Popen(
        [*SEARCHLIB, "serve", "--port", str(port)],
        cwd=project,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline, answer = time.monotonic() + 120, None
        while answer is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=Astana") as r:
                    answer = json.load(r)
            except urllib.error.HTTPError as error:
                assert error.code == 503  # still building: the only answer before 200
                time.sleep(0.2)
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.2)
        assert answer is not None and answer["total"] == 4
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert f"Serving seeds at http://127.0.0.1:{port}/" in stderr
    assert "Warning" not in stderr


def test_serve_refuses_an_unknown_index_before_listening(tmp_path: Path):
    result = subprocess.run(
        [*SEARCHLIB, "serve", "--index", str(tmp_path / "nope"), "--port", str(free_port())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: no index named")


def test_serve_warns_when_it_listens_beyond_this_machine(tmp_path: Path):
    # An unknown index stops it right after the warning, so nothing listens on 0.0.0.0.
    result = subprocess.run(
        [*SEARCHLIB, "serve", "--host", "0.0.0.0", "--index", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Warning: --host 0.0.0.0 lets other machines read the served archives" in result.stderr
    assert result.returncode == 2
