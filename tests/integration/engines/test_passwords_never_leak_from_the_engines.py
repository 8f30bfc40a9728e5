"""Secrets as files: no password in argv, environment, error messages or leftover files."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from pathlib import Path

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.errors import EngineError

WRONG = "Wr0ng-pa$$word-that-must-not-leak"


def _secret_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("strongroom-secrets-*"))


def test_the_running_dump_tool_has_no_password_in_argv_or_environment(case: EngineCase) -> None:
    password = case.store.connection.password_file.read_text().strip()  # type: ignore[union-attr]
    before = _secret_dirs()
    with case.engine.dump(case.store.connection) as dump:
        pid = dump.pid  # type: ignore[attr-defined]
        argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        files = [f for d in _secret_dirs() - before for f in d.iterdir()]
        modes = [f.stat().st_mode & 0o777 for f in files]
        dump.stdout.read()
        dump.finish()
    assert password.encode() not in argv
    assert password.encode() not in environ
    assert b"PGPASSWORD" not in environ
    assert b"MYSQL_PWD" not in environ
    assert files, "the password reached the tool through a file"
    assert all(mode == 0o600 for mode in modes)
    assert all(not f.exists() for f in files), "secret files are removed after the dump"


def test_a_wrong_password_is_a_clear_error_without_the_password(
    case: EngineCase, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text(WRONG + "\n")
    conn = dataclasses.replace(case.store.connection, password_file=wrong)

    with pytest.raises(EngineError) as failure, case.engine.dump(conn):
        pass
    message = str(failure.value)
    assert WRONG not in message
    assert "password authentication failed" in message or "Access denied" in message
    assert conn.user in message


def test_a_restore_tool_refused_by_the_server_says_why_without_the_password(
    case: EngineCase, tmp_path: Path
) -> None:
    data, _ = case.dump()
    target = case.new_database()
    wrong = tmp_path / "wrong"
    wrong.write_text(WRONG + "\n")
    conn = dataclasses.replace(target, password_file=wrong)

    # allow_overwrite skips the emptiness check, so the restore tool itself meets the server.
    with pytest.raises(EngineError) as failure:
        case.engine.restore(conn, io.BytesIO(data), allow_overwrite=True)
    message = str(failure.value)
    assert WRONG not in message
    assert "pg_restore" in message or "mariadb" in message
    assert "password authentication failed" in message or "Access denied" in message
