"""Verify: what a deep check finds wrong inside a sidecar's arrays (ids out of range, rows).

:func:`searchlib.engine.sidecar.files.load` does not read them whole to look for such damage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .files import PREFIX, load

if TYPE_CHECKING:
    from pathlib import Path


def sidecar_damage(folder: Path, generation: str, docs_all: int) -> list[str]:
    """One line per sidecar array of generation ``folder`` whose ids point outside the index
    (nothing when it is sound, or has no current sidecar: searches then use Whoosh)."""
    sidecar = load(folder, generation, docs_all)
    if sidecar is None:
        return []
    words = len(sidecar.words)
    bounds = {
        "docs": (sidecar.docs, docs_all),
        **({} if sidecar.tf_table is None else {"tf": (sidecar.tf, len(sidecar.tf_table))}),
        "terms_words": (sidecar.terms[1], words),
        "id_rank": (sidecar.id_rank, docs_all),
    }
    for kind, (docs, names, raw) in sidecar.entities.items():
        bounds[f"{kind}_docs"] = (docs, docs_all)
        bounds[f"{kind}_names"] = (names, len(raw))
    found = [
        f"{folder.name}/{PREFIX}{name}.npy holds {'codes' if name == 'tf' else 'ids'} outside "
        f"0..{bound - 1}"
        for name, (array, bound) in bounds.items()
        if len(array) and not (int(array.min()) >= 0 and int(array.max()) < bound)
    ]
    for name, indptr, size in (
        ("indptr", sidecar.indptr, len(sidecar.docs)),
        ("terms_indptr", sidecar.terms[0], len(sidecar.terms[1])),
    ):
        if len(indptr) and (indptr[0] != 0 or indptr[-1] != size or np.any(np.diff(indptr) < 0)):
            found.append(f"{folder.name}/{PREFIX}{name}.npy does not index its rows")
    return found
