"""A dump counts only when complete: the MariaDB trailer, the pg_dump client version rule."""

from __future__ import annotations

import pytest

from strongroom.engines import mysql, postgres


@pytest.mark.parametrize(
    "tail",
    [
        b"/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed\n",
        b"...;\n-- Dump completed on 2026-11-23 10:00:00\n",
        b"-- Dump completed",
    ],
)
def test_a_dump_ending_with_the_trailer_is_complete(tail: bytes) -> None:
    assert mysql.has_trailer(tail)


@pytest.mark.parametrize(
    "tail",
    [
        b"",
        b"INSERT INTO `orders` VALUES (1,2,3),\n(4,5",  # cut mid-statement
        b"-- Dump completed\nINSERT INTO t VALUES (1);\n",  # trailer not last
        b"UNLOCK TABLES;\n",
    ],
)
def test_a_dump_without_the_trailer_is_incomplete(tail: bytes) -> None:
    assert not mysql.has_trailer(tail)


@pytest.mark.parametrize(
    ("line", "major"),
    [
        ("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", 15),
        ("pg_dump (PostgreSQL) 17.2", 17),
        ("pg_restore (PostgreSQL) 9.6.24", 9),
    ],
)
def test_the_client_major_version_is_read_from_the_tool(line: str, major: int) -> None:
    assert postgres._major(line) == major
