"""The database fixtures are real servers that demand the password from the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.errors import EngineError


def test_server_answers_and_reports_its_version(case: EngineCase) -> None:
    version = case.engine.server_version(case.store.connection)
    assert version.startswith("15.") if case.engine.name == "postgresql" else "MariaDB" in version
    assert case.engine.tool_versions()
    assert all(case.engine.tool_versions().values())


def test_a_login_without_the_right_password_is_refused(case: EngineCase, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    conn = dataclasses.replace(case.store.connection, password_file=wrong)
    with pytest.raises(EngineError):
        case.engine.fingerprints(conn)


def test_the_generated_store_has_every_table_filled(case: EngineCase) -> None:
    fingerprints = {
        f.table.split(".")[-1]: f for f in case.engine.fingerprints(case.store.connection)
    }
    assert case.store.counts is not None
    for table, rows in case.store.counts.as_dict().items():
        assert fingerprints[table].rows == rows
