"""Whoosh segment files are read straight from their memory map (patches._ViewFile)."""

from __future__ import annotations

import io
import mmap
import os
import pickle
import random
import resource
import subprocess
import sys

import pytest
from whoosh import fields
from whoosh import index as whoosh_index

from searchlib.engine.whoosh.patches import _ViewFile

from .conftest import ROOT

# Run in a fresh interpreter, so that memory freed by earlier tests cannot hide a copy.
OPEN_AND_READ_ALL = """
import sys
from searchlib.engine.whoosh import patches
from whoosh import index

patches.apply()

def anonymous_kb():
    with open("/proc/self/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Anonymous:"))

before = anonymous_kb()
with index.open_dir(sys.argv[1]).reader() as reader:
    stored = sum(len(reader.stored_fields(n)["blob"]) for n in reader.all_doc_ids())
    postings = sum(len(list(reader.postings(f, t).all_ids())) for f, t in reader.all_terms())
    grown = anonymous_kb() - before
print(grown, stored, postings)
"""


@pytest.mark.slow
def test_opening_a_segment_does_not_copy_its_files(tmp_path):
    schema = fields.Schema(text=fields.TEXT, blob=fields.STORED)
    writer = whoosh_index.create_in(tmp_path, schema).writer()
    rng = random.Random(7)
    words = [f"w{i}" for i in range(5000)]
    for _ in range(200):
        writer.add_document(text=" ".join(rng.choices(words, k=300)), blob=rng.randbytes(100_000))
    writer.commit()
    (segment,) = [p for p in tmp_path.iterdir() if p.suffix == ".seg"]  # one compound file
    size_kb = segment.stat().st_size // 1024
    assert size_kb > 20_000

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_READ_ALL, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    grown_kb, stored, postings = map(int, done.stdout.split())
    assert stored == 200 * 100_000 and postings > 5000
    # Whoosh's BufferFile copied every file it opened (the stored column alone is ~20 MB).
    assert grown_kb < size_kb / 5, (grown_kb, size_kb)


def test_view_file_reads_as_bytesio_does(tmp_path):
    rng = random.Random(3)
    data = bytes(rng.choices(b"ab\n\x00", k=3000))
    path = tmp_path / "data"
    path.write_bytes(b"head" + data + b"tail")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)[4 : 4 + len(data)]
        expected, actual = io.BytesIO(view), _ViewFile(view)
        for _ in range(5000):
            op = rng.choice(["read", "readline", "seek", "tell"])
            size = rng.choice([None, -1, 0, 1, 5, 300, 5000])
            if op == "seek":
                whence = rng.choice([0, 1, 2])
                args: tuple = (rng.randint(0 if whence == 0 else -4000, 4000), whence)
            else:
                args = () if op == "tell" else (size,)
            assert getattr(actual, op)(*args) == getattr(expected, op)(*args), (op, args)
        expected.seek(0)
        actual.seek(0)
        assert list(actual) == list(expected)
        del view, expected, actual

    values = [{"x": list(range(100))}, [1, 2], b"q" * 200_000, (3, 4.5)]
    protocols = (5, 0, 5, 2)  # protocol 0 reads lines
    pickles = b"".join(pickle.dumps(v, p) for v, p in zip(values, protocols, strict=True))
    file = _ViewFile(memoryview(pickles + b"rest"))
    assert [pickle.load(file) for _ in values] == values
    assert file.read() == b"rest"
    file.close()
    with pytest.raises(ValueError):
        file.read()


RAISE_LIMIT = """
import resource, sys
from searchlib.engine.whoosh.storage import allow_open_files
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
low = 256 if hard == resource.RLIM_INFINITY else min(256, hard)
resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
for segments in map(int, sys.argv[1:]):
    allow_open_files(segments)
    print(*resource.getrlimit(resource.RLIMIT_NOFILE))
"""


def test_readers_of_many_segments_get_room_for_their_descriptors():
    # Each segment a reader opens holds a descriptor (the mmap's): 1M articles, ~1000 segments.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RAISE_LIMIT, "1000", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    (soft, hard), (soft_after, _) = (map(int, line.split()) for line in done.stdout.splitlines())
    wanted = 1024 + 4 * 1000
    assert soft == (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard))
    assert soft_after == soft  # never lowered
