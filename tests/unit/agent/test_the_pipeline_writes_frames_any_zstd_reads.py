"""The backup pipeline compresses whole blocks, one zstd frame each, whatever the reads were.

The dump reaches the pipeline in reads of any size (a pipe hands over what is there). Blocks of
at least one MiB are compressed as separate frames; the decrypted payload is then a plain
sequence of zstd frames, which the agent's own reader and the ``zstd`` command both decode as
one stream — the latter is what a person without Strongroom uses (docs/format.md).
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
import zstandard

from strongroom.agent.pipeline import CHUNK, Expected, check_integrity, encrypt_stream
from strongroom.crypto.stream import DecryptingReader, Header, new_data_key
from strongroom.storage.fake import InMemoryObjectStore

HEADER = Header(
    namespace="shop",
    policy="nightly",
    backup="shop-20261201-0200",
    database="orders",
    engine="mysql",
    created=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
)


class _Reads:
    """A source whose reads return at most ``sizes[i]`` bytes, like a pipe under load."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data = memoryview(data)
        self._sizes = sizes
        self._at = 0
        self._turn = 0

    def read(self, size: int = -1, /) -> bytes:
        limit = self._sizes[self._turn % len(self._sizes)]
        self._turn += 1
        block = bytes(self._data[self._at : self._at + min(size, limit)])
        self._at += len(block)
        return block


def _store_dump(data: bytes, sizes: list[int]) -> tuple[bytes, bytes, Expected]:
    """Run ``data`` through the pipeline; the data object, its key and what a manifest records."""
    store = InMemoryObjectStore()
    dek = new_data_key()
    with store.open_upload("data.sr", content_type="application/octet-stream") as upload:
        stats = encrypt_stream(_Reads(data, sizes), upload, dek=dek, header=HEADER)
    expected = Expected(HEADER, stats.data_size, stats.data_sha256, stats.compressed_size)
    assert stats.plaintext_size == len(data)
    return store.objects["data.sr"], dek, expected


def _dump_like(size: int) -> bytes:
    """Text that compresses like a SQL dump: repeated shapes, varying values."""
    rng = random.Random(size)
    words = [f"customer-{rng.randrange(10**6)}".encode() for _ in range(4096)]
    rows = b"".join(b"(%d,'%s')\n" % (i, words[i % 4096]) for i in range(size // 16 + 1))
    return rows[:size]


@pytest.mark.parametrize(
    ("size", "sizes"),
    [
        (0, [CHUNK]),
        (1000, [CHUNK]),
        (3 * CHUNK + 17, [CHUNK]),  # whole reads: one frame per read
        (3 * CHUNK + 17, [65536, 4096, 100_000]),  # short reads are joined into whole blocks
        (2 * CHUNK, [CHUNK - 1, 2]),  # a block just over a MiB, then the rest
    ],
)
def test_every_read_pattern_decodes_to_the_same_dump(size: int, sizes: list[int]) -> None:
    data = _dump_like(size)
    blob, dek, expected = _store_dump(data, sizes)
    sink = io.BytesIO()
    stats = check_integrity(io.BytesIO(blob), dek=dek, expected=expected, sink=sink)
    assert sink.getvalue() == data
    assert stats.plaintext_size == len(data)


def test_the_payload_is_one_frame_per_mebibyte_of_dump() -> None:
    data = _dump_like(3 * CHUNK + 17)
    blob, dek, _ = _store_dump(data, [65536])
    payload = DecryptingReader(io.BytesIO(blob), dek, expected_header=HEADER).read()
    frames, at = [], 0
    while at < len(payload):
        size = zstandard.frame_content_size(payload[at:])
        length = _frame_length(payload, at)
        frames.append(size)
        at += length
    assert frames == [CHUNK, CHUNK, CHUNK, 17]


def _frame_length(payload: bytes, at: int) -> int:
    """Bytes of the zstd frame starting at ``at`` (decoded alone, it must end exactly there)."""
    reader = zstandard.ZstdDecompressor().decompressobj()
    reader.decompress(payload[at:])
    return len(payload) - at - len(reader.unused_data)


def test_the_zstd_command_reads_the_frames_as_one_stream() -> None:
    zstd = shutil.which("zstd")
    assert zstd is not None, "the zstd command is part of the development tools (Makefile deps)"
    data = _dump_like(2 * CHUNK + 5)
    blob, dek, _ = _store_dump(data, [CHUNK])
    payload = DecryptingReader(io.BytesIO(blob), dek, expected_header=HEADER).read()
    decoded = subprocess.run(
        [zstd, "-d", "-c", "-q"], input=payload, capture_output=True, check=True, timeout=30
    )
    assert decoded.stdout == data
