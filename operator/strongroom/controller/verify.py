"""Verification runs: a ``verify`` Job for a backup the planner picked, its result into status.

Start: the operator reads the backup's manifest from the bucket, opens its data key with the
key ring (or KMS) — the key ring never leaves the operator — and hands only that data key to
the Job through a per-Job Secret, like a backup run. Levels above ``integrity`` restore into a
scratch server: a named one (``spec.verification.scratch.serverSecretRef``, whose
host/port/username the operator reads and whose password the pod gets as a file), or by
default a sidecar database in the verify pod whose image matches the source server's version
recorded in the manifest (``scratch.image`` overrides it). The first use of a sidecar image is
announced once with a ``VerificationSidecar`` Event.

Finish: a finished verify Job's ``AgentResult`` becomes ``Backup.status.verification`` (level
reached, Passed/Failed, time, measured restore time, custom assertions, whether equivalence
compared content or row counts only), ``verifiedAt`` on a
pass, ``corrupt`` when the object failed to authenticate; Events
``VerificationPassed``/``VerificationFailed``, the verification metrics and an audit record.
A result is recorded once: its time is the Job's completion time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from strongroom.api.backup import EquivalenceMethod
from strongroom.api.common import Engine, VerificationLevel
from strongroom.audit.record import AuditAction, AuditResult, Scalar
from strongroom.controller.audit import audit
from strongroom.controller.backups import PolicyRef, _result, audit_store, involved_object, post
from strongroom.controller.effects import stored_keys
from strongroom.controller.jobfile import ScratchLogin, sidecar_login, verify_job_file
from strongroom.controller.keys import KeySource
from strongroom.controller.observe import backup_status, parse_time
from strongroom.controller.runtime import PolicyMemory, Runtime, secret_value
from strongroom.crypto.keyring import KeyRingWrapper
from strongroom.crypto.manifest import Manifest, from_json, open_manifest
from strongroom.crypto.wrapping import KeyWrapper
from strongroom.errors import ConfigError, CryptoError, StorageError
from strongroom.kube.base import BACKUPS, JOBS, SECRETS, AlreadyExists, EventSpec
from strongroom.manifests import events
from strongroom.manifests.jobs import ScratchSidecar, build_job
from strongroom.manifests.labels import ROLE, JobRole, is_ours, job_name, key_secret_name
from strongroom.manifests.secrets import build_key_secret
from strongroom.manifests.status import rfc3339
from strongroom.planner.verification import sidecar_image
from strongroom.storage.base import ObjectStore

_CORRUPT: Final = frozenset({"IntegrityCheckFailed", "BadFormat", "ObjectNotFound"})
#: The database a scratch login connects to before creating the scratch database.
_ADMIN_DB: Final = {Engine.POSTGRESQL: "postgres", Engine.MYSQL: "mysql"}
#: How long the agent waits for its sidecar to answer: an official image initialises an empty
#: data directory first (seconds for PostgreSQL, up to a minute for MariaDB on a slow node).
SIDECAR_WAIT_SECONDS: Final = 180


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


def _scratch_database(policy: PolicyRef) -> str:
    return f"strongroom_verify_{policy.name}".replace("-", "_")[:63]


async def _sidecar(
    rt: Runtime,
    policy: PolicyRef,
    level: VerificationLevel,
    manifest: Manifest,
    memory: PolicyMemory,
) -> ScratchSidecar | None:
    """Return the scratch sidecar of this run: levels above integrity without a named server."""
    scratch = policy.spec.verification.scratch
    if level is VerificationLevel.INTEGRITY or scratch.server_secret_ref is not None:
        return None
    engine = policy.spec.database.engine
    sidecar = ScratchSidecar(sidecar_image(engine, manifest.server_version, scratch.image), engine)
    note = f"sidecar:{sidecar.image}"
    if note not in memory.notes_posted:
        memory.notes_posted.add(note)
        await rt.kube.post_event(
            policy.namespace,
            EventSpec(
                policy.involved,
                "Normal",
                "VerificationSidecar",
                f"verifying at level {level} in a scratch sidecar ({sidecar.image}); set "
                "spec.verification.scratch.image or serverSecretRef to choose another",
            ),
        )
    return sidecar


async def _named_scratch(rt: Runtime, policy: PolicyRef) -> ScratchLogin:
    """Read the named scratch server's login (not its password: the pod gets that as a file)."""
    ref = policy.spec.verification.scratch.server_secret_ref
    assert ref is not None  # noqa: S101 - the caller checked
    secret = await rt.kube.get(SECRETS, policy.namespace, ref.name)
    values = {k: secret_value(secret, k) for k in ("host", "port", "username")}
    if any(v is None for v in values.values()):
        raise ConfigError(
            f"spec.verification.scratch.serverSecretRef: Secret {ref.name} needs host, port, "
            "username and password",
            reason="SecretKeyMissing",
        )
    admin = secret_value(secret, "database") or _ADMIN_DB[policy.spec.database.engine].encode()
    return ScratchLogin(
        host=(values["host"] or b"").decode().strip(),
        port=int((values["port"] or b"0").decode().strip()),
        user=(values["username"] or b"").decode().strip(),
        admin_database=admin.decode().strip(),
        database=_scratch_database(policy),
    )


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
    _, manifest_key = stored_keys(policy, backup)
    try:
        manifest = from_json(await asyncio.to_thread(store.get_bytes, manifest_key))
    except (CryptoError, StorageError) as exc:
        if exc.retryable:
            raise
        await _unverifiable(rt, policy, backup, exc)
        return
    sidecar = await _sidecar(rt, policy, level, manifest, memory)
    body = await _create_job(rt, policy, backup, sidecar)
    if body is None:
        return
    secret_name = key_secret_name(body["metadata"]["name"])
    if await rt.kube.get(SECRETS, policy.namespace, secret_name) is not None:
        return
    scratch: ScratchLogin | None = None
    if sidecar is not None:
        scratch = sidecar_login(
            sidecar, database=_scratch_database(policy), wait_seconds=SIDECAR_WAIT_SECONDS
        )
    elif level is not VerificationLevel.INTEGRITY:
        scratch = await _named_scratch(rt, policy)
    try:
        dek = open_manifest(manifest, _wrappers(rt, policy, keys))
    except CryptoError as exc:
        if exc.retryable:
            raise
        await _unverifiable(rt, policy, backup, exc)
        return
    job_file = verify_job_file(
        spec=policy.spec, namespace=policy.namespace, policy=policy.name, backup=name,
        level=level, scratch=scratch,
    )  # fmt: skip
    await rt.kube.create(
        SECRETS, policy.namespace, build_key_secret(job=body, job_file=job_file, dek=dek)
    )
    where = f", scratch {sidecar.image}" if sidecar is not None else ""
    text = events.verification(
        name, passed=None, detail=f"level {level}, Job {body['metadata']['name']}{where}"
    )
    await post(rt, backup, text)


