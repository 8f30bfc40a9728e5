r"""Reading a ``mariadb-dump``/``mysqldump`` SQL dump as it streams by, to hash each table's data.

With the flags Strongroom uses (``--opt`` defaults, so ``--add-locks``), the tool writes each
table's rows between two lines of its own::

    LOCK TABLES `orders` WRITE;
    /*!40000 ALTER TABLE `orders` DISABLE KEYS */;
    INSERT INTO `orders` VALUES (1,'…'),(2,'…');      (MariaDB 10.x: one row per line)
    /*!40000 ALTER TABLE `orders` ENABLE KEYS */;
    UNLOCK TABLES;

The tool escapes newlines inside values (``\n``), so within that section every raw newline
ends a statement line or a row, and the first ``\nUNLOCK TABLES;\n`` after ``LOCK TABLES``
is the section's end: it is found with ``bytes.find`` and the section's bytes (from the
newline ending the ``LOCK TABLES`` line up to the one before ``UNLOCK TABLES``) are hashed as
they pass. No per-line or per-row work: MariaDB 10.x puts every row of an extended INSERT on
its own line, so a line-by-line reader would walk millions of rows in Python. An empty table
still has its section (the two ``ALTER TABLE`` lines), so every dumped table gets a hash.
Names are backtick-quoted with ``` `` ``` for a backtick; they are unquoted here.

Row counts (``count_rows``): mariadb-dump (recent MariaDB, MDEV-25152; 10.11 here) starts every
row of an extended INSERT on a line of its own, ``\n(``, and no other line of a data section
starts with ``(``; with newlines escaped inside values, the number of ``\n(`` in a section is
exactly the number of rows the tool dumped. A tool that writes all rows of an INSERT on one
line (MySQL's mysqldump, older MariaDB) would count zero; a section that has an INSERT but no
such row line is therefore refused (:class:`DumpStreamError`), never counted as empty.
"""

from __future__ import annotations

from strongroom.engines.streamhash import DumpStreamError, TerminatedSection

__all__ = ["SQLDumpHasher"]

_START = b"\nLOCK TABLES `"
#: How every row begins in mariadb-dump's one-row-per-line extended INSERTs.
_ROW = b"\n("
_INSERT = b"\nINSERT INTO "
_WRITE = b" WRITE;\n"
_END = b"\nUNLOCK TABLES;\n"
#: A quoted name is at most 64 characters of 4 bytes, each backtick doubled: far below this.
_LONGEST_NAME = 1024


class SQLDumpHasher:
    """Fed an SQL dump in pieces of any size; hashes each table's data section.

    With ``count_rows`` it also counts each section's rows (module doc): :meth:`row_counts`.
    """

    def __init__(self, *, count_rows: bool = False) -> None:
        self._buf = b"\n"  # the dump's first line can be a section start as well as any other
        self._section: TerminatedSection | None = None
        self._table = ""
        self._count_rows = count_rows
        self._digests: dict[str, str] = {}
        self._rows: dict[str, int] = {}
        self._result: dict[str, str] | None = None

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the dump."""
        chunk, pos = data, 0
        while True:
            if self._section is not None:
                end = self._section.feed(chunk, pos)
                if end is None:
                    return
                if self._table in self._digests:
                    raise DumpStreamError(f"the dump holds the data of table {self._table} twice")
                self._digests[self._table] = self._section.digest.hexdigest()
                if self._count_rows:
                    self._rows[self._table] = _rows_of(self._table, self._section)
                self._section = None
                pos = end - 1  # the newline before the next line, which may start a section
                continue
            buf = self._buf + chunk[pos:] if self._buf else chunk[pos:]
            start = self._find_section(buf)
            if start is None:
                return
            chunk, pos = buf, start

    def finish(self) -> dict[str, str]:
        """Table name → sha256 of its data section; raises if the dump ends inside one."""
        if self._result is not None:
            return self._result
        if self._section is not None:
            raise DumpStreamError(
                f"the dump ends inside the data of table {self._table}; it is incomplete"
            )
        self._result = dict(self._digests)
        return self._result

    def row_counts(self) -> dict[str, int]:
        """Table name → rows in its data section (after :meth:`finish`; ``count_rows`` only)."""
        if not self._count_rows:
            raise DumpStreamError("this hasher was not asked to count rows")
        self.finish()
        return dict(self._rows)

    def _find_section(self, buf: bytes) -> int | None:
        """Start a section at the next ``LOCK TABLES `t` WRITE;`` line; its data's offset."""
        at = 0
        while (at := buf.find(_START, at)) >= 0:
            name_at = at + len(_START)
            parsed = _unquote(buf, name_at)
            if parsed is None:  # the name (or what follows it) is not all here yet
                self._buf = buf[at:]
                return None
            name, after = parsed
            if name is not None and buf.startswith(_WRITE, after):
                self._table = name
                self._section = TerminatedSection(_END, count=_ROW if self._count_rows else None)
                self._buf = b""
                return after + len(_WRITE) - 1  # the section starts with that line's newline
            at += 1
        self._buf = buf[-(len(_START) - 1) :]
        return None


def _rows_of(table: str, section: TerminatedSection) -> int:
    """The section's row count; refuses a section whose INSERTs are not one row per line."""
    if section.count == 0 and (section.size > len(section.head) or _INSERT in section.head):
        raise DumpStreamError(
            f"the data of table {table} has INSERT statements but no row starts a line: the "
            "dump tool writes all rows of an INSERT on one line (MySQL's mysqldump, older "
            "MariaDB clients), so rows cannot be counted from the stream"
        )
    return section.count


def _unquote(buf: bytes, at: int) -> tuple[str | None, int] | None:
    """The backtick-quoted name from ``at`` (just past the opening backtick) and what follows.

    Returns ``None`` when ``buf`` ends first; ``(None, at)`` when this is no quoted name.
    """
    pos = at
    while True:
        tick = buf.find(b"`", pos)
        if tick < 0:
            return None if len(buf) - at <= _LONGEST_NAME else (None, at)
        if tick + 1 >= len(buf) or tick + len(_WRITE) >= len(buf):
            return None
        if buf[tick + 1 : tick + 2] == b"`":
            pos = tick + 2
            continue
        if tick - at > _LONGEST_NAME:
            return (None, at)
        name = buf[at:tick].replace(b"``", b"`").decode("utf-8", "backslashreplace")
        return name, tick + 1
