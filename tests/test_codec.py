"""Stored fields compressed with a dictionary (engine/whoosh/codec.py), read back exactly, beside
segments of Whoosh's own codec."""

from __future__ import annotations

import random
import zlib

import pytest
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

from searchlib.engine.whoosh import codec, patches

SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    body=fields.TEXT(stored=True),
    note=fields.STORED(),
    unstored=fields.TEXT(),
)


def _docs(start: int, count: int) -> list[dict[str, str]]:
    rng = random.Random(start)
    docs = []
    for n in range(start, start + count):
        doc = {"id": f"d{n}", "body": " ".join(rng.choice("ab cd éf 日本 \x00") for _ in range(n))}
        if n % 5 == 0:
            doc["note"] = f'note\n{n}\t"quoted"'
        docs.append(doc)
    return docs


def _written(docs: list[dict[str, str]]) -> list[dict[str, str]]:
    """The documents to write: every seventh without a stored field at all."""
    return [{"unstored": "x"} if n % 7 == 3 else doc for n, doc in enumerate(docs)]


def _stored(docs: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{} if n % 7 == 3 else doc for n, doc in enumerate(docs)]


def _write(folder, docs, use_codec):
    ix = whoosh_index.open_dir(str(folder))
    writer = ix.writer(codec=codec.Codec()) if use_codec else ix.writer()
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()


@pytest.mark.parametrize("count", [1, 87, 400])
def test_stored_fields_read_back_exactly_in_any_order(tmp_path, count):
    patches.apply()
    whoosh_index.create_in(str(tmp_path), SCHEMA)
    docs = _stored(_docs(0, count))
    _write(tmp_path, _written(_docs(0, count)), use_codec=True)
    ix = whoosh_index.open_dir(str(tmp_path))
    (segment,) = ix._segments()
    assert isinstance(segment.codec(), codec.Codec)  # named in the table of contents
    with ix.reader() as reader:
        order = list(range(count))
        random.Random(count).shuffle(order)
        assert [reader.stored_fields(n) for n in order] == [docs[n] for n in order]
        assert [stored for _, stored in reader.iter_docs()] == docs
        # A caller changing what it got does not change what the next caller gets.
        reader.stored_fields(0)["id"] = "changed"
        assert reader.stored_fields(0)["id"] == "d0"


def test_segments_of_whooshs_codec_are_still_read_beside_new_ones(tmp_path):
    patches.apply()
    whoosh_index.create_in(str(tmp_path), SCHEMA)
    old, new = _docs(0, 40), _docs(40, 40)
    _write(tmp_path, old, use_codec=False)
    _write(tmp_path, new, use_codec=True)
    ix = whoosh_index.open_dir(str(tmp_path))
    kinds = [type(segment.codec()) for segment in ix._segments()]
    assert kinds == [whoosh3.W3Codec, codec.Codec]
    with ix.searcher() as searcher:
        assert [stored for _, stored in searcher.reader().iter_docs()] == old + new
        assert searcher.document(id="d7") == old[7]
        assert searcher.document(id="d77") == new[37]


def test_a_dictionary_compresses_better_than_one_document_alone(tmp_path):
    patches.apply()
    sizes = {}
    rng = random.Random(5)
    words = [f"{a}{b}" for a in ("oil", "bank", "trade", "price", "rate") for b in range(40)]
    docs = [
        {"id": f"d{n}", "body": " ".join(rng.choice(words) for _ in range(120))} for n in range(500)
    ]
    for use_codec in (False, True):
        folder = tmp_path / str(use_codec)
        folder.mkdir()
        whoosh_index.create_in(str(folder), SCHEMA)
        _write(folder, docs, use_codec)
        ix = whoosh_index.open_dir(str(folder))
        (segment,) = ix._segments()
        from whoosh.filedb.compound import CompoundStorage

        inner = CompoundStorage(ix.storage.open_file(segment.make_filename(".seg")))
        sizes[use_codec] = sum(
            inner.file_length(name) for name in inner.list() if "_stored" in name
        )
    assert sizes[True] < 0.9 * sizes[False], sizes  # (Reuters: 0.71, RESULTS.md)


def test_a_damaged_block_table_is_refused(tmp_path):
    patches.apply()
    whoosh_index.create_in(str(tmp_path), SCHEMA)
    _write(tmp_path, _docs(0, 40), use_codec=True)
    ix = whoosh_index.open_dir(str(tmp_path))
    (segment,) = ix._segments()
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import BufferFile

    inner = CompoundStorage(ix.storage.open_file(segment.make_filename(".seg")))
    (name,) = [name for name in inner.list() if "_stored" in name]
    data = bytearray(inner.open_file(name).read())
    data[-4] ^= 0xFF  # the number of documents
    with pytest.raises(ValueError, match="of 40 documents"):
        codec.STORED_COLUMN.reader(BufferFile(bytes(data)), 0, len(data), 40)
    data[-4] ^= 0xFF
    reader = codec.STORED_COLUMN.reader(BufferFile(bytes(data)), 0, len(data), 40)
    assert reader[39]["id"] == "d39"
    data[-9 - 4 * 40 - 5] ^= 0xFF  # inside the last document
    reader = codec.STORED_COLUMN.reader(BufferFile(bytes(data)), 0, len(data), 40)
    with pytest.raises((ValueError, zlib.error)):
        reader[39]