async def _create_job(
    rt: Runtime, policy: PolicyRef, backup: Mapping[str, Any], sidecar: ScratchSidecar | None
) -> Mapping[str, Any] | None:
    """Create the verify Job; return it, or ``None`` when there is nothing more to do."""
    job = build_job(
        spec=policy.spec, policy=policy.name, backup=backup, role=JobRole.VERIFY,
        settings=rt.job_settings, sidecar=sidecar,
    )  # fmt: skip
    outcome = await rt.kube.create(JOBS, policy.namespace, job)
    body = outcome.body
    if isinstance(outcome, AlreadyExists):
        if body is None or not is_ours(body, policy.name):
            if body is not None:
                await post(rt, policy.body, events.name_collision("Job", job["metadata"]["name"]))
            return None
        if _finished(body) is not None:  # an earlier verification, already recorded
            await rt.kube.delete(JOBS, policy.namespace, body["metadata"]["name"])
            return None
    return body


async def _unverifiable(
    rt: Runtime, policy: PolicyRef, backup: Mapping[str, Any], exc: CryptoError | StorageError
) -> None:
    """The manifest cannot be read or opened: the backup is not restorable.

    Say so on the Backup instead of retrying forever; a verify Job left from an earlier attempt
    (it never got its key) is deleted so it does not count as in flight.
    """
    verify_job = job_name(backup["metadata"]["name"], JobRole.VERIFY)
    await rt.kube.delete(JOBS, policy.namespace, verify_job)
    await _record(
        rt, policy, backup, passed=False, level="none", reason=exc.reason,
        message=str(exc), done_at=rt.clock(), rto=None, seconds=0.0,
    )  # fmt: skip


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
            assertions_failed=result.assertions_failed if result else [],
            scratch=_scratch_label(policy, job, level),
            equivalence=result.equivalence if result else None,
            equivalence_reason=result.equivalence_reason if result else None,
        )  # fmt: skip
        recorded = True
    return recorded


