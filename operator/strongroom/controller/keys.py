"""Key ring Secret: read it, create it on first use, wrap each backup's data key, rotate it.

Rules (RELIABILITY F4): a missing key ring is created only while the policy has no Backup at
all — then nothing can be orphaned. Once backups exist, a missing or unreadable Secret is a
``Ready=False`` finding (``KeyRingMissing``/``KeyRingInvalid``) and no backup runs: there is
never a plaintext fallback and never a silent new key that would strand old backups.

The planner's key actions (``RotateKey``, ``RewrapBackup``, ``RetireKeyVersion``,
``DestroyKeyVersion``) are executed by :func:`execute_key_action`, each from a fresh read of
the Secret, so a stale plan never undoes a newer state:

* the Secret is changed only by merge patches that carry its ``resourceVersion`` (a concurrent
  writer makes ours fail with 409 and the next look re-plans) and that add ``kek-vN`` keys or
  delete destroyed ones, never rewrite one;
* a manifest is re-wrapped in the safe order of :func:`strongroom.crypto.manifest.rewrap`, each
  write checked against the ETag read (the object changed meanwhile: stop, re-plan);
* retiring or destroying a version first reads every manifest under the policy's folder in the
  bucket: Backup status alone may miss a manifest (an orphan, a half-finished re-wrap);
  a version still referenced there is refused with an Event and a ``refused`` audit record.

Every operation is an Event and an audit record naming key id and version, never key bytes.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from strongroom.api.policy import BackupPolicySpec
from strongroom.audit.record import OPERATOR_ACTOR, AuditAction, AuditResult, Scalar
from strongroom.controller.audit import audit
from strongroom.controller.observe import key_ring_summary
from strongroom.controller.runtime import Runtime
from strongroom.crypto import manifest as manifests
from strongroom.crypto.keyring import METADATA_KEY, KeyRing, KeyRingWrapper, material_key
from strongroom.crypto.manifest import MANIFEST_NAME, Manifest
from strongroom.crypto.segments import new_data_key
from strongroom.crypto.wrapping import KeyBinding, KeyWrapper, WrappedKey
from strongroom.errors import ConfigError, KubeError, StorageError, StrongroomError
from strongroom.kube.base import BACKUPS, SECRETS, AlreadyExists, EventSpec
from strongroom.manifests import events
from strongroom.manifests.secrets import build_key_ring_secret
from strongroom.planner.model import (
    Action,
    DestroyKeyVersion,
    ObservedBackup,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
)
from strongroom.planner.rotation import (
    REQUESTED_BY_ANNOTATION,
    key_age_exceeded,
    rotation_requested,
    to_rewrap,
)
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)
_CONFLICT = 409


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
    await audit(
        rt,
        namespace=namespace,
        policy=policy,
        store=None,  # the bucket is not checked yet; the log line is the record
        prefix="",
        action=AuditAction.KEY_CREATE,
        result=AuditResult.SUCCEEDED,
        reason="KeyRingCreated",
        key_id=ring.key_id,
        key_version=1,
        details={"storedIn": name},
    )
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


@dataclass(frozen=True)
class KeyScope:
    """What a key action needs to know about its policy (built by the effects dispatcher).

    ``manifests`` maps each Backup name to its manifest's object key; ``backups`` is the
    planner's view of them; ``store`` is ``None`` when the bucket could not be reached.
    """

    namespace: str
    policy: str
    spec: BackupPolicySpec
    involved: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    store: ObjectStore | None = None
    manifests: Mapping[str, str] = field(default_factory=dict)
    backups: tuple[ObservedBackup, ...] = ()

    @property
    def folder(self) -> str:
        """``{prefix}/{namespace}/{policy}/``: where this policy's backups are stored."""
        parts = [p for p in self.spec.storage.prefix.strip("/").split("/") if p]
        return "/".join([*parts, self.namespace, self.policy]) + "/"


@dataclass(frozen=True)
class _Ring:
    """The key ring as read now, and the Secret version it was read from."""

    secret: str
    ring: KeyRing
    resource_version: str
    data_keys: frozenset[str]


def _encode(data: Mapping[str, bytes | None]) -> dict[str, str | None]:
    return {k: None if v is None else base64.b64encode(v).decode() for k, v in data.items()}


