"""Secrets as files: argv and environment carry paths, never the password itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from strongroom.engines import mysql, postgres
from strongroom.engines.base import Connection, TLSMode, read_password
from strongroom.engines.tooling import child_env, private_dir, write_secret_file
from strongroom.errors import ConfigError

PASSWORD = "s3cr:et\\pa'ss\"w #rd"


def _conn(tmp_path: Path, **kwargs: object) -> Connection:
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    return Connection(
        host="db.shop", port=5432, database="shop", user="backup", password_file=pw, **kwargs
    )  # type: ignore[arg-type]


def test_the_password_file_is_read_without_its_trailing_newline(tmp_path: Path) -> None:
    assert read_password(_conn(tmp_path)) == PASSWORD


def test_a_missing_password_file_names_the_file_not_a_secret(tmp_path: Path) -> None:
    conn = Connection("h", 1, "d", "u", tmp_path / "absent")
    with pytest.raises(ConfigError, match="absent"):
        read_password(conn)


def test_postgres_command_lines_hold_no_password(tmp_path: Path) -> None:
    conn = _conn(tmp_path)
    dump = postgres.dump_argv("pg_dump", conn, snapshot="00000003-1")
    restore = postgres.restore_argv("pg_restore", conn, clean=False)
    for argv in (dump, restore):
        assert not any(PASSWORD in arg or "password=" in arg.lower() for arg in argv)
        assert "--no-password" in argv
    assert "--format=custom" in dump
    assert "--compress=0" in dump
    assert "--snapshot=00000003-1" in dump
    assert {"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"} <= set(
        restore
    )
    assert "--clean" not in restore
    assert "--clean" in postgres.restore_argv("pg_restore", conn, clean=True)


def test_pgpass_escapes_colons_and_backslashes_and_matches_any_database(tmp_path: Path) -> None:
    line = postgres.pgpass_line(_conn(tmp_path), PASSWORD)
    assert line == "db.shop:5432:*:backup:s3cr\\:et\\\\pa'ss\"w #rd\n"


def test_postgres_tls_modes_reach_libpq(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    info = postgres.conninfo(_conn(tmp_path, tls=TLSMode.VERIFY_FULL, ca_file=ca))
    assert "sslmode=verify-full" in info
    assert f"sslrootcert={ca}" in info
    assert "sslmode=disable" in postgres.conninfo(_conn(tmp_path))


def test_mariadb_dump_command_line_holds_no_password(tmp_path: Path) -> None:
    conn = _conn(tmp_path)
    argv = mysql.dump_argv("mariadb-dump", tmp_path / "client.cnf", conn, mariadb=True)
    assert argv[1] == f"--defaults-extra-file={tmp_path / 'client.cnf'}"  # must be first
    assert not any(PASSWORD in arg or "password=" in arg.lower() for arg in argv)
    for flag in (
        "--single-transaction",
        "--quick",
        "--routines",
        "--triggers",
        "--events",
        "--hex-blob",
        "--default-character-set=utf8mb4",
        "--skip-dump-date",
    ):
        assert flag in argv
    assert "--skip-comments" not in argv  # the trailer proves completeness
    assert argv[-1] == "shop"


def test_mariadb_defaults_file_quotes_the_password(tmp_path: Path) -> None:
    text = mysql.defaults_file_text(_conn(tmp_path), PASSWORD)
    assert text.startswith("[client]\n")
    assert 'password="s3cr:et\\\\pa\'ss\\"w #rd"' in text


@pytest.mark.parametrize(
    ("tls", "mariadb", "expected"),
    [
        (TLSMode.DISABLE, True, ["--skip-ssl"]),
        (TLSMode.VERIFY_FULL, True, ["--ssl", "--ssl-verify-server-cert"]),
        (TLSMode.REQUIRE, False, ["--ssl-mode=REQUIRED"]),
        (TLSMode.VERIFY_FULL, False, ["--ssl-mode=VERIFY_IDENTITY"]),
    ],
)
def test_mariadb_and_mysql_tls_flags(tls: TLSMode, mariadb: bool, expected: list[str]) -> None:
    assert mysql.tls_flags(tls, mariadb=mariadb) == expected


def test_secret_files_are_0600_in_a_0700_directory_removed_afterwards() -> None:
    with private_dir() as directory:
        secret = write_secret_file(directory / "pgpass", "x")
        assert directory.stat().st_mode & 0o777 == 0o700
        assert secret.stat().st_mode & 0o777 == 0o600
    assert not directory.exists()


def test_tool_environment_drops_password_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("MYSQL_PWD", PASSWORD)
    env = child_env({"PGPASSFILE": "/run/secret/pgpass"})
    assert "PGPASSWORD" not in env
    assert "MYSQL_PWD" not in env
    assert env["PGPASSFILE"] == "/run/secret/pgpass"
    assert PASSWORD not in "".join(env.values())
    assert os.environ["PGPASSWORD"] == PASSWORD  # our own environment is untouched
