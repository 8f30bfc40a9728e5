"""Story: a customer erased after the nightly backup does not come back with a restore.

Given a store database and a backup of it, and then a customer erased from the live database
(their tickets, payments, order items, orders, addresses and the customer row) and recorded
in an ``ErasureLedger`` as deletes by key,
when the backup — taken before the erasure, so it still holds the customer — is restored into
a new database,
then every ledger subject is absent from the restored database while the other customers are
all there, the Restore's status counts the rows each entry removed, an ``ErasureReplayed``
Event says so, and the bucket's audit trail holds a ``restore`` and an ``erasure-replay``
record naming no customer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from restore_steps import (
    given_a_backup,
    given_a_store_its_policy_and_an_empty_target,
    restore_status,
    rows,
    when_restore,
)
from steps import (
    event_reasons,
    s3_get,
    s3_keys,
    wait_until,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply
from tests.support.operator import OperatorProcess
from tests.support.s3 import S3Server

from strongroom.engines.base import Connection

#: Child tables first: the deletes run in this order, in one transaction per entry.
_BY_ORDER = ("payments", "order_items", "support_tickets")


def erasure_of(engine: str, conn: Connection, customer: int) -> list[dict[str, Any]]:
    """The deletes that remove ``customer`` and everything that points at them."""
    query = f"SELECT id FROM orders WHERE customer_id = {customer}"  # noqa: S608 - an int
    orders = [str(r[0]) for r in rows(engine, conn, query)]
    deletes = [{"table": t, "column": "order_id", "values": orders} for t in _BY_ORDER if orders]
    return [
        *deletes,
        {"table": "support_tickets", "column": "customer_id", "values": [str(customer)]},
        {"table": "orders", "column": "customer_id", "values": [str(customer)]},
        {"table": "addresses", "column": "customer_id", "values": [str(customer)]},
        {"table": "customers", "column": "id", "values": [str(customer)]},
    ]


def when_erased_live(engine: str, conn: Connection, deletes: list[dict[str, Any]]) -> None:
    """The shop's own erasure job runs on the live database."""
    for step in deletes:
        keys = ", ".join(f"'{v}'" for v in step["values"])
        statement = f"DELETE FROM {step['table']} WHERE {step['column']} IN ({keys})"  # noqa: S608
        rows(engine, conn, statement)


def present(engine: str, conn: Connection, customer: int) -> dict[str, int]:
    """How many rows still mention ``customer``, per table."""
    where = {
        "customers": f"id = {customer}",
        "addresses": f"customer_id = {customer}",
        "orders": f"customer_id = {customer}",
        "support_tickets": f"customer_id = {customer}",
    }
    return {
        table: int(rows(engine, conn, f"SELECT COUNT(*) FROM {table} WHERE {cond}")[0][0])  # noqa: S608
        for table, cond in where.items()
    }


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_every_ledger_subject_is_absent_after_a_restore_and_the_replay_is_recorded(
    *,
    engine: str,
    request: pytest.FixtureRequest,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy and a backup taken while two customers still existed
    store, empty = given_a_store_its_policy_and_an_empty_target(
        request, engine, namespace, s3_server, bucket
    )
    live, target = store.connection, empty.connection
    backup = given_a_backup(cluster, namespace, "shop")
    customers_before = int(rows(engine, live, "SELECT COUNT(*) FROM customers")[0][0])
    erased = [int(v) for v in rows(engine, live, "SELECT MIN(id), MAX(id) FROM customers")[0]]

    # And then they were erased from the live database and recorded in the ledger
    entries = []
    for number, customer in enumerate(erased, start=1):
        deletes = erasure_of(engine, live, customer)
        when_erased_live(engine, live, deletes)
        entries.append({"id": f"DSR-2026-{number:03d}", "deletes": deletes})
    ledger = {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "ErasureLedger",
        "metadata": {"name": "gdpr-erasures"},
        "spec": {"policyRefs": [{"name": "shop"}], "entries": entries},
    }
    apply(cluster, yaml.safe_dump(ledger), namespace=namespace)

    # When the older backup is restored into a new database
    shown = when_restore(cluster, namespace, target, backup, "--name", "back")

    # Then no ledger subject is in the restored database, and everyone else is
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "erasure:  Replayed: 2 entries" in shown.stdout
    for customer in erased:
        assert present(engine, target, customer) == dict.fromkeys(
            ("customers", "addresses", "orders", "support_tickets"), 0
        )
    restored = int(rows(engine, target, "SELECT COUNT(*) FROM customers")[0][0])
    assert restored == customers_before - len(erased)

    # And the replay is recorded: status with rows per entry, an Event, audit records
    erasure = restore_status(cluster, namespace, "back")["erasure"]
    assert erasure["result"] == "Replayed"
    assert erasure["ledgers"] == ["gdpr-erasures"]
    assert [e["id"] for e in erasure["perEntry"]] == ["DSR-2026-001", "DSR-2026-002"]
    assert all(e["rows"] >= 1 for e in erasure["perEntry"])
    assert erasure["rowsDeleted"] == sum(e["rows"] for e in erasure["perEntry"])
    assert "ErasureReplayed" in event_reasons(cluster, namespace, "back")

    def audited() -> list[dict[str, Any]]:
        records = [
            record
            for key in s3_keys(s3_server, bucket, f"e2e/audit/{namespace}/shop/")
            for record in [json.loads(s3_get(s3_server, bucket, key))]
            if record.get("action") in {"restore", "erasure-replay"}
        ]
        return records if len(records) >= 2 else []

    records = wait_until(audited, timeout=30, what="the restore's audit records in the bucket")
    assert {(r["action"], r["result"]) for r in records} == {
        ("restore", "succeeded"),
        ("erasure-replay", "succeeded"),
    }
    text = str(records)
    for customer in erased:
        assert f"'{customer}'" not in text
