"""What the schema cannot check becomes Ready=False with a reason, an Event, and no run."""

from __future__ import annotations

import pytest
from tests.unit.controller.world import NS, World

from strongroom.errors import ConfigError, StorageError
from strongroom.kube.base import SECRETS


async def test_a_missing_login_secret_is_named() -> None:
    world = World()
    world.policy(secrets=False)
    with pytest.raises(ConfigError) as caught:
        await world.tick(force=True)
    assert caught.value.reason == "SecretMissing"
    ready = world.condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", "SecretMissing")
    assert "db-login" in ready["message"]
    assert "PolicyNotReady" in world.kube.event_reasons()
    assert world.backups() == []
    assert world.jobs() == []


async def test_a_missing_key_ring_after_backups_exist_is_never_replaced() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)
    del world.kube.objects[(SECRETS.plural, NS, "orders-keyring")]
    with pytest.raises(ConfigError) as caught:
        await world.tick(force=True)
    assert caught.value.reason == "KeyRingMissing"
    assert (SECRETS.plural, NS, "orders-keyring") not in world.kube.objects
    assert world.kube.event_reasons().count("KeyRingCreated") == 1


async def test_an_unusable_bucket_is_reported_with_the_storage_reason() -> None:
    world = World()
    world.policy()

    def broken(prefix: str) -> object:
        raise StorageError(
            "bucket backups does not exist", reason="BucketNotFound", retryable=False
        )

    world.store.list = broken  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        await world.tick(force=True)
    ready = world.condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", "BucketNotFound")
    assert world.backups() == []
    assert world.status()["complianceChecks"]["rpo"]["status"] == "False"
