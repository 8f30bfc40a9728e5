"""A retention deletion is recorded before anything goes, and a failure at any step is finished.

Each story injects one failure between the steps of a deletion (the intent record, the Backup's
deletion, the stored objects, the completion record, the finalizer), then lets the next tick
run healthy: the trail read back from the bucket must hold the intent before anything was
deleted, and a ``succeeded`` record only once the objects are gone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.unit.controller.test_retention_deletes_objects_before_the_backup import run_slots
from tests.unit.controller.world import NS, POLICY, World

from strongroom.audit.record import AuditAction, AuditRecord, AuditResult
from strongroom.audit.sink import read_trail
from strongroom.errors import KubeError, StorageError
from strongroom.kube.base import BACKUP_POLICIES, Body, Kind
from strongroom.manifests.labels import RETENTION_FINALIZER
from strongroom.storage.fake import InMemoryObjectStore


class FlakyStore(InMemoryObjectStore):
    """The in-memory bucket, refusing writes under ``fail_puts_under`` and all deletes when set."""

    def __init__(self) -> None:
        """Start healthy."""
        super().__init__("backups")
        self.fail_puts_under: str | None = None
        self.fail_deletes = False

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        """Refuse writes under ``fail_puts_under`` like an S3 outage would."""
        if self.fail_puts_under is not None and key.startswith(self.fail_puts_under):
            raise StorageError(f"injected failure writing {key}")
        super().put_bytes(key, data, if_none_match=if_none_match)

    def delete(self, key: str) -> None:
        """Refuse deletes while ``fail_deletes`` is set."""
        if self.fail_deletes:
            raise StorageError(f"injected failure deleting {key}")
        super().delete(key)


AUDIT = "prod/audit/"


async def three_backups(world: World) -> str:
    """Run three backups, then keep only two; return the oldest (the next tick deletes it)."""
    world.policy(retention={"keepLast": 3})
    first, _, _ = await run_slots(world, 3)
    keep_last(world, 2)
    return first


async def flaky_world() -> tuple[World, FlakyStore, str]:
    """A world on a :class:`FlakyStore` whose next tick deletes the returned backup."""
    store = FlakyStore()
    world = World(store=store)
    return world, store, await three_backups(world)


async def next_tick(world: World) -> None:
    """Let time pass and run a healthy tick."""
    world.now += timedelta(seconds=5)
    await world.tick(force=True)


def deletions(world: World, name: str) -> list[AuditRecord]:
    return [
        r
        for r in read_trail(world.store, "prod", namespace=NS, policy=POLICY)
        if r.action is AuditAction.RETENTION_DELETE and r.backup == name
    ]


def stored(world: World, name: str) -> list[str]:
    return sorted(k for k in world.store.objects if f"/{name}/" in k and "/audit/" not in k)


def backup(world: World, name: str) -> dict[str, Any] | None:
    found = [b for b in world.backups() if b["metadata"]["name"] == name]
    return found[0] if found else None


def keep_last(world: World, count: int) -> None:
    """Change the policy's retention to keepLast ``count``."""
    body = world.body()
    body["spec"]["retention"] = {"keepLast": count}
    world.kube.put(BACKUP_POLICIES, NS, body)


async def test_without_a_stored_intent_nothing_is_deleted() -> None:
    # Given the bucket refuses audit records when retention wants the oldest backup gone
    world, store, first = await flaky_world()
    store.fail_puts_under = AUDIT

    # When retention runs, it stops before deleting anything
    with pytest.raises(StorageError):
        await world.tick(force=True)
    assert len(stored(world, first)) == 2
    found = backup(world, first)
    assert found is not None
    assert "deletionTimestamp" not in found["metadata"]
    assert deletions(world, first) == []

    # And once the bucket takes records again, the deletion happens with both records
    store.fail_puts_under = None
    await next_tick(world)
    assert stored(world, first) == []
    assert backup(world, first) is None
    assert [r.result for r in deletions(world, first)] == [
        AuditResult.STARTED,
        AuditResult.SUCCEEDED,
    ]


