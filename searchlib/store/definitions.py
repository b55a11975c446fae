"""Definitions: where indexes live (definitions, ad-hoc folders, the home), and TOML files.

Indexes are defined by ``indexes/NAME.toml``, held in any folder, or kept in the user's home of
indexes (``$SEARCHLIB_HOME``)."""

from __future__ import annotations

import difflib
import json
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

#: The user's own place for indexes, usable from any folder (see :func:`home`).
HOME_VARIABLE = "SEARCHLIB_HOME"


def home() -> Path:
    """Where an index is found by name from any folder: ``$SEARCHLIB_HOME``, else
    ``$XDG_DATA_HOME/searchlib``, else ``~/.local/share/searchlib``. It holds built index
    folders (``HOME/NAME``) and definitions (``HOME/indexes/NAME.toml``), as a project does."""
    chosen = os.environ.get(HOME_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(data).expanduser() / "searchlib"


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


def _definition_folders(start: Path | None = None) -> list[Path]:
    """The ``indexes/`` folders searched for definitions, nearest first: in ``start`` (default:
    the current folder), its parents, then the home (:func:`home`)."""
    folder = (start or Path.cwd()).resolve()
    return [candidate / INDEXES_DIR for candidate in (folder, *folder.parents)] + [
        home() / INDEXES_DIR
    ]


def find_definition(name: str, start: Path | None = None) -> Path | None:
    """Find ``indexes/NAME.toml`` in ``start`` (default: the current folder), its parents or
    the home."""
    for folder in _definition_folders(start):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class Listed:
    """An index that a name finds from here: where it lives, what defines it, whether built."""

    name: str
    path: Path
    definition: Path | None
    built: bool
    articles: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """As in ``searchlib index list --json``."""
        return {
            "name": self.name,
            "path": str(self.path),
            "definition": None if self.definition is None else str(self.definition),
            "built": self.built,
            "articles": self.articles,
        }


def visible_indexes(start: Path | None = None) -> list[Listed]:
    """Every index a plain name finds from ``start`` (default: the current folder): the
    definitions of ``indexes/`` here, in its parents and in the home, and the built folders
    in the home; the nearest of each name only, as :func:`locate` chooses."""
    found: dict[str, Listed] = {}
    for folder in _definition_folders(start):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            name = path.stem
            if name.endswith(".aliases") or name in found:
                continue
            found[name] = _listed(name, folder / name, path)
    place = home()
    for folder in sorted(place.iterdir()) if place.is_dir() else ():
        if folder.name not in found and (folder / MANIFEST).is_file():
            found[folder.name] = _listed(folder.name, folder, None)
    return list(found.values())


def _listed(name: str, folder: Path, definition: Path | None) -> Listed:
    try:
        articles = json.loads((folder / MANIFEST).read_text("utf-8")).get("articles")
        built = True
    except (OSError, ValueError, AttributeError):
        articles, built = None, False
    return Listed(name, folder, definition, built, articles if isinstance(articles, int) else None)


def similar_names(name: str, start: Path | None = None) -> list[str]:
    """The names of visible indexes that look like ``name`` (a typo), most alike first."""
    names = [listed.name for listed in visible_indexes(start)]
    return difflib.get_close_matches(name, names, n=3, cutoff=0.6)


def locate(index: str | os.PathLike[str] = DEFAULT_INDEX) -> Location:
    """Resolve an index given by name (``indexes/NAME.toml``) or by path to its folder.

    A plain name with a definition (here, in a parent folder or in the :func:`home`) wins over
    a folder of the same name, so ``seeds`` means the seeds index even at the root of the
    repository, beside the ``seeds/`` articles; a folder here wins over a built index of that
    name in the home.
    """
    text = os.fspath(index)
    if text and os.sep not in text and "/" not in text and not text.startswith("."):
        definition_path = find_definition(text)
        if definition_path is not None:
            definition = IndexDefinition.load(definition_path)
            return Location(text, definition_path.parent / text, definition)
        in_home = home() / text
        if not Path(text).exists() and (in_home / MANIFEST).is_file():
            return Location(text, in_home.resolve())
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
