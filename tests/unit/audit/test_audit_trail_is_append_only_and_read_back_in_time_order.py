"""The S3 audit sink never overwrites, keys sort by time, and read_trail filters and orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from audit_world import T0, record

from strongroom.audit import AuditAction, S3AuditSink, audit_key, read_trail
from strongroom.errors import ConfigError, StorageError
from strongroom.storage.fake import InMemoryObjectStore


def test_the_key_names_scope_day_time_action_and_hash() -> None:
    key = audit_key("/prod/", record())
    assert key.startswith("prod/audit/shop/orders/2026/11/23/20261123T090000.000000Z-backup-")
    assert key.endswith(".json")
    assert audit_key("", record()).startswith("audit/shop/orders/")
    # Two different records in the same microsecond get different keys.
    assert audit_key("", record(reason="Other")) != audit_key("", record())


def test_a_second_write_of_the_same_key_is_refused() -> None:
    store = InMemoryObjectStore()
    sink = S3AuditSink(store, "prod")
    key = sink.write(record())
    before = store.objects[key]
    with pytest.raises(StorageError) as caught:
        sink.write(record())
    assert caught.value.reason == "ObjectExists"
    assert store.objects[key] == before


def test_the_trail_reads_back_complete_filtered_and_in_time_order() -> None:
    store = InMemoryObjectStore()
    sink = S3AuditSink(store, "prod")
    written = [
        record(30, action=AuditAction.VERIFICATION),
        record(0),
        record(90, action=AuditAction.RETENTION_DELETE),
        record(60 * 24, action=AuditAction.KEY_ROTATE),  # the next day
        record(10, policy="payments"),
        record(20, namespace="blog", policy="posts"),
    ]
    sink.write_all(written)
    everything = read_trail(store, "prod")
    assert everything == sorted(written, key=lambda r: r.time)
    orders = read_trail(store, "prod", namespace="shop", policy="orders")
    assert [r.action for r in orders] == [
        AuditAction.BACKUP, AuditAction.VERIFICATION,
        AuditAction.RETENTION_DELETE, AuditAction.KEY_ROTATE,
    ]  # fmt: skip
    window = read_trail(
        store,
        "prod",
        namespace="shop",
        since=T0 + timedelta(minutes=10),
        until=T0 + timedelta(hours=2),
    )
    assert [(r.policy, r.action) for r in window] == [
        ("payments", AuditAction.BACKUP), ("orders", AuditAction.VERIFICATION),
        ("orders", AuditAction.RETENTION_DELETE),
    ]  # fmt: skip
    assert read_trail(store, "other-prefix") == []


def test_an_unreadable_record_is_reported_not_skipped() -> None:
    store = InMemoryObjectStore()
    S3AuditSink(store).write(record())
    store.put_bytes("audit/shop/orders/2026/11/23/broken.json", b"{not json")
    with pytest.raises(StorageError) as caught:
        read_trail(store)
    assert caught.value.reason == "BadAuditRecord"


def test_scope_and_bounds_are_checked() -> None:
    store = InMemoryObjectStore()
    with pytest.raises(ConfigError, match="namespace together with policy"):
        read_trail(store, policy="orders")
    with pytest.raises(ConfigError, match="timezone-aware"):
        read_trail(store, since=T0.replace(tzinfo=None))
    with pytest.raises(ConfigError, match="not a Kubernetes name"):
        read_trail(store, namespace="../etc")
