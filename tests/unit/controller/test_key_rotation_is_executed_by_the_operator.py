"""The operator executes key actions: rotate (write-once Secret), re-wrap (safe order), retire
and destroy only when the manifests in the bucket prove nobody needs the version; a refusal is
an Event and a ``refused`` audit record; a crash between the re-wrap's writes converges."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

from tests.unit.controller.world import NS, POLICY, World, succeeded

from strongroom.audit.record import OPERATOR_ACTOR, AuditAction, AuditResult
from strongroom.audit.sink import read_trail
from strongroom.crypto.keyring import KeyRing, KeyRingWrapper, KeyState, KeyVersion
from strongroom.crypto.manifest import Manifest, open_manifest
from strongroom.errors import KubeError, StorageError
from strongroom.kube.base import BACKUP_POLICIES, BACKUPS, SECRETS, Body, Kind
from strongroom.kube.fake import FakeKube
from strongroom.planner.rotation import (
    DESTROY_ANNOTATION,
    REQUESTED_BY_ANNOTATION,
    ROTATE_ANNOTATION,
)
from strongroom.storage.fake import InMemoryObjectStore

NAME = "orders-202603021000"
MANIFEST = f"prod/{NS}/{POLICY}/{NAME}/manifest.json"
ORPHAN = f"prod/{NS}/{POLICY}/orders-202602010000/manifest.json"


async def backed_up(world: World | None = None) -> World:
    """A policy with one finished backup wrapped by key ring v1; the schedule then suspended."""
    world = world or World()
    world.policy()
    await world.tick(force=True)
    world.now += timedelta(seconds=10)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    await world.tick(force=True)
    policy = world.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]
    policy["spec"]["suspend"] = True
    return world


def ask(world: World, **annotations: str) -> None:
    meta = world.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]["metadata"]
    meta.setdefault("annotations", {}).update(annotations)


def secret(world: World) -> dict[str, Any]:
    return world.kube.objects[(SECRETS.plural, NS, "orders-keyring")]


def ring(world: World) -> KeyRing:
    data = {k: base64.b64decode(v) for k, v in secret(world)["data"].items()}
    return KeyRing.from_secret_data(data)


def version(world: World, number: int) -> KeyVersion:
    found = ring(world).get(number)
    assert found is not None
    return found


def manifest(world: World, key: str = MANIFEST) -> Manifest:
    return Manifest.from_json(world.store.get_bytes(key))


def trail(world: World, action: AuditAction) -> list[tuple[AuditResult, str, int | None]]:
    return [
        (r.result, r.actor, r.key_version)
        for r in read_trail(world.store, "prod", namespace=NS, policy=POLICY)
        if r.action is action
    ]


async def test_a_requested_rotation_adds_a_version_and_records_who_asked() -> None:
    world = await backed_up()
    before = dict(secret(world)["data"])
    ask(world, **{ROTATE_ANNOTATION: "1", REQUESTED_BY_ANNOTATION: "alice"})
    await world.tick(force=True)
    after = secret(world)["data"]
    assert after["kek-v1"] == before["kek-v1"]  # written once, never rewritten
    assert {v.version: v.state for v in ring(world).versions} == {
        1: KeyState.DECRYPT_ONLY,
        2: KeyState.PRIMARY,
    }
    assert "KeyRotated" in world.kube.event_reasons()
    assert trail(world, AuditAction.KEY_ROTATE) == [(AuditResult.SUCCEEDED, "alice", 2)]
    assert world.metrics.snapshots[(NS, POLICY)].manifests_pending_rewrap == 0
    await world.tick(force=True)  # the request names v1, which is no longer primary: done
    assert [v.version for v in ring(world).versions] == [1, 2]


class SecretPatches(FakeKube):
    """FakeKube that keeps the Secret patches it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.secret_patches: list[dict[str, Any]] = []

    async def patch(
        self, kind: Kind, namespace: str, name: str, patch: Body, *, status: bool = False
    ) -> Body | None:
        if kind is SECRETS:
            self.secret_patches.append(patch)
        return await super().patch(kind, namespace, name, patch, status=status)


async def test_the_secret_patch_is_conditional_and_a_conflict_re_plans() -> None:
    kube = SecretPatches()
    world = await backed_up(World(kube=kube))
    read_at = secret(world)["metadata"]["resourceVersion"]
    ask(world, **{ROTATE_ANNOTATION: "1"})
    kube.fail_next["patch"] = KubeError("patch Secret: 409 Conflict", status=409)
    await world.tick(force=True)
    assert [v.version for v in ring(world).versions] == [1]
    assert "KeyRotated" not in world.kube.event_reasons()
    await world.tick(force=True)
    assert [v.version for v in ring(world).versions] == [1, 2]
    sent = kube.secret_patches[-1]
    assert sent["metadata"]["resourceVersion"] == read_at
    assert set(sent["data"]) == {"keyring.json", "kek-v2"}  # kek-v1 is never rewritten
    assert trail(world, AuditAction.KEY_ROTATE) == [(AuditResult.SUCCEEDED, OPERATOR_ACTOR, 2)]


