"""Apply a Plan through the ports, and write the policy status — from this one place.

Rules, each from a failure someone else had:

* Create by deterministic name. ``409`` on a Backup carrying our labels for this policy means
  "already done" (a restart in the scheduled minute, F1/F7); a foreign object of that name is
  skipped with a ``NameCollision`` Event (CloudNativePG's ``skipIterationOnNameCollision``).
* Retention deletes in the safe order, each step idempotent and each an Event: a ``started``
  audit record, the Backup object (held Terminating by our finalizer), the data object, the
  manifest, the ``succeeded`` record, and only then the finalizer. A crash in between leaves a
  Terminating Backup that the next tick finishes; never an object without its Backup that
  nobody would ever clean up, nor a deletion without its record. Deleting the manifest deletes
  the only copy of the backup's wrapped data key, so the data is crypto-shredded even where the
  bucket keeps old object versions; the ``retention-delete`` record says so.
* The status of a policy is written only by :func:`write_policy_status`, so the timer and the
  create/update handlers never fight over a field (Kopf's "one writer per field" advice).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from strongroom.api.backup import BackupVerification, EquivalenceMethod, Trigger
from strongroom.api.common import BackupPhase
from strongroom.audit.record import AuditAction, AuditResult
from strongroom.controller.audit import audit
from strongroom.controller.backups import PolicyRef, post
from strongroom.controller.keys import KeyScope, execute_key_action
from strongroom.controller.observe import backup_status, observed_backup, retention_deleting
from strongroom.controller.runtime import PolicyMemory, Runtime
from strongroom.kube.base import BACKUP_POLICIES, BACKUPS, AlreadyExists
from strongroom.manifests import events, status
from strongroom.manifests.backups import build_backup
from strongroom.manifests.labels import RETENTION_FINALIZER, is_ours
from strongroom.metrics import PolicyMetricsSnapshot
from strongroom.planner.model import (
    Action,
    CreateBackup,
    DeleteBackup,
    DestroyKeyVersion,
    Plan,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
    VerifyBackup,
)
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)
_AFTER = timedelta(microseconds=1)


async def create_backup(rt: Runtime, policy: PolicyRef, action: CreateBackup) -> bool:
    """Create the Backup of a due slot; return whether it exists now and is ours."""
    body = build_backup(
        policy=policy.name,
        namespace=policy.namespace,
        name=action.name,
        slot=action.slot,
        trigger=Trigger.SCHEDULE,
    )
    outcome = await rt.kube.create(BACKUPS, policy.namespace, body)
    if isinstance(outcome, AlreadyExists):
        if is_ours(outcome.body, policy.name):
            return True  # a restart in the same minute: already done
        await post(rt, policy.body, events.name_collision("Backup", action.name))
        return False
    await post(rt, policy.body, events.backup_created(action.name, action.slot, action.reason))
    return True


def stored_keys(policy: PolicyRef, backup: Mapping[str, Any]) -> tuple[str, str]:
    """Return (data key, manifest key) of a Backup: from its status, else from the layout."""
    current = backup_status(backup)
    prefix = [p for p in policy.spec.storage.prefix.strip("/").split("/") if p]
    folder = "/".join([*prefix, policy.namespace, policy.name, backup["metadata"]["name"]])
    return (
        current.data_key or f"{folder}/data.sr",
        current.manifest_key or f"{folder}/manifest.json",
    )


async def delete_backup(
    rt: Runtime, policy: PolicyRef, backup: Mapping[str, Any], store: ObjectStore, why: str
) -> None:
    """Delete a backup so that its ``retention-delete`` audit record can never be lost.

    1. a ``started`` record naming what is about to go, stored in the bucket or nothing happens;
    2. our finalizer on the Backup, then its deletion: it turns Terminating, which says "being
       deleted" to every later tick and to a restarted operator;
    3. the data object, then the manifest (the wrapped data key: crypto-shredding);
    4. the ``succeeded`` record, stored in the bucket, then the finalizer comes off.

    A crash or error anywhere leaves either nothing deleted, or a Terminating Backup that the
    planner deletes again (:attr:`~strongroom.planner.model.ObservedBackup.deleting`): the steps
    are idempotent and a resumed deletion starts at 3, so its record says what that attempt
    found (``dataDeleted`` false when an earlier attempt had deleted it already).
    """
    name = backup["metadata"]["name"]
    started = rt.monotonic()
    data_key, manifest_key = stored_keys(policy, backup)
    current = backup_status(backup)
    record = functools.partial(
        audit,
        rt,
        namespace=policy.namespace,
        policy=policy.name,
        store=store,
        prefix=policy.spec.storage.prefix,
        action=AuditAction.RETENTION_DELETE,
        reason=why,
        backup=name,
        key_id=current.key_id,
        key_version=current.key_version,
        region=policy.spec.storage.region,
        durable=True,
    )
    begun = rt.clock()
    if not retention_deleting(backup):
        exists = [
            await asyncio.to_thread(store.head, key) is not None for key in (data_key, manifest_key)
        ]
        await record(
            result=AuditResult.STARTED,
            details={"dataExists": exists[0], "manifestExists": exists[1]},
            time=begun,
        )
        if not await _hold(rt, policy.namespace, backup, RETENTION_FINALIZER, add=True):
            return  # deleted by someone else meanwhile; nothing of ours was deleted
        if not await rt.kube.delete(BACKUPS, policy.namespace, name):
            return
    await asyncio.to_thread(store.abort_incomplete_uploads, data_key)
    existed: list[bool] = []
    for key in (data_key, manifest_key):
        existed.append(await asyncio.to_thread(store.head, key) is not None)
        await asyncio.to_thread(store.delete, key)
        if existed[-1]:
            await post(rt, policy.body, events.object_deleted(name, key, why))
    await record(
        result=AuditResult.SUCCEEDED,
        time=max(rt.clock(), begun + _AFTER),  # sorts after its intent even on a coarse clock
        duration_seconds=max(0.0, rt.monotonic() - started),
        details={"dataDeleted": existed[0], "manifestShredded": existed[1]},
    )
    await _hold(rt, policy.namespace, backup, RETENTION_FINALIZER, add=False)
    await post(rt, policy.body, events.backup_deleted(name, why))


async def _hold(
    rt: Runtime, namespace: str, backup: Mapping[str, Any], finalizer: str, *, add: bool
) -> bool:
    """Add or remove ``finalizer`` on a Backup; return whether it still existed.

    A merge patch replaces the whole list, so the other finalizers the Backup was listed with
    are kept; Backups carry none of anyone else's today.
    """
    meta = backup["metadata"]
    others = [f for f in meta.get("finalizers") or [] if f != finalizer]
    wanted = [*others, finalizer] if add else others
    patched = await rt.kube.patch(
        BACKUPS, namespace, meta["name"], {"metadata": {"finalizers": wanted}}
    )
    return patched is not None


async def apply_plan(
    rt: Runtime,
    policy: PolicyRef,
    plan: Plan,
    *,
    backups: Sequence[Mapping[str, Any]],
    store: ObjectStore | None,
    memory: PolicyMemory,
) -> list[str]:
    """Execute the plan's actions; return the names of Backups created (or found) now."""
    created: list[str] = []
    by_name = {b["metadata"]["name"]: b for b in backups}
    for action in plan.actions:
        if isinstance(action, CreateBackup):
            if await create_backup(rt, policy, action):
                created.append(action.name)
        elif isinstance(action, DeleteBackup):
            target = by_name.get(action.name)
            if target is not None and store is not None:
                await delete_backup(rt, policy, target, store, f"retention: {action.reason}")
        else:
            await _other_action(rt, policy, action, memory, store=store, backups=by_name)
    for note in plan.notes:
        key = f"{note.reason}:{note.message}"
        if key not in memory.notes_posted:
            memory.notes_posted.add(key)
            await post(
                rt, policy.body, events.note(note.reason, note.message, warning=note.warning)
            )
    return created


