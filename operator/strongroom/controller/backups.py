"""Backup lifecycle: start a run (Job + per-Job key Secret), read its result into status.

A Backup moves ``(none) → Running → Succeeded | Failed``. Every step is idempotent by name, so a
crash anywhere is repaired by the next tick (RELIABILITY F1):

* start: create the Job (``<backup>-backup``); on 409 with our labels, carry on with the
  existing one; then the key Secret (``<job>-key``), owned by the Job — if it is missing, a
  fresh data key is made (the pod cannot have started without it, so nothing used the old
  one); then the Backup status (``Running``, job name, key id/version) and ``BackupStarted``.
* finish: when the Job is ``Complete`` or ``Failed``, the agent's result is read from the
  pod's termination message (``AgentResult``) and copied into the Backup status with an Event
  and the run metrics. ``Succeeded`` is written only when the agent said so: a Job that
  completed without a readable result is ``Failed`` (``ResultMissing``) — never a good backup
  without proof. The key Secret is deleted as soon as the run ends.
* audit: every finished run becomes one audit record (result, duration, size, key id/version,
  region) in the log and in the bucket, written before the status so a crash cannot lose it.
  A scheduled run is the operator's own act; an on-demand one names who asked for it when
  ``strongroom backup-now`` wrote the ``strongroom.dev/requested-by`` annotation (see
  :func:`requester`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from strongroom.agent.report import AgentResult
from strongroom.api.common import BackupPhase
from strongroom.api.policy import BackupPolicySpec
from strongroom.audit.record import OPERATOR_ACTOR, AuditAction, AuditResult, Scalar, looks_secret
from strongroom.controller.audit import audit
from strongroom.controller.jobfile import backup_job_file
from strongroom.controller.keys import KeySource, new_wrapped_data_key
from strongroom.controller.observe import backup_status, parse_time, trigger_of
from strongroom.controller.runtime import Runtime
from strongroom.crypto.wrapping import KeyBinding
from strongroom.errors import StrongroomError
from strongroom.kube.base import BACKUPS, JOBS, PODS, SECRETS, AlreadyExists, EventSpec
from strongroom.manifests import events, status
from strongroom.manifests.jobs import build_job
from strongroom.manifests.labels import (
    REQUESTED_BY,
    JobRole,
    is_ours,
    job_name,
    key_secret_name,
)
from strongroom.manifests.secrets import build_key_secret
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyRef:
    """The policy a backup belongs to, as handlers pass it around."""

    namespace: str
    name: str
    spec: BackupPolicySpec
    body: Mapping[str, Any]

    @property
    def involved(self) -> dict[str, str]:
        """Return the Event ``involvedObject`` of the policy."""
        return involved_object(self.body)


def involved_object(body: Mapping[str, Any]) -> dict[str, str]:
    """Return an Event ``involvedObject`` for ``body``."""
    meta = body["metadata"]
    return {
        "apiVersion": str(body.get("apiVersion", "")),
        "kind": str(body.get("kind", "")),
        "name": meta["name"],
        "namespace": meta.get("namespace", ""),
        "uid": meta.get("uid", ""),
    }


async def post(rt: Runtime, body: Mapping[str, Any], text: events.EventText) -> None:
    """Record ``text`` as an Event about ``body``."""
    namespace = body["metadata"].get("namespace", "")
    spec = EventSpec(involved_object(body), text.type, text.reason, text.message)
    await rt.kube.post_event(namespace, spec)


async def start(
    rt: Runtime, policy: PolicyRef, backup: Mapping[str, Any], keys: KeySource, user: str
) -> bool:
    """Start the run of ``backup``; return whether its Job exists now (ours)."""
    name = backup["metadata"]["name"]
    job = build_job(
        spec=policy.spec,
        policy=policy.name,
        backup=backup,
        role=JobRole.BACKUP,
        settings=rt.job_settings,
    )
    outcome = await rt.kube.create(JOBS, policy.namespace, job)
    body = outcome.body
    if isinstance(outcome, AlreadyExists):
        if not is_ours(body, policy.name):
            await post(rt, policy.body, events.name_collision("Job", job["metadata"]["name"]))
            return False
        if body is None:  # deleted in between; the next tick creates it again
            return False
    assert body is not None  # noqa: S101 - Created always carries the body
    secret_name = key_secret_name(body["metadata"]["name"])
    key_id, key_version = keys.kms_key_id, None
    if await rt.kube.get(SECRETS, policy.namespace, secret_name) is None:
        binding = KeyBinding(policy.namespace, policy.name, name)
        data_key = await new_wrapped_data_key(rt, keys, policy.spec, binding)
        job_file = backup_job_file(
            spec=policy.spec, namespace=policy.namespace, policy=policy.name, backup=name,
            user=user, wrapped=data_key.wrapped,
        )  # fmt: skip
        secret = build_key_secret(job=body, job_file=job_file, dek=data_key.dek)
        await rt.kube.create(SECRETS, policy.namespace, secret)
        key_id, key_version = data_key.key_id, data_key.key_version
    now = rt.clock()
    current = backup_status(backup)
    outcome_status = status.RunOutcome(
        phase=BackupPhase.RUNNING,
        reason="JobCreated",
        message=f"Job {body['metadata']['name']} runs the backup",
        job_name=body["metadata"]["name"],
        started=current.start_time or now,
        key_id=key_id or current.key_id,
        key_version=key_version if key_version is not None else current.key_version,
    )
    patch = status.backup_status(
        outcome_status, existing=backup.get("status"), generation=_generation(backup), now=now
    )
    await rt.kube.patch(BACKUPS, policy.namespace, name, {"status": patch}, status=True)
    if current.phase is None:
        await post(rt, backup, events.backup_started(name, body["metadata"]["name"]))
    return True


def _generation(body: Mapping[str, Any]) -> int | None:
    value = body["metadata"].get("generation")
    return int(value) if value is not None else None


def _job_state(job: Mapping[str, Any]) -> tuple[str | None, str, str]:
    """Return ('Complete'|'Failed'|None, reason, message) from the Job's conditions."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in {"Complete", "Failed"}:
            return condition["type"], condition.get("reason", ""), condition.get("message", "")
    return None, "", ""


