"""Parts are cut at exact part sizes from writes of any size and type, each byte copied once."""

from __future__ import annotations

from strongroom.storage.fake import InMemoryObjectStore
from strongroom.storage.parts import DEFAULT_PART_SIZE


def test_every_part_but_the_last_has_the_part_size_and_the_object_is_the_bytes_written() -> None:
    store = InMemoryObjectStore()
    reused = bytearray(b"r" * 3_000_001)
    written = bytearray()
    up = store.open_upload("k", content_type="x")
    for number in range(9):
        chunks: list[bytes | bytearray | memoryview] = [
            bytes([number]) * 1_048_593,  # a segment-sized bytes object, kept by reference
            reused,  # a buffer the caller changes after writing it
            memoryview(bytes([number]) * 5_000_000)[7:],
        ]
        chunk = chunks[number % 3]
        up.write(chunk)
        written += chunk
        reused[:1] = b"!"  # must not change what was already written
    pending = next(iter(store.pending.values()))
    sizes = [len(pending.parts[n]) for n in sorted(pending.parts)]
    up.close()
    assert sizes == [DEFAULT_PART_SIZE] * len(sizes)
    assert store.objects["k"] == bytes(written)
    assert len(store.objects["k"]) // DEFAULT_PART_SIZE == len(sizes)