async def test_after_rotation_every_manifest_is_rewrapped_then_the_old_version_retires() -> None:
    world = await backed_up()
    ask(world, **{ROTATE_ANNOTATION: "1"})
    await world.tick(force=True)  # rotate, and re-wrap what the old version wrapped
    wraps = manifest(world).wrapped_keys
    assert [(w.key_version) for w in wraps] == ["2"]
    only_primary = KeyRing(ring(world).key_id, (ring(world).primary(),))
    open_manifest(manifest(world), [KeyRingWrapper(only_primary)])
    backup = world.kube.objects[(BACKUPS.plural, NS, NAME)]
    assert backup["status"]["keyVersion"] == 2
    assert trail(world, AuditAction.KEY_REWRAP) == [(AuditResult.SUCCEEDED, OPERATOR_ACTOR, 2)]
    await world.tick(force=True)  # the Backup status changed: retire
    assert version(world, 1).state is KeyState.RETIRED
    assert "KeyVersionRetired" in world.kube.event_reasons()
    assert trail(world, AuditAction.KEY_RETIRE) == [(AuditResult.SUCCEEDED, OPERATOR_ACTOR, 1)]


async def test_a_manifest_in_the_bucket_that_status_does_not_show_refuses_retirement() -> None:
    world = await backed_up()
    world.store.put_bytes(ORPHAN, world.store.get_bytes(MANIFEST))  # still wrapped by v1
    ask(world, **{ROTATE_ANNOTATION: "1"})
    for _ in range(4):
        await world.tick(force=True)
    assert version(world, 1).state is KeyState.DECRYPT_ONLY
    assert world.kube.event_reasons().count("KeyOperationRefused") == 1  # said once
    refused = trail(world, AuditAction.KEY_RETIRE)
    assert refused == [(AuditResult.REFUSED, OPERATOR_ACTOR, 1)]
    world.store.delete(ORPHAN)
    await world.tick(force=True)
    assert version(world, 1).state is KeyState.RETIRED


async def test_a_requested_destruction_shreds_a_retired_version_and_is_recorded() -> None:
    world = await backed_up()
    ask(world, **{ROTATE_ANNOTATION: "1"})
    for _ in range(2):
        await world.tick(force=True)  # rotate and re-wrap, retire
    ask(world, **{DESTROY_ANNOTATION: "1", REQUESTED_BY_ANNOTATION: "bob"})
    await world.tick(force=True)
    assert "kek-v1" not in secret(world)["data"]
    meta = json.loads(base64.b64decode(secret(world)["data"]["keyring.json"]))
    assert [v["state"] for v in meta["versions"]] == ["destroyed", "primary"]
    assert "KeyVersionDestroyed" in world.kube.event_reasons()
    assert trail(world, AuditAction.KEY_DESTROY) == [(AuditResult.SUCCEEDED, "bob", 1)]
    open_manifest(manifest(world), [KeyRingWrapper(ring(world))])


class CrashAfterFirstWrite(InMemoryObjectStore):
    """A bucket whose second manifest write fails once: the operator dies mid re-wrap."""

    armed = False

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        if self.armed and key.endswith("manifest.json"):
            if getattr(self, "written", False):
                self.armed = False
                raise StorageError("connection lost", reason="Unreachable")
            self.written = True
        super().put_bytes(key, data, if_none_match=if_none_match)


async def test_a_crash_between_the_two_rewrap_writes_leaves_it_openable_and_converges() -> None:
    store = CrashAfterFirstWrite("backups")
    world = await backed_up(World(store=store))
    ask(world, **{ROTATE_ANNOTATION: "1"})
    store.armed = True
    await world.tick(force=True)  # rotate and re-wrap: the add is written, the drop is not
    halfway = manifest(world)
    assert sorted(w.key_version for w in halfway.wrapped_keys) == ["1", "2"]
    for number in (1, 2):  # either version alone opens it
        alone = replace(version(world, number), state=KeyState.PRIMARY)
        open_manifest(halfway, [KeyRingWrapper(KeyRing(alone.key_id, (alone,)))])
    assert "KeyRewrapFailed" in world.kube.event_reasons()
    await world.tick(force=True)  # planned with one manifest pending, which it re-wraps
    assert world.metrics.snapshots[(NS, POLICY)].manifests_pending_rewrap == 1
    assert [w.key_version for w in manifest(world).wrapped_keys] == ["2"]
    assert world.kube.objects[(BACKUPS.plural, NS, NAME)]["status"]["keyVersion"] == 2
    await world.tick(force=True)
    assert world.metrics.snapshots[(NS, POLICY)].manifests_pending_rewrap == 0


async def test_a_primary_older_than_the_rotation_period_rotates_without_being_asked() -> None:
    world = World()
    world.policy(
        encryption={"keyRingSecretRef": {"name": "orders-keyring"}, "rotationPeriod": "1d"},
        schedule={"cron": "0 0 1 1 *"},
        objectives={"rpo": "400d"},
    )
    await world.tick(force=True)
    world.now += timedelta(hours=23)
    await world.tick(force=True)
    assert ring(world).primary().version == 1
    world.now += timedelta(hours=2)
    await world.tick(force=True)
    assert ring(world).primary().version == 2
    assert trail(world, AuditAction.KEY_ROTATE) == [(AuditResult.SUCCEEDED, OPERATOR_ACTOR, 2)]
