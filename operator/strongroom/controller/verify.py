"""Verification runs: a ``verify`` Job for a backup the planner picked, its result into status.

Start: the operator reads the backup's manifest from the bucket, opens its data key with the
key ring (or KMS) — the key ring never leaves the operator — and hands only that data key to
the Job through a per-Job Secret, like a backup run. Levels above ``integrity`` need a scratch
server (``spec.verification.scratch.serverSecretRef``, whose host/port/username the operator
reads and whose password the pod gets as a file); without one the run is integrity only and a
``VerificationLevelLowered`` Event says so once.

Finish: a finished verify Job's ``AgentResult`` becomes ``Backup.status.verification`` (level
reached, Passed/Failed, time, measured restore time), ``verifiedAt`` on a pass, ``corrupt`` when
the object failed to authenticate; Events ``VerificationPassed``/``VerificationFailed`` and the
verification metrics. A result is recorded once: its time is the Job's completion time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from strongroom.api.common import Engine, VerificationLevel
from strongroom.controller.backups import PolicyRef, _result, involved_object, post
from strongroom.controller.effects import stored_keys
from strongroom.controller.jobfile import ScratchLogin, verify_job_file
from strongroom.controller.keys import KeySource
from strongroom.controller.observe import backup_status, parse_time
from strongroom.controller.runtime import PolicyMemory, Runtime, secret_value
from strongroom.crypto.keyring import KeyRingWrapper
from strongroom.crypto.manifest import from_json, open_manifest
from strongroom.crypto.wrapping import KeyWrapper
from strongroom.errors import ConfigError, CryptoError, StorageError
from strongroom.kube.base import BACKUPS, JOBS, SECRETS, AlreadyExists, EventSpec
from strongroom.manifests import events
from strongroom.manifests.jobs import build_job
from strongroom.manifests.labels import ROLE, JobRole, is_ours, key_secret_name
from strongroom.manifests.secrets import build_key_secret
from strongroom.manifests.status import rfc3339
from strongroom.storage.base import ObjectStore

_CORRUPT: Final = frozenset({"IntegrityCheckFailed", "BadFormat", "ObjectNotFound"})
#: The database a scratch login connects to before creating the scratch database.
_ADMIN_DB: Final = {Engine.POSTGRESQL: "postgres", Engine.MYSQL: "mysql"}


def verify_jobs(all_jobs: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the policy's verify Jobs."""
    return [
        j
        for j in all_jobs.values()
        if ((j.get("metadata") or {}).get("labels") or {}).get(ROLE) == JobRole.VERIFY.value
    ]


def _finished(job: Mapping[str, Any]) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in {"Complete", "Failed"}:
            return str(condition["type"])
    return None


def _finished_at(job: Mapping[str, Any]) -> datetime | None:
    """Return when the Job ended: completionTime, else its Failed condition's transition."""
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") in {"Complete", "Failed"} and condition.get("status") == "True":
            return parse_time(status.get("completionTime")) or parse_time(
                condition.get("lastTransitionTime")
            )
    return None


