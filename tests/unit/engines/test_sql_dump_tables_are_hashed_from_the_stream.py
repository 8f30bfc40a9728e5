"""A mariadb-dump SQL dump is hashed table by table as it streams, whatever the read sizes.

The dumps here have the shape ``mariadb-dump --opt`` writes (MariaDB 10.x puts every row of an
extended INSERT on its own line; MySQL's mysqldump writes one line per statement); the real
tool is covered by the integration tests.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.streams import fed_in_pieces

from strongroom.engines.sqlstream import SQLDumpHasher
from strongroom.engines.streamhash import DumpStreamError

HEAD = b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n--\n\n"
TRAILER = b"\n-- Dump completed\n"


def _quoted(name: str) -> bytes:
    return b"`" + name.replace("`", "``").encode() + b"`"


def _table(name: str, statements: list[bytes]) -> tuple[bytes, bytes]:
    """One table's DDL and data section, and the bytes the hasher takes from it."""
    q = _quoted(name)
    ddl = b"DROP TABLE IF EXISTS %s;\nCREATE TABLE %s (\n  `id` int\n);\n\n" % (q, q)
    data = (
        b"\n/*!40000 ALTER TABLE %s DISABLE KEYS */;\n" % q
        + b"".join(s + b"\n" for s in statements)
        + b"/*!40000 ALTER TABLE %s ENABLE KEYS */;" % q
    )
    section = b"--\n-- Dumping data for table %s\n--\n\nLOCK TABLES %s WRITE;" % (q, q)
    return ddl + section + data + b"\nUNLOCK TABLES;\n\n", data


TABLES = {
    "orders": [
        b"INSERT INTO `orders` VALUES\n(1,'a),(b','x\\'y'),\n(2,'back\\\\slash','line\\nbreak');",
        b"INSERT INTO `orders` VALUES (3,'UNLOCK TABLES;','\\nUNLOCK TABLES;\\n');",
    ],
    "empty": [],
    "we`ird": [b"INSERT INTO `we``ird` VALUES (1,0x00FF),(2,NULL);"],
    "LOCK TABLES `x` WRITE;": [b"INSERT INTO `LOCK TABLES ``x`` WRITE;` VALUES (1);"],
}


def _dump(tables: dict[str, list[bytes]]) -> tuple[bytes, dict[str, str]]:
    body, expected = HEAD, {}
    for name, statements in tables.items():
        text, hashed = _table(name, statements)
        body += text
        expected[name] = hashlib.sha256(hashed).hexdigest()
    trigger = b"DELIMITER ;;\n/*!50003 CREATE TRIGGER t BEFORE INSERT ON `orders` FOR EACH ROW"
    return body + trigger + b"\nLOCK TABLES;;\nDELIMITER ;\n" + TRAILER, expected


def _hash(data: bytes, cuts: list[int] | None = None) -> dict[str, str]:
    return fed_in_pieces(SQLDumpHasher(), data, cuts or [])


def test_each_table_hashes_its_own_data_section() -> None:
    dump, expected = _dump(TABLES)
    assert _hash(dump) == expected
    assert len(set(expected.values())) == len(expected)


@settings(max_examples=80, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=1_600), max_size=15))
def test_any_split_of_the_stream_gives_the_same_fingerprints(cuts: list[int]) -> None:
    dump, expected = _dump(TABLES)
    assert len(dump) < 1_600
    assert _hash(dump, cuts) == expected


def test_one_changed_byte_changes_only_that_tables_hash() -> None:
    dump, before = _dump(TABLES)
    after = _hash(dump.replace(b"(2,NULL)", b"(2,NUL0)"))
    assert {name for name in before if before[name] != after[name]} == {"we`ird"}


def test_a_dump_cut_inside_a_tables_data_is_an_error_naming_it() -> None:
    dump, _ = _dump(TABLES)
    with pytest.raises(DumpStreamError, match="inside the data of table orders"):
        _hash(dump[: dump.index(b"(2,'back")])


def test_the_same_table_twice_is_an_error() -> None:
    once, _ = _table("t", [b"INSERT INTO `t` VALUES (1);"])
    with pytest.raises(DumpStreamError, match="table t twice"):
        _hash(HEAD + once + once + TRAILER)


def test_a_dump_without_tables_has_no_fingerprints() -> None:
    assert _hash(HEAD + TRAILER) == {}
