"""A realistic online-store database, generated deterministically for both engines.

Six tables (customers, addresses, orders, order_items, payments, support_tickets) with primary
and foreign keys, indexes, timestamps, money as exact decimals, free text, a JSON column, some
NULLs and unicode names. The same seed gives the same logical content on PostgreSQL and on
MariaDB; :func:`content_digest` proves it. Rows are streamed (COPY on PostgreSQL, multi-row
INSERTs on MariaDB) and constraints are added after loading, so 1 GB takes minutes.

Run it for benchmarks and the demo::

    python -m tests.support.storegen --engine postgresql --size 1GB \\
        --dsn postgresql://user@127.0.0.1:5432/shop --password-file pw.txt
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import decimal
import hashlib
import json
import re
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.engines.base import Connection
from tests.support.storegen_schema import (
    CONSTRAINTS,
    TABLES,
    Counts,
    counts_for,
    create_statements,
    rows_for,
)

__all__ = ["TABLES", "Counts", "content_digest", "generate", "logical_rows", "parse_size"]

_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
_BATCH = 2000


def parse_size(size: str | int) -> int:
    """``"5MB"``, ``"1GB"``, ``"512KB"`` or a byte count → bytes."""
    if isinstance(size, int):
        return size
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*", size.upper())
    if not match:
        raise ValueError(f"size {size!r} is not like 5MB or 1GB")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _pg(conn: Connection) -> Any:
    from strongroom.engines.postgres import connect  # noqa: PLC0415 - one driver per engine

    return connect(conn, _password(conn))


def _maria(conn: Connection) -> Any:
    from strongroom.engines.mysql import connect  # noqa: PLC0415 - one driver per engine

    return connect(conn, _password(conn))


def _password(conn: Connection) -> str | None:
    from strongroom.engines.base import read_password  # noqa: PLC0415

    return read_password(conn)


def generate(conn: Connection, engine: str, *, size: str | int = "4MB", seed: int = 7) -> Counts:
    """Create the store schema in ``conn.database`` and fill it to about ``size``.

    Returns:
        The row counts per table.
    """
    counts = counts_for(parse_size(size))
    if engine == "postgresql":
        _fill_postgres(conn, counts, seed)
    elif engine == "mysql":
        _fill_mariadb(conn, counts, seed)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return counts


def _fill_postgres(conn: Connection, counts: Counts, seed: int) -> None:
    from psycopg.types.json import Jsonb  # noqa: PLC0415 - one driver per engine

    with contextlib.closing(_pg(conn)) as session:
        with session.transaction():
            for statement in create_statements("postgresql"):
                session.execute(statement.encode())
            for table in TABLES:
                columns = ", ".join(c.name for c in table.columns)
                with (
                    session.cursor() as cur,
                    cur.copy(f"COPY {table.name} ({columns}) FROM STDIN".encode()) as copy,
                ):
                    for row in rows_for(table.name, counts, seed):
                        copy.write_row([Jsonb(v) if isinstance(v, dict) else v for v in row])
            for statement in CONSTRAINTS:
                session.execute(statement.encode())
        session.execute(b"ANALYZE")


def _fill_mariadb(conn: Connection, counts: Counts, seed: int) -> None:
    with contextlib.closing(_maria(conn)) as session, session.cursor() as cur:
        cur.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
        for statement in create_statements("mysql"):
            cur.execute(statement)
        for table in TABLES:
            columns = ", ".join(c.name for c in table.columns)
            marks = ", ".join(["%s"] * len(table.columns))
            insert = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
            batch: list[tuple[object, ...]] = []
            for row in rows_for(table.name, counts, seed):
                batch.append(_maria_value_row(row))
                if len(batch) >= _BATCH:
                    cur.executemany(insert, batch)
                    batch.clear()
            if batch:
                cur.executemany(insert, batch)
        for statement in CONSTRAINTS:
            cur.execute(statement)
        cur.execute("SET SESSION foreign_key_checks = 1, unique_checks = 1")


def _maria_value_row(row: tuple[object, ...]) -> tuple[object, ...]:
    out: list[object] = []
    for value in row:
        if isinstance(value, dt.datetime):
            out.append(value.astimezone(dt.UTC).replace(tzinfo=None))
        elif isinstance(value, dict):
            out.append(json.dumps(value, ensure_ascii=False))
        else:
            out.append(value)
    return tuple(out)


def _normalise(value: object) -> str | None:
    """One value in an engine-neutral text form (UTC times, 2-place money, sorted-key JSON)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def logical_rows(conn: Connection, engine: str, table: str) -> Iterator[tuple[str | None, ...]]:
    """Rows of a store ``table`` in id order, normalised so both engines compare equal."""
    spec = next(t for t in TABLES if t.name == table)
    columns = ", ".join(c.name for c in spec.columns)
    query = f"SELECT {columns} FROM {table} ORDER BY id"  # noqa: S608 - names from our schema
    json_columns = {i for i, c in enumerate(spec.columns) if c.kind == "json"}
    session = _pg(conn) if engine == "postgresql" else _maria(conn)
    with contextlib.closing(session), session.cursor() as cur:
        cur.execute(query.encode() if engine == "postgresql" else query)
        for row in cur:
            values = [
                json.loads(v) if i in json_columns and isinstance(v, str) else v
                for i, v in enumerate(row)
            ]
            yield tuple(_normalise(v) for v in values)


@dataclass(frozen=True)
class TableDigest:
    """Row count and sha256 of a table's normalised logical rows."""

    rows: int
    sha256: str


def content_digest(conn: Connection, engine: str) -> dict[str, TableDigest]:
    """Per-table digests of the logical content, comparable across engines."""
    result = {}
    for table in TABLES:
        digest, rows = hashlib.sha256(), 0
        for row in logical_rows(conn, engine, table.name):
            digest.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
            rows += 1
        result[table.name] = TableDigest(rows, digest.hexdigest())
    return result


def _connection_from_dsn(dsn: str, password_file: Path | None) -> tuple[str, Connection]:
    url = urllib.parse.urlsplit(dsn)
    engine = "postgresql" if url.scheme.startswith("postgres") else "mysql"
    if url.password and password_file is None:
        raise SystemExit("put the password in a file and pass --password-file, not in the DSN")
    default_port = 5432 if engine == "postgresql" else 3306
    return engine, Connection(
        host=url.hostname or "127.0.0.1",
        port=url.port or default_port,
        database=url.path.lstrip("/"),
        user=urllib.parse.unquote(url.username or ""),
        password_file=password_file,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: fill an existing, empty database with a store of the given size."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.storegen")
    parser.add_argument("--engine", choices=["postgresql", "mysql"], required=True)
    parser.add_argument("--size", default="10MB", help="approximate size, e.g. 5MB or 1GB")
    parser.add_argument("--dsn", required=True, help="postgresql://user@host:port/db or mysql://…")
    parser.add_argument("--password-file", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    _, conn = _connection_from_dsn(args.dsn, args.password_file)
    counts = generate(conn, args.engine, size=args.size, seed=args.seed)
    print(json.dumps(counts.as_dict()), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
