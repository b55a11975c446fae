"""Edits the build benchmarks make to a copy of a JSON Lines source between builds.

No imports of searchlib here: ``size_builds.py`` runs against another checkout's searchlib
(``PYTHONPATH=CHECKOUT``), so what it shares with ``build.py`` must not put this one first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: The line whose story is changed (any line of Reuters-21578's 19,779 would do).
CHANGED_LINE = 9000


def change_one_story(source: Path, mtime: float) -> list[str]:
    """Add a sentence to one story of ``source`` and date the file ``mtime`` (a build then
    sees it changed); returns the file's lines after the change."""
    lines = source.read_text("utf-8").splitlines()
    story = json.loads(lines[CHANGED_LINE])
    story["text"] += " A sentence added by the benchmark."
    lines[CHANGED_LINE] = json.dumps(story)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(source, (mtime, mtime))
    return lines
