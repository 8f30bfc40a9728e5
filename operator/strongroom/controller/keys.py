"""Key ring Secret: read it, create it on first use, wrap each backup's data key.

Rules (RELIABILITY F4): a missing key ring is created only while the policy has no Backup at
all — then nothing can be orphaned. Once backups exist, a missing or unreadable Secret is a
``Ready=False`` finding (``KeyRingMissing``/``KeyRingInvalid``) and no backup runs: there is
never a plaintext fallback and never a silent new key that would strand old backups.

Extension point: rotation, re-wrap and retirement (``RotateKey``, ``RewrapBackup``,
``RetireKeyVersion`` planner actions) go through :func:`execute_key_action`, which today
records a ``KeyOperationDeferred`` Event; the key-rotation work replaces its body.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from strongroom.api.policy import BackupPolicySpec
from strongroom.controller.runtime import Runtime
from strongroom.crypto.keyring import KeyRing, KeyRingWrapper
from strongroom.crypto.segments import new_data_key
from strongroom.crypto.wrapping import KeyBinding, WrappedKey
from strongroom.errors import ConfigError
from strongroom.kube.base import SECRETS, AlreadyExists, EventSpec
from strongroom.manifests import events
from strongroom.manifests.secrets import build_key_ring_secret
from strongroom.planner.model import Action


@dataclass(frozen=True)
class KeySource:
    """The outcome of reading the key source: a ring (or KMS), or why it is not usable."""

    ring: KeyRing | None
    kms_key_id: str | None = None
    problem: ConfigError | None = None


def _decode(secret: dict[str, Any]) -> dict[str, bytes]:
    return {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}


async def load_key_source(
    rt: Runtime,
    *,
    namespace: str,
    policy: str,
    spec: BackupPolicySpec,
    involved: dict[str, str],
    has_backups: bool,
) -> KeySource:
    """Read (or on first use create) the key ring; KMS policies need no Secret."""
    if spec.encryption.kms_key_id is not None:
        return KeySource(ring=None, kms_key_id=spec.encryption.kms_key_id)
    ref = spec.encryption.key_ring_secret_ref
    if ref is None:  # the CRD refuses this; kept for type narrowing
        return KeySource(None, problem=ConfigError("spec.encryption: no key source"))
    secret = await rt.kube.get(SECRETS, namespace, ref.name)
    if secret is None:
        if has_backups:
            return KeySource(
                None,
                problem=ConfigError(
                    f"spec.encryption.keyRingSecretRef: Secret {ref.name} is missing while "
                    "backups wrapped by it exist; restore it from the escrow export "
                    "(`strongroom keys import`). No backup runs until then.",
                    reason="KeyRingMissing",
                ),
            )
        return KeySource(await _create_ring(rt, namespace, policy, ref.name, involved))
    try:
        return KeySource(KeyRing.from_secret_data(_decode(secret)))
    except ConfigError as exc:
        return KeySource(
            None,
            problem=ConfigError(
                f"spec.encryption.keyRingSecretRef: Secret {ref.name}: {exc}",
                reason="KeyRingInvalid",
            ),
        )


async def _create_ring(
    rt: Runtime, namespace: str, policy: str, name: str, involved: dict[str, str]
) -> KeyRing:
    ring = KeyRing.generate(name, rt.clock())
    body = build_key_ring_secret(
        name=name, namespace=namespace, policy=policy, data=ring.to_secret_data()
    )
    outcome = await rt.kube.create(SECRETS, namespace, body)
    if isinstance(outcome, AlreadyExists):  # created meanwhile (another policy, a person)
        if outcome.body is None:
            raise ConfigError(f"key ring Secret {name} appeared and vanished; retrying")
        return KeyRing.from_secret_data(_decode(outcome.body))
    text = events.key_ring_created(name, ring.key_id)
    await rt.kube.post_event(namespace, EventSpec(involved, text.type, text.reason, text.message))
    return ring


@dataclass(frozen=True)
class DataKey:
    """A fresh data key and its wrapped entries for the manifest."""

    dek: bytes
    wrapped: tuple[WrappedKey, ...]
    key_id: str
    key_version: int | None


async def new_wrapped_data_key(
    rt: Runtime, source: KeySource, spec: BackupPolicySpec, binding: KeyBinding
) -> DataKey:
    """Generate this backup's DEK and wrap it with the primary key version (or KMS)."""
    if source.kms_key_id is not None:
        if rt.kms is None:
            raise ConfigError("KMS encryption needs a KMS client; none is configured")
        from strongroom.crypto.kms import KmsWrapper  # noqa: PLC0415 - boto3 only for KMS

        wrapper = KmsWrapper(rt.kms(spec), source.kms_key_id)
        dek, entry = await asyncio.to_thread(wrapper.generate_data_key, binding)
        return DataKey(dek, (entry,), source.kms_key_id, None)
    if source.ring is None:
        raise source.problem or ConfigError("no key ring available")
    dek = new_data_key()
    entry = KeyRingWrapper(source.ring, clock=rt.clock).wrap(dek, binding)
    return DataKey(dek, (entry,), source.ring.key_id, source.ring.primary().version)


async def execute_key_action(
    rt: Runtime, *, namespace: str, involved: dict[str, str], action: Action, already: set[str]
) -> None:
    """Execute a key operation of the plan (extension point: rotation lands here)."""
    label = type(action).__name__
    if label in already:
        return
    already.add(label)
    text = events.deferred(label)
    await rt.kube.post_event(namespace, EventSpec(involved, text.type, text.reason, text.message))
