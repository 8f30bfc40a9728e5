"""A pg_dump custom archive is hashed table by table as it streams, whatever the read sizes.

The archives here are written the way ``pg_backup_archiver.c``/``pg_backup_custom.c`` write
them to a pipe (header, table of contents, data blocks of one chunk per row), for each
archive version of pg_dump 9.5 to 17; the real ``pg_dump`` is covered by the integration
tests.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.streams import fed_in_pieces

from strongroom.engines.pgarchive import LARGE_OBJECTS, ArchiveHasher
from strongroom.engines.streamhash import DumpStreamError, TerminatedSection

INT_SIZE = 4


def _int(value: int) -> bytes:
    return bytes([value < 0]) + abs(value).to_bytes(INT_SIZE, "little")


def _str(value: str | None) -> bytes:
    if value is None:
        return _int(-1)
    raw = value.encode()
    return _int(len(raw)) + raw


def _header(minor: int, *, compression: int = 0) -> bytes:
    head = b"PGDMP" + bytes([1, minor, 0, INT_SIZE, 8, 1])
    head += bytes([compression]) if minor >= 15 else _int(compression)  # 1.15: an algorithm byte
    head += b"".join(_int(v) for v in (1, 2, 3, 4, 5, 124, 0))
    return head + _str("shop") + _str("15.18") + _str("15.18")


def _entry(minor: int, dump_id: int, desc: str, schema: str, tag: str, *, data: bool) -> bytes:
    out = _int(dump_id) + _int(int(data)) + _str("1259") + _str(str(16000 + dump_id))
    out += _str(tag) + _str(desc) + _int(3) + _str("") + _str("") + _str(None)
    out += _str(schema) + _str("")
    if minor >= 14:  # 1.14 added the table access method
        out += _str("heap")
    if minor >= 16:  # 1.16 added relkind
        out += _int(ord("r"))
    out += _str("owner") + _str("false") + _str("7") + _str(None)
    return out + bytes([1]) + (0).to_bytes(8, "little")


def _data_block(dump_id: int, rows: list[bytes]) -> tuple[bytes, bytes]:
    """The block and the bytes it hashes: the chunks (one per row), then the end marker."""
    body = b"".join(_int(len(row)) + row for row in rows)
    return bytes([1]) + _int(dump_id) + body + _int(0), body


def _archive(
    minor: int, tables: dict[str, list[bytes]], blobs: dict[int, list[bytes]] | None = None
) -> tuple[bytes, dict[str, str]]:
    """An archive of ``tables`` (``schema.table`` → COPY rows) and its expected hashes."""
    entries, blocks, expected = [], [], {}
    toc = [_entry(minor, 1, "ENCODING", "", "ENCODING", data=False)]
    for dump_id, (name, rows) in enumerate(tables.items(), start=10):
        schema, table = name.split(".", 1)
        toc.append(_entry(minor, dump_id, "TABLE DATA", schema, table, data=True))
        block, hashed = _data_block(dump_id, rows)
        blocks.append(block)
        expected[name] = hashlib.sha256(hashed).hexdigest()
        entries.append(name)
    if blobs is not None:
        toc.append(_entry(minor, 99, "BLOBS", "", "BLOBS", data=True))
        body = b""
        for oid, chunks in blobs.items():
            body += _int(oid) + b"".join(_int(len(c)) + c for c in chunks) + _int(0)
        blocks.append(bytes([3]) + _int(99) + body + _int(0))
        expected[LARGE_OBJECTS] = hashlib.sha256(body).hexdigest()
    archive = _header(minor) + _int(len(toc)) + b"".join(toc) + b"".join(blocks)
    return archive, expected


def _hash(data: bytes, cuts: list[int] | None = None) -> dict[str, str]:
    return fed_in_pieces(ArchiveHasher(), data, cuts or [])


def _row(length: int) -> bytes:
    """A COPY row of exactly ``length`` bytes (ending with its newline)."""
    return b"7\t" + b"x" * (length - 3) + b"\n"


# Lengths whose length int holds zero bytes next to the chunk frame's zero sign byte.
AWKWARD = {
    "public.orders": [_row(n) for n in (10, 256, 2560, 65536, 1 << 24)],
    "public.empty": [],
    "sales.orders": [b"1\t\\N\t\\\\x00\\t\n", b"\\.\n\n\n"],
    'public.we"ird name': [_row(3)],
}


@pytest.mark.parametrize("minor", [12, 13, 14, 15, 16])
def test_each_table_hashes_its_own_data_block_in_every_supported_version(minor: int) -> None:
    archive, expected = _archive(minor, AWKWARD, blobs={16401: [b"\0\0\0\0\0\0", b"\0"]})
    assert _hash(archive) == expected
    assert expected["public.empty"] == hashlib.sha256(b"").hexdigest()
    assert len(set(expected.values())) == len(expected)


def test_the_table_of_contents_is_ready_before_any_data() -> None:
    archive, _ = _archive(16, {"public.a": [b"1\n"], "public.b": []})
    toc_end = archive.index(bytes([1]) + _int(10))  # the first data block
    hasher = ArchiveHasher()
    hasher.feed(archive[: toc_end - 1])
    assert not hasher.toc_ready.is_set()
    hasher.feed(archive[toc_end - 1 : toc_end])
    assert hasher.toc_read
    assert [e.name for e in hasher.data_entries] == ["public.a", "public.b"]


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=12))
def test_any_split_of_the_stream_gives_the_same_fingerprints(cuts: list[int]) -> None:
    small = {
        "public.a": [_row(n) for n in (10, 256, 300)],
        "public.b": [],
        "public.c": [b"1\t\\N\n"],
    }
    archive, expected = _archive(15, small, blobs={1: [b"\0" * 40, b"lo"], 2: []})
    assert len(archive) < 2_000
    assert _hash(archive, cuts) == expected


@pytest.mark.parametrize("cut", [3, 40, 200, -300, -7, -1])
def test_a_truncated_archive_is_an_error_naming_where_it_ends(cut: int) -> None:
    archive, _ = _archive(16, {"public.orders": [_row(400)], "public.x": []})
    with pytest.raises(DumpStreamError, match="ends inside") as caught:
        _hash(archive[:cut])
    where = {3: "its header", 40: "its header", 200: "its table of contents"}
    where |= {-300: "the data of public.orders", -7: "a data block's header", -1: "public.x"}
    assert where[cut] in str(caught.value)
    assert caught.value.reason == "DumpStreamUnreadable"


def test_a_missing_data_block_is_named() -> None:
    archive, _ = _archive(16, {"public.orders": [b"1\n"], "public.lost": [b"2\n"]})
    lost_block = bytes([1]) + _int(11) + _int(2) + b"2\n" + _int(0)
    with pytest.raises(DumpStreamError, match=r"no data for public\.lost"):
        _hash(archive.replace(lost_block, b""))


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"GARBAGE" * 20, "not a custom-format archive"),
        (_header(9) + _int(0), "version 1.9 is not supported"),
        (_header(16, compression=1) + _int(0), "compressed"),
        (_header(14, compression=6) + _int(0), "compressed"),
        (_header(16) + _int(0) + bytes([7]) + _int(1), "unknown type 7"),
        (_header(16) + _int(0) + bytes([1]) + _int(42), "entry 42"),
    ],
)
def test_garbage_is_an_error_saying_what_is_wrong(archive: bytes, message: str) -> None:
    with pytest.raises(DumpStreamError, match=message):
        _hash(archive)


def test_a_terminator_split_across_reads_is_found_and_never_hashed() -> None:
    data = b"abc\0\0\0\0\0rest"
    for cut in range(len(data) + 1):
        section = TerminatedSection(b"\0" * 5)
        end = section.feed(data[:cut], 0)
        if end is None:
            end = cut + (section.feed(data[cut:], 0) or 0)
        assert end == 8
        assert section.digest.hexdigest() == hashlib.sha256(b"abc").hexdigest()


def test_data_of_no_table_is_walked_over_not_hashed() -> None:
    """A later pg_dump may give data to other kinds of entries; they hold no table's rows."""
    toc = _entry(16, 10, "TABLE DATA", "public", "a", data=True)
    toc += _entry(16, 50, "STATISTICS DATA", "public", "a", data=True)
    block, hashed = _data_block(10, [b"1\n"])
    other = bytes([1]) + _int(50) + _int(6) + b"\0" * 6 + _int(0)  # NUL bytes, still walked
    archive = _header(16) + _int(2) + toc + other + block
    assert _hash(archive) == {"public.a": hashlib.sha256(hashed).hexdigest()}
