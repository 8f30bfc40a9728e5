"""The same seed gives PostgreSQL and MariaDB the same logical store, value for value."""

from __future__ import annotations

from tests.support.plugin_databases import StoreDatabase
from tests.support.storegen import content_digest, generate, logical_rows


def test_both_engines_hold_identical_logical_content(
    pg_store: StoreDatabase, maria_store: StoreDatabase
) -> None:
    postgres = content_digest(pg_store.connection, "postgresql")
    mariadb = content_digest(maria_store.connection, "mysql")
    assert postgres == mariadb
    assert pg_store.counts == maria_store.counts
    assert pg_store.counts is not None
    assert postgres["order_items"].rows == pg_store.counts.order_items > 1000


def test_the_store_holds_the_awkward_values_a_real_shop_has(pg_store: StoreDatabase) -> None:
    customers = list(logical_rows(pg_store.connection, "postgresql", "customers"))
    names = {row[2] for row in customers}
    assert any(not (name or "").isascii() for name in names)  # unicode names
    assert any("'" in (name or "") for name in names)  # O'Brien
    assert any(row[3] is None for row in customers)  # some phones are NULL
    payments = list(logical_rows(pg_store.connection, "postgresql", "payments"))
    assert all(row[-1] and row[-1].startswith("{") for row in payments)  # JSON details
    tickets = list(logical_rows(pg_store.connection, "postgresql", "support_tickets"))
    assert any("\\" in (row[4] or "") and "\t" in (row[4] or "") for row in tickets)


def test_a_different_seed_gives_different_content(
    pg_store: StoreDatabase, empty_pg_database: StoreDatabase
) -> None:
    generate(empty_pg_database.connection, "postgresql", size="1MB", seed=99)
    other = content_digest(empty_pg_database.connection, "postgresql")
    assert other["customers"] != content_digest(pg_store.connection, "postgresql")["customers"]
