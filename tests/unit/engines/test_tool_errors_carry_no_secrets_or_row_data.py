"""Tool stderr becomes an error message only after passwords and row values are removed."""

from __future__ import annotations

import pytest

from strongroom.engines import mysql
from strongroom.engines.tooling import is_error_line, redact_values, scrub


def test_known_passwords_are_removed_verbatim() -> None:
    assert scrub("login as x with hunter2 failed", ["hunter2"]) == "login as x with *** failed"


@pytest.mark.parametrize(
    "text",
    [
        "connection string password=hunter2 host=db",
        "password: 'hunter2'",
        "CREATE USER x IDENTIFIED BY 'hunter2'",
    ],
)
def test_password_shapes_are_removed_even_when_unknown(text: str) -> None:
    assert "hunter2" not in scrub(text)


def test_an_empty_secret_does_not_blank_the_message() -> None:
    assert scrub("pg_dump failed", ["", None]) == "pg_dump failed"


def test_quoted_values_are_redacted_but_identifiers_stay() -> None:
    line = "ERROR 1062 (23000) at line 5: Duplicate entry 'ana@example.com' for key 'email'"
    assert (
        redact_values(line) == "ERROR 1062 (23000) at line 5: Duplicate entry '…' for key 'email'"
    )
    pg = 'pg_restore: error: invalid input syntax for type integer: "Zoë Müller" in "public.t"'
    assert "Zoë" not in redact_values(pg)
    assert '"public.t"' in redact_values(pg)


def test_long_lines_are_cut() -> None:
    assert len(redact_values("x" * 5000)) <= 301


@pytest.mark.parametrize(
    "line",
    [
        "DETAIL:  Key (email)=(ana@example.com) already exists.",
        "CONTEXT:  COPY customers, line 3",
        "Command was: INSERT INTO t VALUES (1, 'x');",
        "--------------",
        "",
    ],
)
def test_lines_that_echo_statements_or_rows_are_dropped(line: str) -> None:
    assert not is_error_line(line)


def test_mariadb_client_keeps_only_its_error_lines() -> None:
    assert mysql.is_error_line("ERROR 1146 (42S02) at line 1: Table 'x.y' doesn't exist")
    assert mysql.is_error_line("mariadb-dump: Got error: 1045: Access denied for user")
    assert not mysql.is_error_line("INSERT INTO `customers` VALUES (1,'ana@example.com')")