def _scratch_label(policy: PolicyRef, job: Mapping[str, Any], level: str) -> str | None:
    """Where the run restored: the sidecar's image, or the named server's Secret."""
    if level in {"none", "integrity"}:
        return None
    pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in pod.get("initContainers") or []:
        if container.get("name") == "scratch":
            return str(container.get("image", ""))
    ref = policy.spec.verification.scratch.server_secret_ref
    return f"Secret {ref.name}" if ref is not None else None


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
    assertions_failed: list[str] | None = None,
    scratch: str | None = None,
    equivalence: EquivalenceMethod | None = None,
    equivalence_reason: str | None = None,
) -> None:
    """Write one verification result into the Backup, with its Events, metrics and audit.

    ``equivalence`` (what the fingerprint check compared) is carried into the status and the
    audit record, so a count-only check is visible without reading the message.
    """
    name = backup["metadata"]["name"]
    shown = "integrity" if level == "none" else level
    restored = shown != "integrity"
    configured = len(policy.spec.verification.assertions or [])
    checked = configured if restored and configured and (passed or assertions_failed) else None
    patch: dict[str, Any] = {
        "verification": {
            "level": shown,
            "result": "Passed" if passed else "Failed",
            "time": rfc3339(done_at),
            "rtoSeconds": rto,
            "reason": reason,
            "message": message,
            "scratch": scratch,
            "assertionsChecked": checked,
            "assertionsFailed": list(assertions_failed) if assertions_failed else None,
            "equivalence": equivalence.value if equivalence else None,
            "equivalenceReason": equivalence_reason,
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
    details: dict[str, Scalar] = {"level": shown, "corrupt": patch.get("corrupt", False)}
    if rto is not None:
        details["rtoSeconds"] = rto
    if equivalence is not None:
        details["equivalence"] = equivalence.value
    if checked is not None:
        details["assertionsChecked"] = checked
        details["assertionsFailed"] = len(assertions_failed or [])
    await audit(
        rt,
        namespace=policy.namespace,
        policy=policy.name,
        store=await audit_store(rt, policy),
        prefix=policy.spec.storage.prefix,
        action=AuditAction.VERIFICATION,
        result=AuditResult.SUCCEEDED if passed else AuditResult.FAILED,
        reason=reason,
        backup=name,
        region=policy.spec.storage.region,
        duration_seconds=seconds,
        details=details,
        time=done_at,
    )


async def open_data_key(
    rt: Runtime,
    policy: PolicyRef,
    backup: Mapping[str, Any],
    *,
    store: ObjectStore,
    keys: KeySource,
) -> bytes:
    """Read ``backup``'s manifest and open its data key with the key ring or KMS.

    The restore path's way in (verify reads the manifest first for its sidecar): the key ring
    stays in the operator, and only this one backup's data key goes to the Job, through its
    per-Job Secret.

    Raises:
        CryptoError: The manifest is not ours or no key opens it.
        StorageError: The manifest cannot be read.
    """
    _, manifest_key = stored_keys(policy, backup)
    manifest = from_json(await asyncio.to_thread(store.get_bytes, manifest_key))
    return open_manifest(manifest, _wrappers(rt, policy, keys))