def in_flight(all_jobs: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Return the backup a running verify Job is checking, if any."""
    for job in verify_jobs(all_jobs):
        if _finished(job) is None:
            return str(job["metadata"]["labels"].get("strongroom.dev/backup", ""))
    return None


async def _scratch(
    rt: Runtime, policy: PolicyRef, level: VerificationLevel, memory: PolicyMemory
) -> tuple[ScratchLogin | None, VerificationLevel]:
    ref = policy.spec.verification.scratch.server_secret_ref
    if level is VerificationLevel.INTEGRITY:
        return None, level
    if ref is None:
        if "lowered" not in memory.notes_posted:
            memory.notes_posted.add("lowered")
            await rt.kube.post_event(
                policy.namespace,
                EventSpec(
                    policy.involved,
                    "Warning",
                    "VerificationLevelLowered",
                    f"verification level {level} needs a scratch server "
                    "(spec.verification.scratch.serverSecretRef); verifying integrity only",
                ),
            )
        return None, VerificationLevel.INTEGRITY
    secret = await rt.kube.get(SECRETS, policy.namespace, ref.name)
    values = {k: secret_value(secret, k) for k in ("host", "port", "username")}
    if any(v is None for v in values.values()):
        raise ConfigError(
            f"spec.verification.scratch.serverSecretRef: Secret {ref.name} needs host, port, "
            "username and password",
            reason="SecretKeyMissing",
        )
    admin = secret_value(secret, "database") or _ADMIN_DB[policy.spec.database.engine].encode()
    login = ScratchLogin(
        host=(values["host"] or b"").decode().strip(),
        port=int((values["port"] or b"0").decode().strip()),
        user=(values["username"] or b"").decode().strip(),
        admin_database=admin.decode().strip(),
        database=f"strongroom_verify_{policy.name}".replace("-", "_")[:63],
    )
    return login, level


def _wrappers(rt: Runtime, policy: PolicyRef, keys: KeySource) -> list[KeyWrapper]:
    if keys.ring is not None:
        return [KeyRingWrapper(keys.ring, clock=rt.clock)]
    if keys.kms_key_id is not None and rt.kms is not None:
        from strongroom.crypto.kms import KmsWrapper  # noqa: PLC0415 - boto3 only for KMS

        return [KmsWrapper(rt.kms(policy.spec), keys.kms_key_id)]
    raise ConfigError("no key to open the manifest with", reason="KeyUnavailable")


async def start(
    rt: Runtime,
    policy: PolicyRef,
    backup: Mapping[str, Any],
    *,
    level: VerificationLevel,
    store: ObjectStore,
    keys: KeySource,
    memory: PolicyMemory,
) -> None:
    """Create the verify Job of ``backup`` and its key Secret (idempotent by name)."""
    name = backup["metadata"]["name"]
    job = build_job(
        spec=policy.spec, policy=policy.name, backup=backup, role=JobRole.VERIFY,
        settings=rt.job_settings,
    )  # fmt: skip
    outcome = await rt.kube.create(JOBS, policy.namespace, job)
    body = outcome.body
    if isinstance(outcome, AlreadyExists):
        if body is None or not is_ours(body, policy.name):
            if body is not None:
                await post(rt, policy.body, events.name_collision("Job", job["metadata"]["name"]))
            return
        if _finished(body) is not None:  # an earlier verification, already recorded
            await rt.kube.delete(JOBS, policy.namespace, body["metadata"]["name"])
            return
    assert body is not None  # noqa: S101 - Created carries the body
    secret_name = key_secret_name(body["metadata"]["name"])
    if await rt.kube.get(SECRETS, policy.namespace, secret_name) is not None:
        return
    scratch, used = await _scratch(rt, policy, level, memory)
    _, manifest_key = stored_keys(policy, backup)
    try:
        raw = await asyncio.to_thread(store.get_bytes, manifest_key)
        dek = open_manifest(from_json(raw), _wrappers(rt, policy, keys))
    except (CryptoError, StorageError) as exc:
        if exc.retryable:
            raise
        # The manifest cannot be read or opened: the backup is not restorable. Say so on the
        # Backup instead of retrying forever; the verify Job never ran.
        await rt.kube.delete(JOBS, policy.namespace, body["metadata"]["name"])
        await _record(
            rt, policy, backup, passed=False, level="none", reason=exc.reason,
            message=str(exc), done_at=rt.clock(), rto=None, seconds=0.0,
        )  # fmt: skip
        return
    job_file = verify_job_file(
        spec=policy.spec, namespace=policy.namespace, policy=policy.name, backup=name,
        level=used, scratch=scratch,
    )  # fmt: skip
    await rt.kube.create(
        SECRETS, policy.namespace, build_key_secret(job=body, job_file=job_file, dek=dek)
    )
    text = events.verification(
        name, passed=None, detail=f"level {used}, Job {job['metadata']['name']}"
    )
    await post(rt, backup, text)


async def finish(
    rt: Runtime,
    policy: PolicyRef,
    backups: Mapping[str, Mapping[str, Any]],
    all_jobs: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Record finished verify Jobs into their Backups; return whether anything was recorded."""
    recorded = False
    for job in verify_jobs(all_jobs):
        state = _finished(job)
        name = job["metadata"]["labels"].get("strongroom.dev/backup", "")
        backup = backups.get(name)
        if state is None or backup is None:
            continue
        done_at = _finished_at(job) or rt.clock()
        current = backup_status(backup).verification
        if current is not None and current.time is not None and current.time >= done_at:
            continue
        result = await _result(rt, policy.namespace, job["metadata"]["name"])
        passed = state == "Complete" and result is not None and result.outcome == "succeeded"
        level = (result.level_reached if result else None) or "integrity"
        if level == "none":
            level = "integrity"
        reason = "Passed" if passed else (result.reason if result else "ResultMissing")
        message = (result.message if result else "") or f"verify Job ended {state}"
        await rt.kube.delete(SECRETS, policy.namespace, key_secret_name(job["metadata"]["name"]))
        await _record(
            rt, policy, backup, passed=passed, level=level, reason=reason, message=message,
            done_at=done_at, rto=result.restore_seconds if result else None,
            seconds=(result.total_seconds if result else None) or 0.0,
        )  # fmt: skip
        recorded = True
    return recorded


async def _record(
    rt: Runtime,
    policy: PolicyRef,
    backup: Mapping[str, Any],
    *,
    passed: bool,
    level: str,
    reason: str,
    message: str,
    done_at: datetime,
    rto: float | None,
    seconds: float,
) -> None:
    """Write one verification result into the Backup, with its Events and metrics."""
    name = backup["metadata"]["name"]
    shown = "integrity" if level == "none" else level
    patch: dict[str, Any] = {
        "verification": {
            "level": shown,
            "result": "Passed" if passed else "Failed",
            "time": rfc3339(done_at),
            "rtoSeconds": rto,
            "reason": reason,
            "message": message,
        }
    }
    if passed:
        patch["verifiedAt"] = rfc3339(done_at)
    elif reason in _CORRUPT:
        patch["corrupt"] = True
    await rt.kube.patch(BACKUPS, policy.namespace, name, {"status": patch}, status=True)
    text = events.verification(name, passed=passed, detail=f"{shown}: {message}")
    await rt.kube.post_event(
        policy.namespace, EventSpec(involved_object(backup), text.type, text.reason, text.message)
    )
    await post(rt, policy.body, text)
    rt.metrics.record_verification_run(
        policy.namespace, policy.name, "succeeded" if passed else "failed", seconds
    )
