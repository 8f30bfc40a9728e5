"""Erasure replay deletes exactly the rows whose key is listed: values are bound parameters, so
an injection-shaped value matches nothing; a failing entry is rolled back whole, and its error
names the table but never a key value (key values are personal data)."""

from __future__ import annotations

import pytest
from tests.integration.engines.conftest import EngineCase

from strongroom.api.erasure import ErasureDelete
from strongroom.engines import mysql, postgres
from strongroom.errors import EngineError


def erase(case: EngineCase, deletes: list[ErasureDelete]) -> int:
    eraser = postgres.erase_by_key if case.engine.name == "postgresql" else mysql.erase_by_key
    return eraser(case.store.connection, deletes)


def count(case: EngineCase, table: str) -> int:
    return int(str(case.execute(f"SELECT COUNT(*) FROM {table}")[0][0]))  # noqa: S608


def delete(table: str, column: str, *values: str) -> ErasureDelete:
    return ErasureDelete(table=table, column=column, values=list(values))


def test_only_the_listed_keys_are_deleted_and_injection_shaped_values_match_nothing(
    case: EngineCase,
) -> None:
    email = str(case.execute("SELECT email FROM customers ORDER BY id LIMIT 1")[0][0])
    before = count(case, "customers")
    hostile = ["x' OR '1'='1", "x\\' OR 1=1 -- ", "'; DROP TABLE customers; --"]
    assert erase(case, [delete("customers", "email", *hostile)]) == 0
    assert count(case, "customers") == before

    # A customer with no orders, tickets or addresses can be erased by email alone
    case.execute(
        "INSERT INTO customers (id, email, full_name, phone, country, created_at, "
        "marketing_opt_in) VALUES (999999, 'erase.me@example.com', 'Erase Me', NULL, 'DE', "
        "'2026-01-01 00:00:00', 0)"
    )
    assert erase(case, [delete("customers", "email", "erase.me@example.com")]) == 1
    assert count(case, "customers") == before
    query = f"SELECT COUNT(*) FROM customers WHERE email = '{email}'"  # noqa: S608
    assert int(str(case.execute(query)[0][0])) == 1


def test_a_failing_entry_is_rolled_back_whole_and_its_error_quotes_no_key(
    case: EngineCase,
) -> None:
    customer = str(case.execute("SELECT customer_id FROM orders ORDER BY id LIMIT 1")[0][0])
    addresses = count(case, "addresses")
    # The customer's addresses go first, but their orders still point at them: refused
    with pytest.raises(EngineError) as failure:
        erase(
            case,
            [delete("addresses", "customer_id", customer), delete("customers", "id", customer)],
        )
    assert failure.value.reason == "ErasureFailed"
    assert "addresses" in str(failure.value)
    assert "foreign key" in str(failure.value).lower()
    assert customer not in str(failure.value)
    assert count(case, "addresses") == addresses
