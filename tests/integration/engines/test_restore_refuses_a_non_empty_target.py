"""A restore never overwrites a database that holds data unless told to in so many words."""

from __future__ import annotations

import io

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.errors import ConfigError, EngineError


def test_restore_into_a_database_with_data_is_refused(case: EngineCase) -> None:
    data, _ = case.dump()
    before = case.engine.fingerprints(case.store.connection)

    with pytest.raises(ConfigError, match="allow_overwrite") as refusal:
        case.engine.restore(case.store.connection, io.BytesIO(data))

    assert refusal.value.reason == "RestoreTargetNotEmpty"
    assert case.store.name in str(refusal.value)
    assert case.engine.fingerprints(case.store.connection) == before


def test_a_failed_restore_is_an_engine_error_naming_the_tool(case: EngineCase) -> None:
    target = case.new_database()
    garbage = io.BytesIO(b"this is not a dump\n" * 10)
    with pytest.raises(EngineError) as failure:
        case.engine.restore(target, garbage)
    tool = "pg_restore" if case.engine.name == "postgresql" else "mariadb"
    assert tool in str(failure.value)