async def _read_ring(rt: Runtime, scope: KeyScope) -> _Ring | None:
    ref = scope.spec.encryption.key_ring_secret_ref
    if ref is None:
        return None
    secret = await rt.kube.get(SECRETS, scope.namespace, ref.name)
    if secret is None:
        return None
    return _Ring(
        ref.name,
        KeyRing.from_secret_data(_decode(secret)),
        str(secret["metadata"].get("resourceVersion", "")),
        frozenset((secret.get("data") or {}).keys()),
    )


async def _write_ring(
    rt: Runtime, scope: KeyScope, read: _Ring, new: KeyRing, *, added: int | None = None
) -> bool:
    """Patch the Secret from ``read`` to ``new``; ``False`` if someone changed it meanwhile.

    Only ``keyring.json`` is rewritten; material keys are added (``added``) or deleted
    (destroyed versions), never rewritten. ``resourceVersion`` makes the patch conditional.
    """
    data: dict[str, bytes | None] = {METADATA_KEY: new.to_secret_data()[METADATA_KEY]}
    if added is not None:
        key = material_key(added)
        if key in read.data_keys:
            raise ConfigError(
                f"key ring Secret {read.secret} already holds {key!r}; a version is never "
                "rewritten: restore the Secret from the escrow export"
            )
        data[key] = new.to_secret_data()[key]
    for version in new.versions:
        key = material_key(version.version)
        if version.material is None and key in read.data_keys:
            data[key] = None
    patch = {"metadata": {"resourceVersion": read.resource_version}, "data": _encode(data)}
    try:
        done = await rt.kube.patch(SECRETS, scope.namespace, read.secret, patch)
    except KubeError as exc:
        if exc.status != _CONFLICT:
            raise
        _log.info("key ring Secret %s changed meanwhile; re-planning", read.secret)
        return False
    return done is not None


@dataclass(frozen=True)
class _Said:
    """One key operation's Event (on the policy) and audit record, said together."""

    kind: Literal["Normal", "Warning"]
    reason: str
    message: str
    action: AuditAction
    result: AuditResult
    key_id: str
    version: int | None
    audit_reason: str = ""
    backup: str | None = None
    actor: str = OPERATOR_ACTOR
    details: Mapping[str, Scalar] = field(default_factory=dict)


async def _record(
    rt: Runtime, scope: KeyScope, said: _Said, *, once: set[str] | None = None
) -> None:
    """Post the Event and write the audit record; with ``once``, only the first time."""
    if once is not None:
        token = f"{said.reason}:{said.backup}:{said.version}:{sorted(said.details.items())}"
        if token in once:
            return
        once.add(token)
    event = EventSpec(scope.involved, said.kind, said.reason, said.message)
    await rt.kube.post_event(scope.namespace, event)
    await audit(
        rt,
        namespace=scope.namespace,
        policy=scope.policy,
        store=scope.store,
        prefix=scope.spec.storage.prefix,
        action=said.action,
        result=said.result,
        reason=said.audit_reason or said.reason,
        backup=said.backup,
        key_id=said.key_id,
        key_version=said.version,
        region=scope.spec.storage.region,
        actor=said.actor,
        details=said.details,
    )


def _actor(scope: KeyScope, requested: bool) -> str:
    asked = scope.annotations.get(REQUESTED_BY_ANNOTATION, "").strip()
    return asked if requested and asked else OPERATOR_ACTOR


async def execute_key_action(
    rt: Runtime, scope: KeyScope, action: Action, *, already: set[str]
) -> None:
    """Execute one key action of the plan; ``already`` remembers refusals said once."""
    if isinstance(action, RewrapBackup) and action.from_key is not None:
        await _rewrap_kms(rt, scope, action, already)
        return
    read = await _read_ring(rt, scope)
    if read is None:
        return  # KMS, or the Secret vanished: readiness reports it on this look
    if isinstance(action, RotateKey):
        await _rotate(rt, scope, read, action, already)
    elif isinstance(action, RewrapBackup):
        await _rewrap(rt, scope, action, already, _ring_target(read.ring, action, rt.clock))
    elif isinstance(action, RetireKeyVersion | DestroyKeyVersion):
        await _retire_or_destroy(rt, scope, read, action, already)