async def test_a_failure_after_the_backup_is_deleted_is_finished_even_if_now_kept() -> None:
    # Given the bucket refuses deletes after the intent and the Backup's deletion
    world, store, first = await flaky_world()
    store.fail_deletes = True
    with pytest.raises(StorageError):
        await world.tick(force=True)

    # Then the intent is stored and the Backup is held Terminating by our finalizer
    assert [r.result for r in deletions(world, first)] == [AuditResult.STARTED]
    found = backup(world, first)
    assert found is not None
    meta = found["metadata"]
    assert meta["deletionTimestamp"]
    assert meta["finalizers"] == [RETENTION_FINALIZER]
    assert len(stored(world, first)) == 2

    # When the rules change to keep it and the bucket recovers, the deletion is still finished
    keep_last(world, 10)
    store.fail_deletes = False
    await next_tick(world)
    assert stored(world, first) == []
    assert backup(world, first) is None
    records = deletions(world, first)
    assert [r.result for r in records] == [AuditResult.STARTED, AuditResult.SUCCEEDED]
    assert records[1].details == {"dataDeleted": True, "manifestShredded": True}
    assert records[0].time < records[1].time


async def test_a_lost_completion_record_is_written_by_the_next_tick() -> None:
    # Given the objects are deleted but the completion record cannot be stored
    world, store, first = await flaky_world()
    original = store.delete

    def delete_then_refuse_records(key: str) -> None:
        original(key)
        if key.endswith("manifest.json"):
            store.fail_puts_under = AUDIT

    store.delete = delete_then_refuse_records  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        await world.tick(force=True)

    # Then no record says "deleted" yet, and the Backup waits Terminating for it
    assert stored(world, first) == []
    assert [r.result for r in deletions(world, first)] == [AuditResult.STARTED]
    assert backup(world, first) is not None

    # When the bucket takes records again, the next tick records the deletion and lets go
    store.delete = original  # type: ignore[method-assign]
    store.fail_puts_under = None
    await next_tick(world)
    assert backup(world, first) is None
    records = deletions(world, first)
    assert [r.result for r in records] == [AuditResult.STARTED, AuditResult.SUCCEEDED]
    # (this attempt found both objects already gone, and says so)
    assert records[1].details == {"dataDeleted": False, "manifestShredded": False}


async def test_a_refused_backup_deletion_deletes_no_object_and_is_retried() -> None:
    # Given the API server refuses the Backup's deletion after the intent is stored
    world = World()
    first = await three_backups(world)
    world.kube.fail_next["delete"] = KubeError("injected outage", status=503)
    with pytest.raises(KubeError):
        await world.tick(force=True)

    # Then no stored object is gone, and the intent says what would have been deleted
    assert len(stored(world, first)) == 2
    (intent,) = deletions(world, first)
    assert intent.result is AuditResult.STARTED
    assert intent.details == {"dataExists": True, "manifestExists": True}

    # And the next tick deletes it, completing the record
    await next_tick(world)
    assert backup(world, first) is None
    assert stored(world, first) == []
    assert [r.result for r in deletions(world, first)][-1] is AuditResult.SUCCEEDED


async def test_a_finalizer_left_on_is_taken_off_by_the_next_tick() -> None:
    # Given the API server refuses to take the finalizer off after the completion record
    world = World()
    first = await three_backups(world)
    healthy = world.kube.patch

    async def refuse_release(
        kind: Kind, namespace: str, name: str, patch: Body, *, status: bool = False
    ) -> Body | None:
        if (patch.get("metadata") or {}).get("finalizers") == []:
            raise KubeError("injected outage", status=503)
        return await healthy(kind, namespace, name, patch, status=status)

    world.kube.patch = refuse_release  # type: ignore[method-assign]
    with pytest.raises(KubeError):
        await world.tick(force=True)
    assert stored(world, first) == []
    assert backup(world, first) is not None

    # When the next tick runs healthy, the Backup goes and a second record says so
    world.kube.patch = healthy  # type: ignore[method-assign]
    await next_tick(world)
    assert backup(world, first) is None
    assert [r.result for r in deletions(world, first)] == [
        AuditResult.STARTED,
        AuditResult.SUCCEEDED,
        AuditResult.SUCCEEDED,
    ]
