"""A fingerprint client's output splits exactly at each table's end marker, whatever the data.

``cat`` stands in for the database client: it prints back the "statements", which here are the
rows a client would print followed by the end marker, so the splitting and block hashing are
tested on real pipes without a database.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from strongroom.engines import mysql
from strongroom.engines.tooling import (
    FingerprintClient,
    TableQuery,
    ToolProcess,
    child_env,
    end_marker,
)
from strongroom.errors import EngineError


def _client(*argv: str) -> FingerprintClient:
    tool = shutil.which(argv[0])
    assert tool is not None
    proc = ToolProcess(
        [tool, *argv[1:]],
        env=child_env(),
        secrets=[],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    return FingerprintClient(proc)


def _printed(table: str, fields: int, rows: list[bytes]) -> TableQuery:
    return TableQuery(table, fields, b"".join(rows) + end_marker(fields))


def test_each_table_gets_the_hash_and_line_count_of_its_own_rows() -> None:
    big = [b"%d\t" % n + b"x" * 300 + b"\n" for n in range(8000)]  # > 2 MiB: several blocks
    tables = [
        _printed("big", 2, big),
        _printed("empty", 3, []),
        # Rows that look like markers of other widths, and a marker-like value split by escapes.
        _printed("tricky", 2, [b"~\t~\n", b"~\\t~\\t~\t~\n", b"~\n"]),
        _printed("one_column", 1, [b"~\n", b"\n"]),
    ]
    client = _client("cat")
    try:
        result = client.run(tables)
    finally:
        client.stop()
    expected = {
        "big": (len(big), hashlib.sha256(b"".join(big)).hexdigest()),
        "empty": (0, hashlib.sha256(b"").hexdigest()),
        "tricky": (3, hashlib.sha256(b"~\t~\n~\\t~\\t~\t~\n~\n").hexdigest()),
        "one_column": (2, hashlib.sha256(b"~\n\n").hexdigest()),
    }
    assert {f.table: (f.rows, f.sha256) for f in result} == expected


def test_a_client_that_stops_early_never_yields_fingerprints() -> None:
    client = _client("head", "-c", "100")  # prints the first 100 bytes, then exits 0
    try:
        with pytest.raises(EngineError, match="ended before fingerprinting table t"):
            client.run([_printed("t", 1, [b"row\n"] * 1000)])
    finally:
        client.stop()


def test_a_failing_client_is_reported_with_its_exit_code() -> None:
    client = _client("false")
    try:
        with pytest.raises(EngineError, match="false exited with code 1"):
            client.run([_printed("t", 1, [b"row\n"])])
    finally:
        client.stop()


def test_mariadb_nullable_columns_carry_a_null_flag_so_null_and_text_null_differ() -> None:
    query = mysql.table_query("shop", "or`ders", [("id", False), ("note", True)], ["id"])
    assert query.table == "or`ders"
    assert query.fields == 3
    assert query.statement == (
        b"SELECT `id`, ISNULL(`note`), `note` FROM `shop`.`or``ders` ORDER BY `id`;\n"
        b"SELECT '~', '~', '~', '~';\n"
    )


def test_mariadb_tables_without_a_key_are_ordered_by_every_columns_bytes() -> None:
    query = mysql.table_query("shop", "log", [("at", False), ("line", False)], [])
    assert b"ORDER BY CAST(`at` AS BINARY), CAST(`line` AS BINARY);" in query.statement
