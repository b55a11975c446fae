"""The entity table of a generation: every name joined under a canonical one, with user aliases."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    IndexDamagedError,
)
from ..fields import ENTITY_FIELDS

if TYPE_CHECKING:
    from collections.abc import Mapping
from ..engine.documents import split_names
from ..fields import ENTITY_FIELDS as KINDS
from ..prepare.canonical import EntityTable
from .definitions import Location, aliases_path, read_toml
from .manifest import damaged

ENTITY_TABLE = "entities.json"


def load_user_aliases(path: Path) -> dict[str, dict[str, list[str]]]:
    """Read ``indexes/NAME.aliases.toml``: ``[person]`` ``"Canonical Name" = ["Alias", …]``."""
    aliases: dict[str, dict[str, list[str]]] = {}
    for kind, entries in read_toml(path, "aliases file").items():
        if kind not in KINDS or not isinstance(entries, dict):
            raise IndexDamagedError(
                f"{path}: unknown section [{kind}]", "use [person], [org] or [place]"
            )
        aliases[kind] = {
            str(canonical): [str(a) for a in (names if isinstance(names, list) else [names])]
            for canonical, names in entries.items()
        }
    return aliases


def require_entity_table(location: Location, manifest: dict[str, Any]) -> None:
    """Raise :class:`IndexDamagedError` when the current generation's build wrote an entity
    table that is gone (checked when an index is opened; the table is read when needed)."""
    path = location.path / manifest["generation"] / ENTITY_TABLE
    if ENTITY_TABLE in (manifest.get("files") or {}) and not path.is_file():
        raise damaged(location, f"its {ENTITY_TABLE} is missing")


def load_entity_table(location: Location, manifest: dict[str, Any]) -> EntityTable:
    """The entity table saved with the current generation (empty for an index without one)."""
    path = location.path / manifest["generation"] / ENTITY_TABLE
    if not path.is_file():
        require_entity_table(location, manifest)
        return EntityTable()
    try:
        return EntityTable.from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError) as error:
        raise damaged(location, f"unreadable {ENTITY_TABLE}: {error}") from error


class EntityNames:
    """The entity names of an index's articles and the aliases they define, counted from their
    stored fields."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {kind: Counter() for kind in ENTITY_FIELDS}
        self.aliases: set[tuple[str, str, str]] = set()

    def add(self, stored: Mapping[str, Any]) -> None:
        """Count the names of one article's stored fields."""
        for kind in ENTITY_FIELDS:
            self.counts[kind].update(set(split_names(stored.get(kind, ""))))
        for line in stored.get("entity_aliases", "").splitlines():
            kind, alias, name = line.split("\t")
            self.aliases.add((kind, alias, name))


def write_entity_table(
    location: Location, folder: Path, names: EntityNames | None = None
) -> EntityTable:
    """Join the entity names of the index in ``folder`` and save the table beside it.

    ``names`` are those of every article in the index when the build counted them as it wrote
    them; otherwise every stored document is read."""
    if names is None:
        names = EntityNames()
        from ..engine.whoosh.writer import iter_stored  # only builds write tables

        for stored in iter_stored(folder):
            names.add(stored)
    counts, seen_aliases = names.counts, names.aliases
    user_file = aliases_path(location)
    user = load_user_aliases(user_file) if user_file.is_file() else None
    table = EntityTable.build(counts, sorted(seen_aliases), user)
    (folder / ENTITY_TABLE).write_text(
        json.dumps(table.to_json(), ensure_ascii=False, sort_keys=True), "utf-8"
    )
    return table