async def _other_action(
    rt: Runtime,
    policy: PolicyRef,
    action: Action,
    memory: PolicyMemory,
    *,
    store: ObjectStore | None,
    backups: Mapping[str, Mapping[str, Any]],
) -> None:
    """Verification and key operations (the latter run by :mod:`strongroom.controller.keys`)."""
    if isinstance(action, VerifyBackup):
        return  # started by reconcile, which holds the store and the keys (controller.verify)
    if isinstance(action, RotateKey | RewrapBackup | RetireKeyVersion | DestroyKeyVersion):
        scope = KeyScope(
            namespace=policy.namespace,
            policy=policy.name,
            spec=policy.spec,
            involved=policy.involved,
            annotations=policy.body["metadata"].get("annotations") or {},
            store=store,
            manifests={name: stored_keys(policy, b)[1] for name, b in backups.items()},
            backups=tuple(
                seen for seen in (observed_backup(b) for b in backups.values()) if seen is not None
            ),
        )
        await execute_key_action(rt, scope, action, already=memory.notes_posted)


async def write_policy_status(
    rt: Runtime,
    body: Mapping[str, Any],
    *,
    plan: Plan | None,
    readiness: status.Readiness,
    last_run: status.ConditionValue | None,
    key_ring: status.KeyRingSummary | None,
) -> None:
    """Write the BackupPolicy status (the only writer of it)."""
    meta = body["metadata"]
    generation = meta.get("generation")
    patch = status.policy_status(
        plan=plan,
        readiness=readiness,
        last_run=last_run,
        key_ring=key_ring,
        existing=body.get("status"),
        generation=generation,
        now=rt.clock(),
    )
    await rt.kube.patch(
        BACKUP_POLICIES, meta["namespace"], meta["name"], {"status": patch}, status=True
    )


