"""Records: a page of hits as CSV rows or JSON Lines, for spreadsheets and scripts."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, TextIO

from ..fields import ENTITY_FIELDS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..model import Hit

#: The columns of ``search --csv``, in order; entity columns hold names joined by "; ".
CSV_COLUMNS = ("rank", "id", "title", "date", "score", "source", "author", "snippet")


def write_jsonl(hits: Iterable[Hit], out: TextIO) -> None:
    """Each hit as one line of JSON, in the shape of a hit of ``search --json``."""
    for hit in hits:
        out.write(json.dumps(hit.to_dict(), ensure_ascii=False) + "\n")


def write_csv(hits: Iterable[Hit], out: TextIO) -> None:
    """The hits as CSV with a header row: :data:`CSV_COLUMNS`, then one column per entity
    kind."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, *ENTITY_FIELDS))
    for hit in hits:
        data = hit.to_dict()
        writer.writerow(
            (
                *("" if data[column] is None else data[column] for column in CSV_COLUMNS),
                *("; ".join(hit.entities.get(kind, [])) for kind in ENTITY_FIELDS),
            )
        )
