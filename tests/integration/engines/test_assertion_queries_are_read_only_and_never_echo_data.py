"""Custom verification assertions: one value back as text, in a read-only transaction, and an
error names the server's code only — never its text, which can quote row data."""

from __future__ import annotations

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.errors import EngineError


def test_a_query_returns_its_first_value_as_text(case: EngineCase) -> None:
    counts = case.store.counts
    assert counts is not None
    got = case.engine.query_value(case.store.connection, "SELECT count(*) FROM customers")
    assert got == str(counts.customers)
    assert case.engine.query_value(case.store.connection, "SELECT NULL") is None


def test_a_write_is_refused_and_leaves_the_data_alone(case: EngineCase) -> None:
    before = case.execute("SELECT count(*) FROM customers")
    with pytest.raises(EngineError) as refused:
        case.engine.query_value(case.store.connection, "DELETE FROM customers")
    assert refused.value.reason == "QueryFailed"
    assert case.execute("SELECT count(*) FROM customers") == before


#: A value that exists only in the statement; the server's error text would quote it.
SECRET_LOOKING = "row-value-7f3a"
FAILING = {
    "postgresql": "SELECT CAST('row-value-7f3a' AS INTEGER) FROM customers",
    "mysql": "SELECT * FROM `row-value-7f3a`",
}


def test_an_error_carries_no_value_from_the_database(case: EngineCase) -> None:
    with pytest.raises(EngineError) as failed:
        case.engine.query_value(case.store.connection, FAILING[case.engine.name])
    assert SECRET_LOOKING not in str(failed.value)
