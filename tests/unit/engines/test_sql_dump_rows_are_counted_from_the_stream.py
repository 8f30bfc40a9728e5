"""mariadb-dump's rows are counted in its stream: one row per line, never a guess.

mariadb-dump starts every row of an extended INSERT on its own line (``\\n(``) and escapes
newlines inside values, so the rows of a table's data section are exactly its ``\\n(``. Values
that look like row starts once unescaped (``\\\\n(``) must not count, a row start split across
two reads must count once, and a dump whose INSERTs hold all their rows on one line (MySQL's
mysqldump) must be refused rather than counted as empty.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.streams import fed_in_pieces

from strongroom.engines.sqlstream import SQLDumpHasher
from strongroom.engines.streamhash import DumpStreamError, TerminatedSection

HEAD = b"-- MariaDB dump 10.19\n--\n\n"
TRAILER = b"\n-- Dump completed\n"


def _section(name: str, inserts: list[list[bytes]]) -> bytes:
    """A table's data section as mariadb-dump 10.11 writes it: one row per line."""
    q = b"`" + name.encode() + b"`"
    statements = b"".join(
        b"INSERT INTO %s VALUES\n" % q + b",\n".join(rows) + b";\n" for rows in inserts
    )
    return (
        b"LOCK TABLES %s WRITE;\n/*!40000 ALTER TABLE %s DISABLE KEYS */;\n" % (q, q)
        + statements
        + b"/*!40000 ALTER TABLE %s ENABLE KEYS */;\nUNLOCK TABLES;\n" % q
    )


ROWS = {
    "orders": [
        [b"(1,'a),\\n(b')", b"(2,'\\n(\\n(')", b"(3,NULL)"],  # escaped newlines: not row starts
        [b"(4,'UNLOCK TABLES;')"],  # a second INSERT statement of the same table
    ],
    "empty": [],
    "order_items": [[b"(%d,0x00FF)" % i for i in range(1, 41)]],
}
DUMP = HEAD + b"".join(_section(name, inserts) for name, inserts in ROWS.items()) + TRAILER
COUNTS = {"orders": 4, "empty": 0, "order_items": 40}


def _counted(data: bytes, cuts: list[int] | None = None) -> dict[str, int]:
    hasher = SQLDumpHasher(count_rows=True)
    fed_in_pieces(hasher, data, cuts or [])
    return hasher.row_counts()


def test_every_table_gets_the_number_of_rows_it_dumped() -> None:
    assert _counted(DUMP) == COUNTS


@settings(max_examples=80, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(DUMP)), max_size=20))
def test_any_split_of_the_stream_counts_the_same(cuts: list[int]) -> None:
    assert _counted(DUMP, cuts) == COUNTS


def test_a_split_between_newline_and_parenthesis_counts_that_row_once() -> None:
    at = DUMP.index(b"\n(2,")
    assert _counted(DUMP, [at + 1]) == COUNTS
    assert _counted(DUMP, list(range(at - 3, at + 4))) == COUNTS


def test_counting_leaves_the_hashes_as_they_are() -> None:
    assert fed_in_pieces(SQLDumpHasher(count_rows=True), DUMP) == fed_in_pieces(
        SQLDumpHasher(), DUMP
    )


def test_inserts_with_all_rows_on_one_line_are_refused_naming_the_table() -> None:
    one_line = (
        HEAD
        + b"LOCK TABLES `t` WRITE;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
        + b"INSERT INTO `t` VALUES (1,'a'),(2,'b');\n"
        + b"/*!40000 ALTER TABLE `t` ENABLE KEYS */;\nUNLOCK TABLES;\n"
        + TRAILER
    )
    with pytest.raises(DumpStreamError, match="table t has INSERT statements but no row"):
        _counted(one_line)


def test_rows_are_only_counted_when_asked() -> None:
    hasher = SQLDumpHasher()
    fed_in_pieces(hasher, DUMP)
    with pytest.raises(DumpStreamError, match="not asked to count rows"):
        hasher.row_counts()


@settings(max_examples=120, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"\n", b"(", b"x", b"\n(", b"ab", b"abc"]), max_size=60),
    pattern=st.sampled_from([b"\n(", b"abc", b"("]),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12),
)
def test_a_section_counts_a_pattern_exactly_however_it_is_fed(
    data: list[bytes], pattern: bytes, cuts: list[int]
) -> None:
    body = b"".join(data)
    stream = body + b"<END>" + b"after"
    section = TerminatedSection(b"<END>", count=pattern)
    start, end = 0, None
    for cut in [*sorted(c for c in cuts if c < len(stream)), len(stream)]:
        piece = stream[start:cut]
        start = max(start, cut)
        end = section.feed(piece, 0)
        if end is not None:
            break
    assert end is not None
    assert section.count == body.count(pattern)
    assert section.size == len(body)
    assert section.digest.hexdigest() == hashlib.sha256(body).hexdigest()
