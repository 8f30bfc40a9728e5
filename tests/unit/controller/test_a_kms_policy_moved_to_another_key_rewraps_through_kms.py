"""A KMS policy moved to another KMS key: retained manifests are re-wrapped to the new key
through KMS (unwrap with the old key, wrap with the new, safe order), so the old key can be
disabled. KMS rotating its own key material needs nothing from us (same key id)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.unit.controller.world import NS, POLICY, World, succeeded

from strongroom.audit.record import AuditAction, AuditResult
from strongroom.audit.sink import read_trail
from strongroom.crypto.kms import KmsWrapper
from strongroom.crypto.manifest import Manifest, open_manifest
from strongroom.errors import KeyUnavailableError
from strongroom.kube.base import BACKUP_POLICIES, BACKUPS

NAME = "orders-202603021000"
MANIFEST = f"prod/{NS}/{POLICY}/{NAME}/manifest.json"
REGION = "eu-central-1"


@pytest.fixture
def kms() -> Iterator[Any]:
    """moto's in-process KMS (real ciphertexts and encryption-context checks)."""
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


async def test_moving_to_another_kms_key_rewraps_every_manifest_through_kms(kms: Any) -> None:
    old = kms.create_key()["KeyMetadata"]["KeyId"]
    new = kms.create_key()["KeyMetadata"]["KeyId"]
    world = World()
    world.rt.kms = lambda _spec: kms
    world.policy(encryption={"kmsKeyId": old, "kmsRegion": REGION})
    await world.tick(force=True)
    world.now += timedelta(seconds=10)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    await world.tick(force=True)
    assert world.kube.objects[(BACKUPS.plural, NS, NAME)]["status"]["keyId"] == old

    spec = world.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]["spec"]
    spec["encryption"]["kmsKeyId"] = new
    spec["suspend"] = True
    await world.tick(force=True)

    manifest = Manifest.from_json(world.store.get_bytes(MANIFEST))
    assert [w.key_id for w in manifest.wrapped_keys] == [new]
    open_manifest(manifest, [KmsWrapper(kms, new)])
    with pytest.raises(KeyUnavailableError):
        open_manifest(manifest, [KmsWrapper(kms, old)])
    assert world.kube.objects[(BACKUPS.plural, NS, NAME)]["status"]["keyId"] == new
    assert "KeyRewrapped" in world.kube.event_reasons()
    rewraps = [
        (r.result, r.key_id, r.backup)
        for r in read_trail(world.store, "prod", namespace=NS, policy=POLICY)
        if r.action is AuditAction.KEY_REWRAP
    ]
    assert rewraps == [(AuditResult.SUCCEEDED, new, NAME)]