async def _result(rt: Runtime, namespace: str, job: str) -> AgentResult | None:
    """Return the newest agent result found in the Job's pods' termination messages."""
    pods = await rt.kube.list(PODS, namespace, selector=f"batch.kubernetes.io/job-name={job}")
    found: list[tuple[str, AgentResult]] = []
    for pod in pods:
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (container.get("state") or {}).get("terminated") or {}
            text = terminated.get("message") or ""
            try:
                result = AgentResult.from_json(text.strip().splitlines()[-1])
            except (ValueError, ValidationError, IndexError):
                continue
            found.append((terminated.get("finishedAt") or "", result))
    return max(found, key=lambda item: item[0])[1] if found else None


async def finish_if_done(
    rt: Runtime, policy: PolicyRef, backup: Mapping[str, Any], jobs: Mapping[str, Mapping[str, Any]]
) -> BackupPhase | None:
    """Copy a finished run's result into the Backup; return the new phase, if it finished."""
    name = backup["metadata"]["name"]
    current = backup_status(backup)
    job_name_ = current.job_name or job_name(name, JobRole.BACKUP)
    job = jobs.get(job_name_)
    now = rt.clock()
    state: str | None
    if job is None:
        state, reason, message = (
            "Failed",
            "JobLost",
            f"Job {job_name_} disappeared before it finished",
        )
    else:
        state, reason, message = _job_state(job)
    if state is None:
        return None
    result = await _result(rt, policy.namespace, job_name_) if job is not None else None
    ok = state == "Complete" and result is not None and result.outcome == "succeeded"
    if result is not None and not ok:
        reason, message = result.reason, result.message
    elif state == "Complete" and result is None:
        reason = "ResultMissing"
        message = f"Job {job_name_} completed without a readable result; not trusted as a backup"
    finished = parse_time((job or {}).get("status", {}).get("completionTime")) or now
    outcome = status.RunOutcome(
        phase=BackupPhase.SUCCEEDED if ok else BackupPhase.FAILED,
        reason="Succeeded" if ok else (reason or "JobFailed"),
        message=(result.message if ok and result else message) or "the backup Job failed",
        job_name=job_name_,
        started=current.start_time,
        completed=finished,
        data_key=result.data_key if result else None,
        manifest_key=result.manifest_key if result else None,
        size_bytes=result.data_size if result else None,
        plaintext_bytes=result.plaintext_size if result else None,
        sha256=result.data_sha256 if result else None,
        tables=result.tables if result else None,
    )
    duration = _duration(current.start_time, finished, result)
    await _audit_run(rt, policy, backup, outcome, duration)
    patch = status.backup_status(
        outcome, existing=backup.get("status"), generation=_generation(backup), now=now
    )
    await rt.kube.patch(BACKUPS, policy.namespace, name, {"status": patch}, status=True)
    await rt.kube.delete(SECRETS, policy.namespace, key_secret_name(job_name_))
    where = f"s3://{policy.spec.storage.bucket}/{outcome.data_key or '?'}"
    text = (
        events.backup_succeeded(name, tables=outcome.tables, size=outcome.size_bytes, where=where)
        if ok
        else events.backup_failed(name, outcome.reason, outcome.message)
    )
    await post(rt, backup, text)
    await post(rt, policy.body, text)
    rt.metrics.record_backup_run(
        policy.namespace, policy.name, "succeeded" if ok else "failed", duration, outcome.size_bytes
    )
    return outcome.phase


