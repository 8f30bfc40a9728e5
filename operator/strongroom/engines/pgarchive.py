r"""Reading a ``pg_dump -Fc -Z0`` archive as it streams by, to hash each table's data.

The custom format (``pg_backup_archiver.c``/``pg_backup_custom.c``, archive versions 1.12 to
1.16, i.e. pg_dump 9.5 to 17) written to a pipe is: the header (``PGDMP``, version, int and
offset sizes, format, compression, creation time, database and version strings), the table
of contents (one entry per object: dump id, description such as ``TABLE DATA``, namespace,
tag, …), then one data block per entry that has data: a type byte (``BLK_DATA`` = 1,
``BLK_BLOBS`` = 3) and the entry's dump id. An int is a sign byte and ``intSize`` bytes,
little-endian.

Uncompressed, a ``BLK_DATA`` block is chunks ``[int length][bytes]`` ended by a zero length.
The bytes are COPY text: never a NUL, and every row (so every chunk pg_dump writes, one per
row or several rows at once) is non-empty and ends with ``\n``. A length int of a non-empty
chunk has a non-zero byte among its ``intSize`` length bytes, followed by COPY text, so the
only run of ``1 + intSize`` zero bytes after the block header is the end marker: the block's
end is found with ``bytes.find`` and its bytes between header and end marker (chunk frames
included) are hashed as they pass, with no per-row work.

Large objects (``BLK_BLOBS``) may hold any byte, so they are walked chunk by chunk and all of
them hash, in dump order (by OID), into one entry named :data:`LARGE_OBJECTS`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from enum import Enum, auto

from strongroom.engines.streamhash import DumpStreamError, TerminatedSection

__all__ = ["LARGE_OBJECTS", "ArchiveHasher", "TocEntry"]

MAGIC = b"PGDMP"
#: Fingerprint entry holding every large object of the database.
LARGE_OBJECTS = "pg_largeobject"
BLK_DATA = 1
BLK_BLOBS = 3
_ARCH_CUSTOM = 1
_OLDEST, _NEWEST = (1, 12), (1, 16)
#: Sanity bounds of the header's integer and offset sizes (pg_dump writes 4 and 8).
_MAX_INT_SIZE, _MAX_OFF_SIZE = 8, 16
_TABLE_DATA = "TABLE DATA"
_BLOBS = "BLOBS"


@dataclass(frozen=True)
class TocEntry:
    """What the archive's table of contents says about one object that carries data."""

    dump_id: int
    desc: str
    namespace: str
    tag: str

    @property
    def name(self) -> str:
        """The fingerprint name: ``schema.table``, or :data:`LARGE_OBJECTS`."""
        return LARGE_OBJECTS if self.desc == _BLOBS else f"{self.namespace}.{self.tag}"


class _NeedMore(Exception):  # noqa: N818 - control flow, never leaves this module
    """The buffer ends inside the item being read; wait for more bytes."""


class _State(Enum):
    HEAD = auto()
    TOC_COUNT = auto()
    TOC = auto()
    BLOCK = auto()
    DATA = auto()
    LO_OID = auto()
    LO_LENGTH = auto()
    LO_BYTES = auto()
    SKIP_LENGTH = auto()
    SKIP_BYTES = auto()


_WHERE = {
    _State.HEAD: "its header",
    _State.TOC_COUNT: "its table of contents",
    _State.TOC: "its table of contents",
    _State.LO_OID: "its large objects",
    _State.LO_LENGTH: "its large objects",
    _State.LO_BYTES: "its large objects",
    _State.SKIP_LENGTH: "a data block that is no table's",
    _State.SKIP_BYTES: "a data block that is no table's",
}


class _Cursor:
    """Reads archive items from ``buf``; raises :class:`_NeedMore` at its end."""

    def __init__(self, buf: bytes, int_size: int) -> None:
        self.buf = buf
        self.pos = 0
        self.int_size = int_size

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise _NeedMore
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        return data

    def byte(self) -> int:
        return self.take(1)[0]

    def int(self) -> int:
        raw = self.take(1 + self.int_size)
        value = int.from_bytes(raw[1:], "little")
        return -value if raw[0] else value

    def str(self) -> str | None:
        length = self.int()
        if length < 0:
            return None
        return self.take(length).decode("utf-8", "backslashreplace")


