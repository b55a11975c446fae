"""The entity table: every name an index's articles hold, mapped to its canonical name.

:mod:`searchlib.prepare.entities` joins the names (:meth:`EntityTable.build`); a search only
reads the table a build saved, so this module imports the joining rules, the mention rules and
the gazetteer only when a table is built or a name is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..fields import ENTITY_FIELDS as KINDS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


@dataclass
class EntityTable:
    """Canonical names across an index: every name seen maps to one canonical name.

    ``names[kind][raw] = canonical``; ``aliases[kind][canonical]`` lists the other names and
    aliases it answers to.
    """

    names: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    aliases: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {k: {} for k in KINDS})

    def canonical(self, kind: str, name: str) -> str | None:
        """The canonical name that ``name`` (a canonical name or any alias, any case) means."""
        from .entities import spelling_variants
        from .places import canonical_place, key

        wanted = key(name)
        for raw, canonical in self.names[kind].items():
            if key(raw) == wanted:
                return canonical
        for canonical, others in self.aliases[kind].items():
            if wanted == key(canonical) or any(key(o) == wanted for o in others):
                return canonical
        if kind == "place" and key(canonical_place(name)) != wanted:
            return self.canonical(kind, canonical_place(name))  # another name of a place
        if kind == "person" and len(name.split()) == 1:
            # A surname alone, or a spelling of it, that fits exactly one person of the index.
            fits = {
                canonical
                for raw, canonical in self.names[kind].items()
                if spelling_variants(raw.split()[-1], name) or key(raw.split()[-1]) == wanted
            }
            if len(fits) == 1:
                return fits.pop()
        return None

    def variants(self, kind: str, canonical: str) -> list[str]:
        """Every raw name stored in articles that means ``canonical``."""
        return sorted(raw for raw, c in self.names[kind].items() if c == canonical)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (saved beside the index)."""
        return {"names": self.names, "aliases": self.aliases}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityTable:
        """Read the form :meth:`to_json` wrote."""
        return cls(
            names={k: dict(data["names"].get(k, {})) for k in KINDS},
            aliases={k: {c: list(a) for c, a in data["aliases"].get(k, {}).items()} for k in KINDS},
        )

    @classmethod
    def build(
        cls,
        counts: Mapping[str, Mapping[str, int]],
        seen_aliases: Iterable[tuple[str, str, str]] = (),
        user_aliases: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
    ) -> EntityTable:
        """Join the names of an index.

        ``counts[kind][name]`` is how many articles store ``name``; ``seen_aliases`` are the
        ``(kind, alias, name)`` pairs articles defined; ``user_aliases[kind][canonical]`` lists
        names the user says mean ``canonical``.
        """
        from .entities import join_names

        table = cls()
        for kind in KINDS:
            kind_counts = dict(counts.get(kind, {}))
            user = {c: list(a) for c, a in (user_aliases or {}).get(kind, {}).items()}
            pairs = [(alias, name) for k, alias, name in seen_aliases if k == kind]
            table.names[kind], table.aliases[kind] = join_names(kind, kind_counts, pairs, user)
        return table