async def _rotate(
    rt: Runtime, scope: KeyScope, read: _Ring, action: RotateKey, already: set[str]
) -> None:
    now = rt.clock()
    seen = key_ring_summary(read.ring, scope.annotations)
    assert seen is not None  # noqa: S101 - a ring was read
    requested = rotation_requested(seen)
    if not (requested or key_age_exceeded(scope.spec, seen, now)):
        return  # rotated meanwhile (another look, or a restart after the write)
    old = read.ring.primary()
    new = read.ring.rotate(now)
    if not await _write_ring(rt, scope, read, new, added=new.primary().version):
        return
    version = new.primary().version
    summary = key_ring_summary(new, scope.annotations)
    assert summary is not None  # noqa: S101 - a ring was given
    rewraps = to_rewrap(summary, scope.backups, frozenset())
    await _record(rt, scope, _Said(
        "Normal", "KeyRotated",
        f"rotated key ring {new.key_id}: v{version} is primary, v{old.version} is decrypt-only "
        f"({action.reason}); re-wrapping {len(rewraps)} retained manifest(s). Export the ring "
        "to escrow again: `strongroom keys export`",
        AuditAction.KEY_ROTATE, AuditResult.SUCCEEDED, new.key_id, version,
        audit_reason=action.reason, actor=_actor(scope, requested),
        details={"previousVersion": old.version},
    ))  # fmt: skip
    # Re-wrap at once (the planner's own rule), rather than waiting for the next full look.
    for step in rewraps:
        await _rewrap(rt, scope, step, already, _ring_target(new, step, rt.clock))


def _read_manifest(store: ObjectStore, key: str) -> tuple[Manifest, str] | None:
    """The stored manifest and the ETag it was read at, or ``None`` if it is gone."""
    info = store.head(key)
    if info is None:
        return None
    with store.open_read(key, etag=info.etag) as stream:
        return Manifest.from_json(stream.read()), info.etag


def _conditional_writer(store: ObjectStore, key: str, etag: str) -> Callable[[Manifest], None]:
    """A ``write`` for :func:`manifests.rewrap` that refuses if the object changed since read.

    The port has no conditional PUT (If-Match), so this checks the ETag right before each
    write; only the operator (one leader) rewrites manifests, which leaves no writer to race.
    """
    expected = [etag]

    def write(updated: Manifest) -> None:
        now = store.head(key)
        if now is None or now.etag != expected[0]:
            raise StorageError(
                f"manifest {key} changed while it was being re-wrapped; it is re-planned",
                reason="ObjectChanged",
            )
        store.put_bytes(key, updated.to_json())
        after = store.head(key)
        expected[0] = after.etag if after is not None else ""
        _log.info("manifest %s written with wraps %s", key, [e.label for e in updated.wrapped_keys])

    return write


@dataclass(frozen=True)
class _Target:
    """What a re-wrap unwraps with, wraps to, and records."""

    old: tuple[KeyWrapper, ...]
    new: KeyWrapper
    key_id: str
    version: int | None
    before: str
    after: str


def _ring_target(ring: KeyRing, action: RewrapBackup, clock: Callable[[], datetime]) -> _Target:
    wrapper = KeyRingWrapper(ring, clock=clock)
    primary = ring.primary().version
    return _Target(
        (wrapper,),
        wrapper,
        ring.key_id,
        primary,
        f"key ring {ring.key_id} v{action.from_version}",
        f"key ring {ring.key_id} v{primary}",
    )


async def _rewrap_kms(
    rt: Runtime, scope: KeyScope, action: RewrapBackup, already: set[str]
) -> None:
    """Re-wrap a manifest from the KMS key it names to the policy's ``kmsKeyId`` (via KMS)."""
    target = scope.spec.encryption.kms_key_id
    if target is None or action.from_key is None or rt.kms is None:
        return
    from strongroom.crypto.kms import KmsWrapper  # noqa: PLC0415 - boto3 only for KMS

    client = rt.kms(scope.spec)
    old = KmsWrapper(client, action.from_key, clock=rt.clock)
    new = KmsWrapper(client, target, clock=rt.clock)
    where = _Target((old,), new, target, None, f"KMS key {action.from_key}", f"KMS key {target}")
    await _rewrap(rt, scope, action, already, where)