class ArchiveHasher:
    """Fed a custom-format archive in pieces of any size; hashes each table's data block.

    ``toc_ready`` is set once the table of contents was read (before any data; ``toc_read``
    then holds): the dump's snapshot session then counts the rows of exactly the tables the
    archive holds. :meth:`abandon` sets it too, so a stopped dump never leaves a waiter.
    """

    def __init__(self) -> None:
        self._state = _State.HEAD
        self._buf = b""
        self._int_size = 4
        self._off_size = 8
        self._version = (0, 0)
        self._toc_left = 0
        self._entries: dict[int, TocEntry] = {}
        self._with_data: dict[int, TocEntry] = {}
        self._other: dict[int, TocEntry] = {}
        self._seen: set[int] = set()
        self._digests: dict[str, hashlib._Hash] = {}
        self._section: TerminatedSection | None = None
        self._current: TocEntry | None = None
        self._lo_left = 0
        self._result: dict[str, str] | None = None
        #: Whether the whole table of contents was read.
        self.toc_read = False
        #: Set when the table of contents was read, or the dump was abandoned before.
        self.toc_ready = threading.Event()

    @property
    def data_entries(self) -> list[TocEntry]:
        """The entries whose data the archive holds (valid once ``toc_ready`` is set)."""
        return list(self._with_data.values())

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the archive."""
        chunk, pos = data, 0
        while True:
            if self._state is _State.DATA:
                assert self._section is not None  # noqa: S101 - set with the state
                end = self._section.feed(chunk, pos)
                if end is None:
                    return
                self._end_data_block()
                pos = end
            elif self._state in (_State.LO_BYTES, _State.SKIP_BYTES):
                take = min(self._lo_left, len(chunk) - pos)
                large_object = self._state is _State.LO_BYTES
                if large_object:
                    self._lo_digest().update(memoryview(chunk)[pos : pos + take])
                self._lo_left -= take
                pos += take
                if self._lo_left:
                    return
                self._state = _State.LO_LENGTH if large_object else _State.SKIP_LENGTH
            else:
                if pos >= len(chunk) and not self._buf:
                    return
                buf = self._buf + chunk[pos:] if self._buf else chunk[pos:]
                used = self._parse(buf)
                if self._streaming():
                    self._buf = b""
                    chunk, pos = buf, used
                    continue
                self._buf = buf[used:]
                return

    def finish(self) -> dict[str, str]:
        """Table name → sha256 of its data block; raises unless the archive was whole."""
        if self._result is not None:
            return self._result
        if self._state is not _State.BLOCK or self._buf:
            raise DumpStreamError(f"the pg_dump archive ends inside {self._where()}; incomplete")
        missing = sorted(e.name for i, e in self._with_data.items() if i not in self._seen)
        if missing:
            raise DumpStreamError(
                f"the pg_dump archive has no data for {', '.join(missing)} although its table "
                "of contents lists it; incomplete"
            )
        self._result = {name: digest.hexdigest() for name, digest in self._digests.items()}
        return self._result

    def abandon(self) -> None:
        """Wake whoever waits for the table of contents: the dump was stopped."""
        self.toc_ready.set()

    def _where(self) -> str:
        if self._current is not None and self._state is _State.DATA:
            return f"the data of {self._current.name}"
        return _WHERE.get(self._state, "a data block's header")

    def _parse(self, buf: bytes) -> int:
        """Read whole items from ``buf``; return how many bytes were used."""
        cur = _Cursor(buf, self._int_size)
        while True:
            mark = cur.pos
            try:
                self._step(cur)
            except _NeedMore:
                return mark
            if self._streaming():
                return cur.pos

    def _streaming(self) -> bool:
        """Whether the next bytes are taken as they come (table data, large object bytes)."""
        return self._state in (_State.DATA, _State.LO_BYTES, _State.SKIP_BYTES)

    def _step(self, cur: _Cursor) -> None:
        state = self._state
        if state is _State.HEAD:
            self._read_head(cur)
            cur.int_size = self._int_size
            self._state = _State.TOC_COUNT
        elif state is _State.TOC_COUNT:
            self._toc_left = cur.int()
            if self._toc_left < 0:
                raise DumpStreamError("the pg_dump archive's table of contents is damaged")
            self._state = _State.TOC if self._toc_left else _State.BLOCK
            self._toc_done()
        elif state is _State.TOC:
            self._read_entry(cur)
            self._toc_left -= 1
            if not self._toc_left:
                self._state = _State.BLOCK
                self._toc_done()
        elif state is _State.BLOCK:
            self._read_block_header(cur)
        else:
            self._step_large_objects(cur)

    def _step_large_objects(self, cur: _Cursor) -> None:
        state = self._state
        if state is _State.LO_OID:
            start = cur.pos
            if cur.int() == 0:  # the block's last large object was read
                self._seen_block()
                self._state = _State.BLOCK
            else:
                self._lo_digest().update(cur.buf[start : cur.pos])
                self._state = _State.LO_LENGTH
        elif state is _State.LO_LENGTH:
            start = cur.pos
            length = cur.int()
            if length < 0:
                raise DumpStreamError("the pg_dump archive has a large object chunk of length < 0")
            self._lo_digest().update(cur.buf[start : cur.pos])
            self._lo_left = length
            self._state = _State.LO_BYTES if length else _State.LO_OID
        elif state is _State.SKIP_LENGTH:
            length = cur.int()
            if length < 0:
                raise DumpStreamError("the pg_dump archive has a data chunk of length < 0")
            self._lo_left = length
            self._state = _State.SKIP_BYTES if length else _State.BLOCK
            if not length:
                self._seen_block()

    def _toc_done(self) -> None:
        if self._state is _State.BLOCK:
            self.toc_read = True
            self.toc_ready.set()

    def _read_head(self, cur: _Cursor) -> None:
        magic = cur.take(len(MAGIC))
        if magic != MAGIC:
            raise DumpStreamError("the pg_dump output is not a custom-format archive (no PGDMP)")
        major, minor, _revision = cur.byte(), cur.byte(), cur.byte()
        self._version = (major, minor)
        if not _OLDEST <= self._version <= _NEWEST:
            raise DumpStreamError(
                f"pg_dump archive version {major}.{minor} is not supported (1.12 to 1.16: "
                "pg_dump 9.5 to 17); use client tools this Strongroom release supports"
            )
        self._int_size = cur.byte()
        self._off_size = cur.byte()
        if not 1 <= self._int_size <= _MAX_INT_SIZE or not 1 <= self._off_size <= _MAX_OFF_SIZE:
            raise DumpStreamError("the pg_dump archive header has impossible integer sizes")
        cur.int_size = self._int_size
        if cur.byte() != _ARCH_CUSTOM:
            raise DumpStreamError("the pg_dump archive is not in custom format (--format=custom)")
        compressed = cur.byte() if self._version >= (1, 15) else cur.int()
        if compressed:
            raise DumpStreamError(
                "the pg_dump archive is compressed; Strongroom dumps with --compress=0 so "
                "that table data can be fingerprinted as it streams"
            )
        for _ in range(7):  # creation time: sec, min, hour, mday, mon, year, isdst
            cur.int()
        for _ in range(3):  # database name, server version, pg_dump version
            cur.str()

    def _read_entry(self, cur: _Cursor) -> None:
        dump_id = cur.int()
        has_data = cur.int() != 0
        cur.str()  # table oid of the catalog
        cur.str()  # object oid
        tag = cur.str() or ""
        desc = cur.str() or ""
        cur.int()  # section
        for _ in range(3):  # definition, drop statement, copy statement
            cur.str()
        namespace = cur.str() or ""
        cur.str()  # tablespace
        if self._version >= (1, 14):
            cur.str()  # table access method
        if self._version >= (1, 16):
            cur.int()  # relkind
        cur.str()  # owner
        cur.str()  # "with oids" (always false)
        while cur.str() is not None:  # dependencies, ended by a null string
            pass
        cur.take(1 + self._off_size)  # where the data is (unknown when written to a pipe)
        if dump_id <= 0:
            raise DumpStreamError(
                f"the pg_dump archive's table of contents has an entry with id {dump_id}"
            )
        entry = TocEntry(dump_id, desc, namespace, tag)
        self._entries[dump_id] = entry
        if has_data and desc in (_TABLE_DATA, _BLOBS):
            self._with_data[dump_id] = entry
        elif has_data:  # data of no table (a later pg_dump's kind): walked over, not hashed
            self._other[dump_id] = entry

    def _read_block_header(self, cur: _Cursor) -> None:
        kind = cur.byte()
        dump_id = cur.int()
        other = self._other.get(dump_id)
        if kind == BLK_DATA and other is not None and dump_id not in self._seen:
            self._current = other
            self._state = _State.SKIP_LENGTH
            return
        entry = self._with_data.get(dump_id)
        if kind not in (BLK_DATA, BLK_BLOBS):
            raise DumpStreamError(
                f"the pg_dump archive has a data block of unknown type {kind} (expected "
                f"{BLK_DATA} or {BLK_BLOBS}); it is damaged"
            )
        if entry is None:
            raise DumpStreamError(
                f"the pg_dump archive has a data block for entry {dump_id}, which its table of "
                "contents does not list as table data or large objects"
            )
        if dump_id in self._seen:
            raise DumpStreamError(f"the pg_dump archive has two data blocks for {entry.name}")
        if (kind == BLK_BLOBS) != (entry.desc == _BLOBS):
            raise DumpStreamError(
                f"the pg_dump archive's data block for {entry.name} has the wrong type {kind}"
            )
        self._current = entry
        if kind == BLK_BLOBS:
            self._lo_digest()
            self._state = _State.LO_OID
        else:
            self._section = TerminatedSection(b"\0" * (1 + self._int_size))
            self._state = _State.DATA

    def _end_data_block(self) -> None:
        assert self._section is not None  # noqa: S101 - set with the DATA state
        assert self._current is not None  # noqa: S101 - set with the DATA state
        self._digests[self._current.name] = self._section.digest
        self._section = None
        self._seen_block()
        self._state = _State.BLOCK

    def _seen_block(self) -> None:
        assert self._current is not None  # noqa: S101 - set by the block header
        self._seen.add(self._current.dump_id)
        self._current = None

    def _lo_digest(self) -> hashlib._Hash:
        return self._digests.setdefault(LARGE_OBJECTS, hashlib.sha256())
