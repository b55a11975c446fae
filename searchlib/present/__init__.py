"""Present: renderings of results for people (HTML, DataFrames, timelines, the terminal)."""

from __future__ import annotations


def quoted(query: str, left: str = '"', right: str = '"') -> str:
    """A query between quotes for a heading, unless it holds double quotes of its own
    (``"Tony Blair" Iraq war``), which would look doubled."""
    return query if '"' in query else f"{left}{query}{right}"