async def _rewrap(
    rt: Runtime, scope: KeyScope, action: RewrapBackup, already: set[str], to: _Target
) -> None:
    key = scope.manifests.get(action.name)
    store = scope.store
    if key is None or store is None:
        return
    _log.info("re-wrapping manifest of Backup %s from %s to %s", action.name, to.before, to.after)
    try:
        found = await asyncio.to_thread(_read_manifest, store, key)
        if found is None:  # being deleted by retention, or never uploaded: nothing to wrap
            _log.info("manifest %s of Backup %s is gone; not re-wrapped", key, action.name)
            return
        stored, etag = found
        await asyncio.to_thread(
            manifests.rewrap, stored, list(to.old), to.new, _conditional_writer(store, key, etag)
        )
    except StrongroomError as exc:
        await _record(rt, scope, _Said(
            "Warning", "KeyRewrapFailed",
            f"could not re-wrap the manifest of Backup {action.name} to {to.after}: {exc}",
            AuditAction.KEY_REWRAP, AuditResult.FAILED, to.key_id, to.version,
            audit_reason=exc.reason, backup=action.name,
        ), once=already)  # fmt: skip
        return
    await rt.kube.patch(
        BACKUPS,
        scope.namespace,
        action.name,
        {"status": {"keyId": to.key_id, "keyVersion": to.version}},
        status=True,
    )
    await _record(rt, scope, _Said(
        "Normal", "KeyRewrapped",
        f"re-wrapped the data key of Backup {action.name}: {to.before} → {to.after}",
        AuditAction.KEY_REWRAP, AuditResult.SUCCEEDED, to.key_id, to.version,
        audit_reason=action.reason, backup=action.name,
        details={"from": to.before},
    ))  # fmt: skip


def inventory(store: ObjectStore, folder: str, key_id: str) -> dict[int, int]:
    """Key version → how many manifests under ``folder`` in the bucket hold a wrap by it.

    A manifest that cannot be read counts against every version (key ``0``): better a version
    kept than a backup nobody can open.
    """
    found: list[Manifest] = []
    unreadable = 0
    for info in store.list(folder):
        if not info.key.endswith("/" + MANIFEST_NAME):
            continue
        try:
            found.append(Manifest.from_json(store.get_bytes(info.key)))
        except StrongroomError:
            unreadable += 1
    counts = manifests.reference_counts(found, key_id)
    if unreadable:
        counts[0] = unreadable
    return counts


async def _retire_or_destroy(
    rt: Runtime,
    scope: KeyScope,
    read: _Ring,
    action: RetireKeyVersion | DestroyKeyVersion,
    already: set[str],
) -> None:
    destroy = isinstance(action, DestroyKeyVersion)
    audited = AuditAction.KEY_DESTROY if destroy else AuditAction.KEY_RETIRE
    ring, version, store = read.ring, action.version, scope.store
    if store is None or ring.get(version) is None:
        return
    counts = await asyncio.to_thread(inventory, store, scope.folder, ring.key_id)
    needed = counts.get(version, 0) + counts.get(0, 0)
    try:
        if destroy:
            new = ring.destroy(version, referenced={version: needed})
        else:
            new = ring.retire(version, referenced={version: needed})
    except ConfigError as exc:
        await _record(rt, scope, _Said(
            "Warning", "KeyOperationRefused",
            f"{exc} (inventory of s3://{store.bucket}/{scope.folder}: {needed} manifest(s) "
            f"need v{version})",
            audited, AuditResult.REFUSED, ring.key_id, version,
            audit_reason="KeyVersionReferenced", actor=_actor(scope, destroy),
            details={"manifestsReferencing": needed},
        ), once=already)  # fmt: skip
        return
    if new == ring or not await _write_ring(rt, scope, read, new):
        return
    if destroy:
        message = (
            f"destroyed key ring {ring.key_id} v{version}: its material is deleted from Secret "
            f"{read.secret} (crypto-shredding); no retained manifest needed it. Destroy escrow "
            "copies made before now too"
        )
    else:
        message = (
            f"retired key ring {ring.key_id} v{version}: no retained manifest in "
            f"s3://{store.bucket}/{scope.folder} needs it (material kept; reinstate to undo)"
        )
    await _record(rt, scope, _Said(
        "Normal", "KeyVersionDestroyed" if destroy else "KeyVersionRetired", message,
        audited, AuditResult.SUCCEEDED, ring.key_id, version,
        audit_reason=action.reason, actor=_actor(scope, destroy),
    ))  # fmt: skip
