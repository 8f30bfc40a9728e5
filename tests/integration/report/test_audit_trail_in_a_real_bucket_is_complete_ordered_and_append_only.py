"""Audit records written to a real S3 endpoint read back complete and ordered; none is replaced."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from s3_steps import store_for
from tests.support.s3 import S3Server

from strongroom.audit import AuditAction, AuditRecord, AuditResult, S3AuditSink, read_trail
from strongroom.errors import StorageError

T0 = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)
ACTIONS = [
    AuditAction.BACKUP,
    AuditAction.VERIFICATION,
    AuditAction.KEY_ROTATE,
    AuditAction.KEY_REWRAP,
    AuditAction.RETENTION_DELETE,
    AuditAction.KEY_RETIRE,
]


def records() -> list[AuditRecord]:
    """A night of operations on two policies, crossing midnight (two day folders)."""
    return [
        AuditRecord(
            time=T0 + timedelta(minutes=3 * i),
            actor="strongroom-operator",
            action=ACTIONS[i % len(ACTIONS)],
            namespace="shop",
            policy="orders" if i % 3 else "payments",
            backup=f"orders-2026112{i % 10}0300",
            key_id="orders-ring",
            key_version=1 + i // 6,
            region="eu-central-1",
            result=AuditResult.FAILED if i == 7 else AuditResult.SUCCEEDED,
            reason="DatabaseToolFailed" if i == 7 else "Done",
            duration_seconds=float(i),
            details={"sizeBytes": 1000 * i},
        )
        for i in range(12)
    ]


def test_the_trail_reads_back_complete_ordered_and_never_overwritten(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    # Given a sink on a real bucket, and records written in shuffled order
    store = store_for(s3_server, bucket, tmp_path)
    sink = S3AuditSink(store, "prod")
    written = records()
    shuffled = written[:]
    random.Random(7).shuffle(shuffled)
    keys = sink.write_all(shuffled)
    assert all(k.startswith("prod/audit/shop/") for k in keys)

    # Then every record reads back, equal and in time order, across both day folders
    assert read_trail(store, "prod") == written
    orders = read_trail(store, "prod", namespace="shop", policy="orders")
    assert orders == [r for r in written if r.policy == "orders"]
    after_midnight = read_trail(store, "prod", since=datetime(2026, 11, 24, tzinfo=UTC))
    assert after_midnight == [r for r in written if r.time.day == 24]

    # When the same record is written again, the endpoint refuses: nothing is replaced
    before = store.get_bytes(keys[0])
    with pytest.raises(StorageError) as refused:
        sink.write(shuffled[0])
    assert refused.value.reason == "ObjectExists"
    assert store.get_bytes(keys[0]) == before
    assert len(list(store.list("prod/audit/"))) == len(written)
