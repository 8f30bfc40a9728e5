"""With ``encryption.kmsKeyId`` the data key comes from KMS (GenerateDataKey with the backup's
encryption context); no key ring Secret is read or created."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.unit.controller.world import NS, World

from strongroom.kube.base import SECRETS


class FakeKms:
    def __init__(self) -> None:
        self.contexts: list[dict[str, str]] = []

    def generate_data_key(self, **kwargs: Any) -> dict[str, Any]:
        self.contexts.append(kwargs["EncryptionContext"])
        return {
            "KeyId": "arn:aws:kms:eu-central-1:1:key/k",
            "CiphertextBlob": b"blob",
            "Plaintext": b"k" * 32,
        }


async def test_a_kms_policy_asks_kms_for_each_backups_data_key() -> None:
    world = World()
    kms = FakeKms()
    world.rt.kms = lambda _spec: kms
    world.policy(encryption={"kmsKeyId": "alias/shop", "kmsRegion": "eu-central-1"})
    await world.tick(force=True)
    assert kms.contexts == [
        {
            "strongroom:namespace": NS,
            "strongroom:policy": "orders",
            "strongroom:backup": "orders-202603021000",
        }
    ]
    secret = world.kube.objects[(SECRETS.plural, NS, "orders-202603021000-backup-key")]
    assert base64.b64decode(secret["data"]["dek"]) == b"k" * 32
    (wrapped,) = json.loads(base64.b64decode(secret["data"]["job.json"]))["wrappedKeys"]
    assert wrapped["kind"] == "kms"
    assert (SECRETS.plural, NS, "orders-keyring") not in world.kube.objects
    assert "KeyRingCreated" not in world.kube.event_reasons()
    assert world.status()["complianceChecks"]["encryption"]["reason"] == "KMSManagedKey"
