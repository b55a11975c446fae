"""Definitions: where indexes live (``indexes/NAME.toml``, ad-hoc folders), and TOML files."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    IndexDamagedError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


MANIFEST = "searchlib.json"  # (also named in manifest.py)


DEFAULT_INDEX = "seeds"


#: Paths of the form indexes/NAME.toml are looked up from here and from its parents.
INDEXES_DIR = "indexes"


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file of the user's (a definition, an aliases file), or a clear error."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise IndexDamagedError(
            f"cannot read {what} {path}: {error}", "fix the TOML file"
        ) from error


@dataclass(frozen=True)
class IndexDefinition:
    """An index defined in ``indexes/NAME.toml``: its name and where its articles come from.

    Source patterns are relative to the folder that holds the TOML file. ``fields`` maps the
    article fields (id, title, date, text, author) to the keys or columns of JSON, JSON Lines
    and CSV sources, from the optional ``[fields]`` table.
    """

    name: str
    sources: tuple[str, ...]
    base: Path
    description: str = ""
    fields: Mapping[str, str] = field(default_factory=lambda: _field_map(None))

    @classmethod
    def load(cls, path: Path) -> IndexDefinition:
        """Read a definition file, raising :class:`IndexDamagedError` if it is malformed."""
        data = read_toml(path, "index definition")
        sources = data.get("sources")
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise IndexDamagedError(
                f"index definition {path} needs a list of source patterns",
                'add a line such as: sources = ["../seeds/*.txt"]',
            )
        fields = data.get("fields", {})
        try:
            if not isinstance(fields, dict):
                raise ValueError("[fields] must be a table")
            fields = _field_map(fields)
        except ValueError as error:
            raise IndexDamagedError(
                f"index definition {path}: {error}",
                'write it as: [fields] id = "doc_id", text = "body"',
            ) from error
        return cls(
            name=str(data.get("name", path.stem)),
            sources=tuple(sources),
            base=path.parent,
            description=str(data.get("description", "")),
            fields=fields,
        )


@dataclass(frozen=True)
class Location:
    """Where an index lives: its folder, its display name, and its definition if it has one."""

    name: str
    path: Path
    definition: IndexDefinition | None = None

    @property
    def is_built(self) -> bool:
        """True once a build has completed in this folder."""
        return (self.path / MANIFEST).is_file()


def find_definition(name: str, start: Path | None = None) -> Path | None:
    """Find ``indexes/NAME.toml`` in ``start`` (default: the current folder) or its parents."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / INDEXES_DIR / f"{name}.toml"
        if path.is_file():
            return path
    return None


def locate(index: str | os.PathLike[str] = DEFAULT_INDEX) -> Location:
    """Resolve an index given by name (``indexes/NAME.toml``) or by path to its folder.

    A plain name with a definition wins over a folder of the same name, so ``seeds`` means the
    seeds index even at the root of the repository, beside the ``seeds/`` articles.
    """
    text = os.fspath(index)
    if text and os.sep not in text and "/" not in text and not text.startswith("."):
        definition_path = find_definition(text)
        if definition_path is not None:
            definition = IndexDefinition.load(definition_path)
            return Location(text, definition_path.parent / text, definition)
    path = Path(text).expanduser()
    return Location(text, path.resolve() if path.exists() else path.absolute())


def aliases_path(location: Location) -> Path:
    """Where the user's own entity aliases live: ``indexes/NAME.aliases.toml`` beside the
    definition, or ``aliases.toml`` in an ad-hoc index's folder."""
    if location.definition is not None:
        return location.definition.base / f"{location.definition.name}.aliases.toml"
    return location.path / "aliases.toml"


def _field_map(mapping: Mapping[str, Any] | None) -> dict[str, str]:
    from ..prepare.sources import field_map  # here: opening an index for search reads no sources

    return field_map(mapping)