def metrics_snapshot(
    policy: PolicyRef,
    plan: Plan | None,
    backups: Sequence[Mapping[str, Any]],
    key_ring: status.KeyRingSummary | None,
) -> PolicyMetricsSnapshot:
    """Return the metrics snapshot of a policy from what was observed and planned."""
    spec = policy.spec
    done = [(backup_status(b), b) for b in backups]
    succeeded = [s for s, _ in done if s.phase is BackupPhase.SUCCEEDED and s.completion_time]
    failed = [s for s, _ in done if s.phase is BackupPhase.FAILED and s.completion_time]
    newest_ok = max(succeeded, key=lambda s: s.completion_time or 0, default=None)
    newest_fail = max(failed, key=lambda s: s.completion_time or 0, default=None)
    checked = [s.verification for s, _ in done if s.verification and s.verification.time]
    passes = [v for v in checked if v.result.value == "Passed"]
    fails = [v for v in checked if v.result.value == "Failed"]
    newest_pass = max(passes, key=lambda v: v.time or 0, default=None)
    newest_failed_check = max(fails, key=lambda v: v.time or 0, default=None)
    compliance = (
        {
            v.check.value: (None if v.status == "Unknown" else v.status == "True")
            for v in plan.verdicts
        }
        if plan
        else {}
    )
    return PolicyMetricsSnapshot(
        engine=spec.database.engine.value,
        suspended=spec.suspend,
        rpo_seconds=float(spec.objectives.rpo.seconds),
        last_backup_success=newest_ok.completion_time if newest_ok else None,
        last_backup_failure=newest_fail.completion_time if newest_fail else None,
        last_backup_size_bytes=newest_ok.size_bytes if newest_ok else None,
        last_verification_success=newest_pass.time if newest_pass else None,
        last_verification_failure=newest_failed_check.time if newest_failed_check else None,
        last_restore_seconds=newest_pass.rto_seconds if newest_pass else None,
        last_verification_content_checked=_content_checked(newest_pass),
        verification_max_age_seconds=float(spec.verification.max_age.seconds),
        key_created=key_ring.primary_created if key_ring else None,
        key_rotation_period_seconds=float(spec.encryption.rotation_period.seconds)
        if spec.encryption.key_ring_secret_ref
        else None,
        key_versions_in_use=len(plan.status.key_versions_in_use) if plan else 0,
        manifests_pending_rewrap=len(plan.of_type(RewrapBackup)) if plan else 0,
        retained_backups=plan.status.retained_backups if plan else len(backups),
        compliance=compliance,
    )


def _content_checked(verification: BackupVerification | None) -> bool | None:
    """Whether a passed verification compared content hashes; ``None`` when no comparison ran."""
    if verification is None or verification.equivalence is None:
        return None
    return verification.equivalence is EquivalenceMethod.CONTENT