async def _audit_run(
    rt: Runtime,
    policy: PolicyRef,
    backup: Mapping[str, Any],
    outcome: status.RunOutcome,
    duration: float,
) -> None:
    """Record the finished run, before its status is written.

    Every field comes from the Job and the Backup (the end is the Job's completionTime), so
    a crash before the status patch repeats an identical record, which the bucket keeps once.
    """
    current = backup_status(backup)
    actor, source = requester(backup)
    details: dict[str, Scalar] = {"trigger": trigger_of(backup).value, "actorSource": source}
    if outcome.size_bytes is not None:
        details["sizeBytes"] = outcome.size_bytes
    if outcome.tables is not None:
        details["tables"] = outcome.tables
    await audit(
        rt,
        namespace=policy.namespace,
        policy=policy.name,
        store=await audit_store(rt, policy),
        prefix=policy.spec.storage.prefix,
        action=AuditAction.BACKUP,
        result=(
            AuditResult.SUCCEEDED if outcome.phase is BackupPhase.SUCCEEDED else AuditResult.FAILED
        ),
        reason=outcome.reason,
        backup=backup["metadata"]["name"],
        key_id=current.key_id,
        key_version=current.key_version,
        region=policy.spec.storage.region,
        duration_seconds=duration,
        actor=actor,
        details=details,
        time=outcome.completed,
    )


#: Longest requester annotation recorded (a Kubernetes user name fits easily).
_REQUESTER_MAX = 253


def requester(backup: Mapping[str, Any]) -> tuple[str, str]:
    """Return (actor, where it came from) for the audit record of ``backup``.

    Kopf does not say who created an object, and the ``managedFields`` manager is only the
    client's name (``kubectl``, ``strongroom``). ``strongroom backup-now`` therefore asks the
    API server who it is (SelfSubjectReview) and writes that name into the Backup's
    ``strongroom.dev/requested-by`` annotation. Anyone allowed to create Backups could write
    another name there, so the record says ``actorSource: annotation`` — the API server's own
    audit log stays the authority. Scheduled Backups are the operator's; a missing or
    malformed annotation falls back to the operator with the source saying so.
    """
    meta = backup.get("metadata") or {}
    claimed = str((meta.get("annotations") or {}).get(REQUESTED_BY) or "").strip()
    if not claimed:
        return OPERATOR_ACTOR, "operator"
    if len(claimed) > _REQUESTER_MAX or looks_secret(claimed) or not claimed.isprintable():
        return OPERATOR_ACTOR, "unreadable-annotation"
    return claimed, "annotation"


async def audit_store(rt: Runtime, policy: PolicyRef) -> ObjectStore | None:
    """Return the policy's bucket for audit records, or ``None`` (log line only) if unusable.

    A run is recorded even while the policy is not ready (its S3 Secret was deleted, say):
    the audit log line is written regardless, and the bucket copy only when it can be.
    """
    try:
        return await rt.stores(policy.namespace, policy.spec)
    except StrongroomError as exc:
        _log.warning(
            "audit of %s/%s: bucket not usable, log line only (%s)",
            policy.namespace, policy.name, exc.reason,
        )  # fmt: skip
        return None


def _duration(started: datetime | None, finished: datetime, result: AgentResult | None) -> float:
    if result is not None and result.total_seconds is not None:
        return result.total_seconds
    return max(0.0, (finished - started).total_seconds()) if started else 0.0
