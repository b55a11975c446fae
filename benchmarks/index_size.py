"""What each part of a searchlib index costs on disk, beside the size of its source text.

    python benchmarks/index_size.py INDEX [--source FILE.jsonl] [--json]

INDEX is a built searchlib index folder (its current generation is measured). Whoosh's segment
files are opened as the compound files they are and their inner files summed by kind: stored
fields, postings and term dictionaries (each split by field in proportion to what its terms and
postings hold: the body's and title's word positions, read from their postings, are counted
apart from the rest of their postings), and the small columns. Beside them: the sidecar's
arrays (``impacts-*``: the tf~ matrix, the fields' postings and positions, columns), the kept
segment parts, the spelling index and each segment's spelling words, the saved facet columns,
the entity table and the sources' state. Prints a markdown table of MB and share
of the total, and the total over the source's size.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.reading import SegmentReader

from searchlib.store.manifest import MANIFEST

#: Fields with positions (the rest of their postings is frequencies and document numbers).
POSITION_FIELDS = ("title", "body")
SPELLING = {"spell_title": "spelling words", "spell_body": "spelling words"}
ENTITY = ("person", "org", "place")


def generation_folder(index: Path) -> Path:
    manifest = json.loads((index / MANIFEST).read_text("utf-8"))
    return index / manifest["generation"]


def whoosh_parts(folder: Path) -> Counter[str]:
    """Bytes of the Whoosh segments by what they hold."""
    store = whoosh_index.open_dir(str(folder))
    out: Counter[str] = Counter()
    for segment in store._segments():
        compound = CompoundStorage(
            store.storage.open_file(segment.make_filename(".seg")), use_mmap=False
        )
        kinds: Counter[str] = Counter()
        for name in compound.list():
            kinds[name.split(".", 1)[1]] += compound.file_length(name)
        # Per field: the terms' share of the term dictionary, and their postings.
        reader = SegmentReader(store.storage, store.schema, segment)
        terms = reader._terms
        term_bytes: Counter[str] = Counter()
        posting_bytes: Counter[str] = Counter()
        size = _terminfo_size()
        for key, value in terms._tindex.items():
            field = terms._keydecoder(key)[0]
            term_bytes[field] += len(key) + len(value)
            if not value[0]:  # (inlined postings are in the term's value)
                posting_bytes[field] += int.from_bytes(value[size + 8 : size + 12], "big")
        positions: Counter[str] = Counter()
        for field in POSITION_FIELDS:
            if not store.schema[field].format.supports("positions"):
                continue  # (the sidecar keeps them alone: the values are frequencies)
            for text in reader.lexicon(field):
                # (A posting's value is its positions: its frequency is its weight.)
                for _, value in reader.postings(field, text).all_items():
                    positions[field] += len(value)
        reader.close()
        trm_total, pst_total = kinds.pop("trm", 0), kinds.pop("pst", 0)
        term_sum, posting_sum = sum(term_bytes.values()) or 1, sum(posting_bytes.values()) or 1
        for field in term_bytes.keys() | posting_bytes.keys():
            label = _label(field)
            out[f"{label}: terms"] += trm_total * term_bytes[field] / term_sum
            postings = pst_total * posting_bytes[field] / posting_sum
            held = min(positions[field], postings)
            out[f"{label}: postings"] += postings - held
            if held:
                out[f"{label}: positions"] += held
        for kind, length in kinds.items():
            out["stored text and fields" if kind == "_stored.col" else "columns"] += length
    return out


def _terminfo_size() -> int:
    from whoosh.codec.whoosh3 import W3TermInfo

    return int(W3TermInfo._struct.size)


def _label(field: str) -> str:
    if field in SPELLING:
        return "Whoosh spelling words"
    if field in ENTITY:
        return "Whoosh entity fields"
    if field in POSITION_FIELDS:
        return f"Whoosh {field}"
    return "Whoosh other fields (id, date, source, hash)"


def sidecar_parts(folder: Path) -> Counter[str]:
    """Bytes of the sidecar and the other files of a generation."""
    out: Counter[str] = Counter()
    for path in folder.iterdir():
        name, size = path.name, path.stat().st_size
        if name.startswith("impacts-"):
            key = name[len("impacts-") :].removesuffix(".npy")
            if key.startswith(POSITION_FIELDS) and key.endswith("positions"):
                out["sidecar: positions"] += size
            elif key.startswith(POSITION_FIELDS):
                out["sidecar: field postings and lengths"] += size
            elif key in ("words", "indptr", "docs", "tf", "tf_values"):
                out["sidecar: tf~ matrix and words"] += size
            else:
                out["sidecar: columns, feedback terms, header"] += size
        elif name.startswith("sidecar-part-"):
            out["sidecar segment parts (for incremental builds)"] += size
        elif name.startswith("segwords-"):
            out["segments' spelling words (segwords-*)"] += size
        elif name.startswith("spelling-"):
            out["spelling index (spelling-*)"] += size
        elif name.startswith("facets-"):
            out["facet columns (facets-*)"] += size
        elif not name.endswith((".seg", ".toc")):
            out[f"{name}"] += size
    return out


def measure(index: Path) -> dict[str, float]:
    folder = generation_folder(index)
    parts = whoosh_parts(folder) + sidecar_parts(folder)
    return {name: parts[name] for name in sorted(parts, key=lambda n: -parts[n])}


def table(parts: dict[str, float], source: Path | None) -> str:
    total = sum(parts.values())
    lines = ["| part | MB | share |", "|---|---:|---:|"]
    for name, size in parts.items():
        lines.append(f"| {name} | {size / 1e6:.2f} | {100 * size / total:.1f}% |")
    lines.append(f"| **total** | **{total / 1e6:.2f}** | 100% |")
    if source is not None:
        text = source.stat().st_size
        lines.append(
            f"\nsource {source.name}: {text / 1e6:.2f} MB; index / source: {total / text:.2f}×"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--source", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = measure(args.index)
    if args.json:
        report: dict[str, Any] = {"parts_bytes": parts, "total_bytes": sum(parts.values())}
        if args.source:
            report["source_bytes"] = args.source.stat().st_size
        print(json.dumps(report, indent=2))
    else:
        print(table(parts, args.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
