"""Restore runs: choose the source, start one restore Job, record its result and erasure replay.

A Restore moves ``(none) → Pending → Running → Succeeded | Failed``, and every look is
level-based (the Kopf handlers call :func:`reconcile_restore` on create, resume and a timer):

* The source is chosen once (:func:`strongroom.planner.restore.choose_source`) and written to
  ``status.backupName`` before anything starts, so a newer backup landing later, or a
  restart, never changes what is restored. A missing, failed, corrupt or failed-verification
  source is refused: ``Failed`` with the reason, condition ``Succeeded=False``, a
  ``RestoreRefused`` Event and an audit record.
* The Job's name is derived from the Restore's (``<restore>-restore``) and it is owned by the
  Restore, so a repeated create meets ``409`` and a restart never starts a second restore. Its
  ``backoffLimit`` is 0: a second attempt would meet a half-written target. The per-Job Secret
  carries the job file (with the erasure ledger entries, which are personal data) and only
  this backup's data key, opened here with the key ring (:func:`verify.open_data_key`).
* When the Job ends, the agent's result becomes the status: result, duration, what the
  equivalence check compared (``equivalence``: content or only row counts, and why), the erasure
  replay (entries, rows per entry), condition ``Succeeded``; Events ``RestoreSucceeded`` /
  ``RestoreFailed`` / ``RestoreRefused`` (target not empty) and ``ErasureReplayed``; audit
  records ``restore`` and ``erasure-replay``. The key Secret is deleted at once.

Who asked: Kopf does not say. ``strongroom restore`` writes the name the API server gave it
(SelfSubjectReview) into the ``strongroom.dev/requested-by`` annotation (a claim, recorded as
such, see :func:`strongroom.controller.backups.requester`); without it the Restore's first
field manager (``kubectl-client-side-apply``, …) is recorded, marked ``field-manager``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Protocol

import kopf
from pydantic import ValidationError

from strongroom import config as configuration
from strongroom.api.backup import BackupSpec
from strongroom.api.common import GROUP, VERSION, BackupPhase
from strongroom.api.erasure import ErasureEntry, ErasureLedgerSpec
from strongroom.api.restore import MAX_SHOWN_ENTRIES, RestoreSpec, RestoreStatus
from strongroom.audit.record import OPERATOR_ACTOR, AuditAction, AuditResult, Scalar
from strongroom.controller.audit import audit
from strongroom.controller.backups import PolicyRef, _result, audit_store, post, requester
from strongroom.controller.jobfile import RestoreWork, restore_job_file
from strongroom.controller.keys import load_key_source
from strongroom.controller.observe import observed_backup, parse_time
from strongroom.controller.readiness import parse_spec
from strongroom.controller.runtime import Runtime, secret_value
from strongroom.controller.verify import open_data_key
from strongroom.errors import ConfigError, CryptoError, StorageError, StrongroomError
from strongroom.kube.base import (
    BACKUP_POLICIES,
    BACKUPS,
    JOBS,
    PODS,
    RESTORES,
    SECRETS,
    AlreadyExists,
    Kind,
)
from strongroom.manifests import events
from strongroom.manifests.jobs import build_job, restore_target_files
from strongroom.manifests.labels import RESTORE, JobRole, job_name, key_secret_name, policy_selector
from strongroom.manifests.secrets import build_key_secret
from strongroom.manifests.status import rfc3339
from strongroom.planner.restore import Chosen, SourceRequest, choose_source

_CONFIG = configuration.current()
ERASURE_LEDGERS: Final = Kind(GROUP, VERSION, "erasureledgers", "ErasureLedger")
_DONE: Final = frozenset({BackupPhase.SUCCEEDED, BackupPhase.FAILED})
#: The agent's reason when the target holds tables and allowOverwrite is false.
_NOT_EMPTY: Final = frozenset({"TargetNotEmpty", "RestoreTargetNotEmpty"})
_MANAGER_MAX: Final = 128


class ReplayCounts(Protocol):
    """The part of the agent's result the replay status is built from.

    A protocol, not an import: the layer contract lets only ``backups`` read ``AgentResult``.
    """

    @property
    def reason(self) -> str:
        """The run's CamelCase reason."""

    @property
    def erasure_entries(self) -> int | None:
        """Entries replayed."""

    @property
    def erasure_rows(self) -> int | None:
        """Rows deleted in all."""

    @property
    def erasure_counts(self) -> list[int]:
        """Rows per entry, in ledger order."""


def restore_status(body: Mapping[str, Any]) -> RestoreStatus:
    """Return the Restore's status model (empty when unreadable)."""
    try:
        return RestoreStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return RestoreStatus()


def restore_requester(body: Mapping[str, Any]) -> tuple[str, str]:
    """Return (actor, source): the CLI's annotation, else the first field manager."""
    actor, source = requester(body)
    if source == "annotation":
        return actor, source
    managed = (body.get("metadata") or {}).get("managedFields") or []
    manager = str((managed[0] or {}).get("manager") or "") if managed else ""
    if manager and manager.isprintable() and len(manager) <= _MANAGER_MAX:
        return manager, "field-manager"
    return OPERATOR_ACTOR, source


class _Restore:
    """One look at one Restore: its body, parsed spec and status, and the runtime."""

    def __init__(self, rt: Runtime, body: Mapping[str, Any], spec: RestoreSpec | None) -> None:
        self.rt = rt
        self.body = body
        self._spec = spec
        self.namespace: str = body["metadata"]["namespace"]
        self.name: str = body["metadata"]["name"]
        self.status = restore_status(body)
        self.job_name = job_name(self.name, JobRole.RESTORE)
        self.actor, self.actor_source = restore_requester(body)
        self.policy: PolicyRef | None = None

    @property
    def spec(self) -> RestoreSpec:
        """The parsed spec (only an unparsable Restore has none, and it is only refused)."""
        assert self._spec is not None  # noqa: S101 - see above
        return self._spec

    async def patch(self, fields: Mapping[str, Any]) -> None:
        await self.rt.kube.patch(
            RESTORES, self.namespace, self.name, {"status": dict(fields)}, status=True
        )

    def condition(self, *, ok: bool, reason: str, message: str) -> list[dict[str, Any]]:
        generation = self.body["metadata"].get("generation")
        return [
            {
                "type": "Succeeded",
                "status": "True" if ok else "False",
                "reason": reason,
                "message": message[:1024],
                "lastTransitionTime": rfc3339(self.rt.clock()),
                **({"observedGeneration": generation} if generation is not None else {}),
            }
        ]


async def reconcile_restore(rt: Runtime, body: Mapping[str, Any]) -> None:
    """Take one Restore one step further; a finished one is left alone."""
    if restore_status(body).phase in _DONE:
        return
    try:
        spec = RestoreSpec.model_validate(body.get("spec") or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"spec.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        await _refuse(_Restore(rt, body, None), "InvalidSpec", problems)
        return
    restore = _Restore(rt, body, spec)
    job = await rt.kube.get(JOBS, restore.namespace, restore.job_name)
    try:
        await _step(restore, job)
    except StrongroomError as exc:
        if exc.retryable:
            raise
        await _refuse(restore, exc.reason, str(exc))


async def _step(restore: _Restore, job: Mapping[str, Any] | None) -> None:
    rt, namespace = restore.rt, restore.namespace
    backup_name = restore.status.backup_name
    if backup_name is None:
        backup_name = await _choose(restore)
        if backup_name is None:
            return
    backup = await rt.kube.get(BACKUPS, namespace, backup_name)
    if backup is None:
        raise ConfigError(
            f"spec: Backup {backup_name} was deleted before the restore ran",
            reason="BackupNotFound",
        )
    restore.policy = policy = await _policy_of(restore, backup)
    if job is not None and _finished(job) is not None:
        await _finish(restore, backup, job)
        return
    if job is None:
        if restore.status.phase is BackupPhase.RUNNING:
            await _fail(restore, backup_name, "JobLost", f"Job {restore.job_name} disappeared")
            return
        job = await _create_job(restore, policy, backup)
        if job is None:
            return
    await _ensure_secret(restore, policy, backup, job)
    await _progress(restore, job)


async def _choose(restore: _Restore) -> str | None:
    """Choose the source once and write it to status; ``None`` when refused."""
    rt, spec = restore.rt, restore.spec
    if spec.backup_ref is not None:
        found = await rt.kube.get(BACKUPS, restore.namespace, spec.backup_ref.name)
        listed = [found] if found is not None else []
        request = SourceRequest(backup=spec.backup_ref.name)
    else:
        assert spec.policy_ref is not None  # noqa: S101 - the spec validator guarantees it
        listed = await rt.kube.list(
            BACKUPS, restore.namespace, selector=policy_selector(spec.policy_ref.name)
        )
        request = SourceRequest(policy=spec.policy_ref.name)
    observed = tuple(o for o in (observed_backup(b) for b in listed) if o is not None)
    choice = choose_source(request, observed)
    if not isinstance(choice, Chosen):
        await _refuse(restore, choice.reason.value, choice.message)
        return None
    name = choice.backup.name
    await restore.patch(
        {
            "phase": BackupPhase.PENDING.value,
            "backupName": name,
            "progress": f"restoring Backup {name}: starting the Job",
            "requestedBy": restore.actor,
            "startTime": rfc3339(rt.clock()),
            "observedGeneration": restore.body["metadata"].get("generation"),
        }
    )
    restore.status = restore.status.model_copy(
        update={"backup_name": name, "phase": BackupPhase.PENDING}
    )
    return name


async def _policy_of(restore: _Restore, backup: Mapping[str, Any]) -> PolicyRef:
    """Return the policy of ``backup``: its bucket and key ring are needed to read it."""
    try:
        policy_name = BackupSpec.model_validate(backup.get("spec") or {}).policy_ref.name
    except ValidationError:
        raise ConfigError(
            f"Backup {backup['metadata']['name']} has an unreadable spec", reason="BackupInvalid"
        ) from None
    body = await restore.rt.kube.get(BACKUP_POLICIES, restore.namespace, policy_name)
    if body is None:
        raise ConfigError(
            f"Backup {backup['metadata']['name']} belongs to BackupPolicy {policy_name}, which "
            "is gone; its bucket and key settings are needed — restore by hand with "
            "`strongroom decrypt` (docs/disaster-recovery.md)",
            reason="PolicyNotFound",
        )
    return PolicyRef(restore.namespace, policy_name, parse_spec(body), body)


async def _create_job(
    restore: _Restore, policy: PolicyRef, backup: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    rt = restore.rt
    engine = restore.spec.target.engine or policy.spec.database.engine
    if engine is not policy.spec.database.engine:
        raise ConfigError(
            f"spec.target.engine: {engine.value} cannot receive a "
            f"{policy.spec.database.engine.value} backup; leave it out or name the same engine",
            reason="EngineMismatch",
        )
    job = build_job(
        spec=policy.spec, policy=policy.name, backup=backup, role=JobRole.RESTORE,
        settings=rt.job_settings, extra_files=restore_target_files(restore.spec.target),
        owner=restore.body,
    )  # fmt: skip
    outcome = await rt.kube.create(JOBS, restore.namespace, job)
    body = outcome.body
    if isinstance(outcome, AlreadyExists):
        labels = ((body or {}).get("metadata") or {}).get("labels") or {}
        if body is None or labels.get(RESTORE) != restore.name:
            if body is not None:
                await post(rt, restore.body, events.name_collision("Job", restore.job_name))
            return None
        return body
    name = backup["metadata"]["name"]
    await restore.patch(
        {
            "phase": BackupPhase.RUNNING.value,
            "jobName": restore.job_name,
            "progress": f"Job {restore.job_name} created; waiting for its pod",
        }
    )
    message = f"restoring Backup {name} into {_target(restore)} (Job {restore.job_name})"
    await post(rt, restore.body, events.note("RestoreStarted", message, warning=False))
    return body


def _target(restore: _Restore) -> str:
    target = restore.spec.target
    return f"{target.host}/{target.database}"


async def _ensure_secret(
    restore: _Restore, policy: PolicyRef, backup: Mapping[str, Any], job: Mapping[str, Any]
) -> None:
    """Create the per-Job Secret (job file + data key) unless it exists; the pod waits for it."""
    rt = restore.rt
    if await rt.kube.get(SECRETS, restore.namespace, key_secret_name(restore.job_name)):
        return
    keys = await load_key_source(
        rt, namespace=restore.namespace, policy=policy.name, spec=policy.spec,
        involved=policy.involved, has_backups=True,
    )  # fmt: skip
    if keys.problem is not None:
        raise keys.problem
    store = await rt.stores(restore.namespace, policy.spec)
    try:
        dek = await open_data_key(rt, policy, backup, store=store, keys=keys)
    except (CryptoError, StorageError) as exc:
        if exc.retryable:
            raise
        await rt.kube.delete(JOBS, restore.namespace, restore.job_name)
        raise CryptoError(
            f"Backup {backup['metadata']['name']}: its manifest cannot be opened ({exc})",
            reason=exc.reason,
        ) from None
    work = RestoreWork(
        backup=backup["metadata"]["name"],
        target=restore.spec.target,
        engine=policy.spec.database.engine,
        user=await _target_user(restore),
        allow_overwrite=restore.spec.allow_overwrite,
        erasures=tuple(await _erasures(restore, policy.name)) if _replays(restore) else (),
    )
    job_file = restore_job_file(
        spec=policy.spec, namespace=restore.namespace, policy=policy.name, work=work
    )
    secret = build_key_secret(job=job, job_file=job_file, dek=dek)
    secret["metadata"]["labels"][RESTORE] = restore.name
    await rt.kube.create(SECRETS, restore.namespace, secret)


def _replays(restore: _Restore) -> bool:
    return restore.spec.replay_erasure_ledger


async def _target_user(restore: _Restore) -> str:
    ref = restore.spec.target.credentials_secret_ref
    secret = await restore.rt.kube.get(SECRETS, restore.namespace, ref.name)
    user = secret_value(secret, ref.username_key)
    if secret is None or user is None or secret_value(secret, ref.password_key) is None:
        raise ConfigError(
            f"spec.target.credentialsSecretRef: Secret {ref.name} is missing or lacks "
            f"{ref.username_key}/{ref.password_key}; create it, then a new Restore",
            reason="SecretMissing",
        )
    return user.decode().strip()


async def ledgers_for(
    rt: Runtime, namespace: str, policy: str
) -> list[tuple[str, ErasureLedgerSpec]]:
    """Return the ErasureLedgers (by name) that list ``policy``; an unreadable one refuses."""
    found = []
    for body in await rt.kube.list(ERASURE_LEDGERS, namespace):
        name = body["metadata"]["name"]
        try:
            spec = ErasureLedgerSpec.model_validate(body.get("spec") or {})
        except ValidationError as exc:
            raise ConfigError(
                f"ErasureLedger {name} is invalid ({exc.error_count()} problem(s)); fix it "
                "before restoring, or erased people would come back",
                reason="ErasureLedgerInvalid",
            ) from None
        if any(ref.name == policy for ref in spec.policy_refs):
            found.append((name, spec))
    return sorted(found, key=lambda item: item[0])


async def _erasures(restore: _Restore, policy: str) -> list[ErasureEntry]:
    return [
        entry
        for _, spec in await ledgers_for(restore.rt, restore.namespace, policy)
        for entry in spec.entries
    ]


def _finished(job: Mapping[str, Any]) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in {"Complete", "Failed"}:
            return str(condition["type"])
    return None


async def _progress(restore: _Restore, job: Mapping[str, Any]) -> None:
    """Say where the run is, from its pod (written only when it changes)."""
    pods = await restore.rt.kube.list(
        PODS, restore.namespace, selector=f"batch.kubernetes.io/job-name={restore.job_name}"
    )
    phases = {(p.get("status") or {}).get("phase") for p in pods}
    if "Running" in phases:
        text = "restoring: the agent checks the backup's integrity, restores, then replays erasures"
    else:
        text = f"Job {job['metadata']['name']} created; waiting for its pod"
    if restore.status.progress != text or restore.status.phase is not BackupPhase.RUNNING:
        await restore.patch(
            {"phase": BackupPhase.RUNNING.value, "jobName": restore.job_name, "progress": text}
        )


async def _finish(restore: _Restore, backup: Mapping[str, Any], job: Mapping[str, Any]) -> None:
    rt, policy = restore.rt, restore.policy
    assert policy is not None  # noqa: S101 - set by _step before
    state = _finished(job)
    result = await _result(rt, restore.namespace, restore.job_name)
    ok = state == "Complete" and result is not None and result.outcome == "succeeded"
    done = parse_time((job.get("status") or {}).get("completionTime")) or rt.clock()
    started = restore.status.start_time
    seconds = (result.total_seconds if result else None) or (
        max(0.0, (done - started).total_seconds()) if started else 0.0
    )
    if ok:
        reason, message = "Restored", (result.message if result else "")
    elif result is not None:
        reason, message = result.reason, result.message
    else:
        reason, message = "ResultMissing", f"Job {restore.job_name} ended {state} without a result"
    replay = await _replay_status(restore, policy.name, result, done)
    await restore.patch(
        {
            "phase": (BackupPhase.SUCCEEDED if ok else BackupPhase.FAILED).value,
            "completionTime": rfc3339(done),
            "durationSeconds": round(seconds, 3),
            "reason": reason,
            "message": message,
            "progress": "done" if ok else f"failed: {reason}",
            "erasure": replay,
            "equivalence": result.equivalence.value if result and result.equivalence else None,
            "equivalenceReason": result.equivalence_reason if result else None,
            "conditions": restore.condition(ok=ok, reason=reason, message=message),
        }
    )
    await rt.kube.delete(SECRETS, restore.namespace, key_secret_name(restore.job_name))
    name = backup["metadata"]["name"]
    refused = reason in _NOT_EMPTY
    text = (
        events.note(
            "RestoreSucceeded", f"Backup {name} restored into {_target(restore)}", warning=False
        )
        if ok
        else events.note("RestoreRefused" if refused else "RestoreFailed", message, warning=True)
    )
    await post(rt, restore.body, text)
    store = await audit_store(rt, policy)
    details: dict[str, Scalar] = {
        "restore": restore.name,
        "target": _target(restore),
        "actorSource": restore.actor_source,
        "allowOverwrite": restore.spec.allow_overwrite,
    }
    if result is not None and result.level_reached:
        details["levelReached"] = result.level_reached
    if result is not None and result.equivalence is not None:
        details["equivalence"] = result.equivalence.value
    await audit(
        rt, namespace=restore.namespace, policy=policy.name, store=store,
        prefix=policy.spec.storage.prefix, action=AuditAction.RESTORE,
        result=_audit_result(ok=ok, refused=refused),
        reason=reason, backup=name, duration_seconds=round(seconds, 3), actor=restore.actor,
        details=details, time=done,
    )  # fmt: skip
    if replay is not None and replay["result"] != "NotReached":
        await _record_replay(restore, policy, name, replay, done)


def _audit_result(*, ok: bool, refused: bool) -> AuditResult:
    if ok:
        return AuditResult.SUCCEEDED
    return AuditResult.REFUSED if refused else AuditResult.FAILED


async def _replay_status(
    restore: _Restore, policy: str, result: ReplayCounts | None, done: datetime
) -> dict[str, Any] | None:
    """Return ``status.erasure`` from the agent's counts and the ledgers' entry ids."""
    if not _replays(restore):
        return {"ledgers": [], "result": "Skipped", "entries": 0, "rowsDeleted": 0}
    ledgers = await ledgers_for(restore.rt, restore.namespace, policy)
    if not ledgers:
        return None
    ids = [entry.id for _, spec in ledgers for entry in spec.entries]
    names = [name for name, _ in ledgers]
    if result is None or result.erasure_entries is None:
        reached = result is not None and result.reason.startswith("Erasure")
        return {
            "ledgers": names,
            "result": "Failed" if reached else "NotReached",
            "entries": 0,
            "rowsDeleted": 0,
        }
    counts = result.erasure_counts
    return {
        "ledgers": names,
        "result": "Replayed",
        "entries": result.erasure_entries,
        "rowsDeleted": result.erasure_rows or 0,
        "perEntry": [
            {"id": entry_id, "rows": rows}
            for entry_id, rows in list(zip(ids, counts, strict=False))[:MAX_SHOWN_ENTRIES]
        ],
        "time": rfc3339(done),
    }


async def _record_replay(
    restore: _Restore, policy: PolicyRef, backup: str, replay: Mapping[str, Any], done: datetime
) -> None:
    """The replay's Event, audit record and ledger status."""
    rt = restore.rt
    outcome = str(replay["result"])
    ok = outcome in {"Replayed", "Skipped"}
    if outcome == "Skipped":
        message = "erasure ledger replay skipped: spec.replayErasureLedger is false"
    else:
        message = (
            f"erasure ledger replay {outcome.lower()}: {replay['entries']} entries, "
            f"{replay['rowsDeleted']} rows deleted (ledgers {', '.join(replay['ledgers'])})"
        )
    reason = "ErasureReplayed" if outcome == "Replayed" else f"Erasure{outcome}"
    await post(
        rt, restore.body, events.note(reason, message, warning=not ok or outcome == "Skipped")
    )
    await audit(
        rt, namespace=restore.namespace, policy=policy.name,
        store=await audit_store(rt, policy), prefix=policy.spec.storage.prefix,
        action=AuditAction.ERASURE_REPLAY,
        result=AuditResult.SUCCEEDED if ok else AuditResult.FAILED, reason=reason, backup=backup,
        actor=restore.actor,
        details={
            "restore": restore.name, "entries": int(replay["entries"]),
            "rowsDeleted": int(replay["rowsDeleted"]), "ledgers": ",".join(replay["ledgers"]),
            "skipped": outcome == "Skipped",
        },
        time=done,
    )  # fmt: skip
    for name in replay["ledgers"]:
        await rt.kube.patch(
            ERASURE_LEDGERS, restore.namespace, name,
            {"status": {"lastReplayTime": rfc3339(done), "lastReplayRestore": restore.name}},
            status=True,
        )  # fmt: skip


async def _fail(restore: _Restore, backup: str, reason: str, message: str) -> None:
    await restore.patch(
        {
            "phase": BackupPhase.FAILED.value,
            "reason": reason,
            "message": message,
            "progress": f"failed: {reason}",
            "completionTime": rfc3339(restore.rt.clock()),
            "conditions": restore.condition(ok=False, reason=reason, message=message),
        }
    )
    await post(restore.rt, restore.body, events.note("RestoreFailed", message, warning=True))
    await _audit_refusal(restore, reason, backup, AuditResult.FAILED)


async def _refuse(restore: _Restore, reason: str, message: str) -> None:
    """End the Restore before any Job ran: status, Event and audit say why."""
    await restore.patch(
        {
            "phase": BackupPhase.FAILED.value,
            "reason": reason,
            "message": message,
            "progress": f"refused: {reason}",
            "requestedBy": restore.actor,
            "completionTime": rfc3339(restore.rt.clock()),
            "conditions": restore.condition(ok=False, reason=reason, message=message),
        }
    )
    await post(restore.rt, restore.body, events.note("RestoreRefused", message, warning=True))
    await _audit_refusal(restore, reason, restore.status.backup_name, AuditResult.REFUSED)


async def _audit_refusal(
    restore: _Restore, reason: str, backup: str | None, result: AuditResult
) -> None:
    policy = restore.policy
    wanted = restore._spec.policy_ref if restore._spec is not None else None  # noqa: SLF001
    fallback = wanted.name if wanted is not None else restore.name
    await audit(
        restore.rt,
        namespace=restore.namespace,
        policy=policy.name if policy else fallback,
        store=await audit_store(restore.rt, policy) if policy else None,
        prefix=policy.spec.storage.prefix if policy else "",
        action=AuditAction.RESTORE,
        result=result,
        reason=reason,
        backup=backup,
        actor=restore.actor,
        details={"restore": restore.name, "actorSource": restore.actor_source},
    )


@kopf.on.resume(GROUP, VERSION, RESTORES.plural)
@kopf.on.create(GROUP, VERSION, RESTORES.plural)
async def restore_requested(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Start a new (or resumed) Restore at once."""
    await _run(memo, body)


@kopf.timer(
    GROUP, VERSION, RESTORES.plural, interval=_CONFIG.timer_interval,
    initial_delay=_CONFIG.timer_initial_delay, sharp=False,
)  # fmt: skip
async def restore_tick(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Follow the restore Job to its end (a finished Restore returns at once)."""
    await _run(memo, body)


async def _run(memo: kopf.Memo, body: kopf.Body) -> None:
    rt: Runtime = memo.runtime
    try:
        await reconcile_restore(rt, dict(body))
    except StrongroomError as exc:
        rt.metrics.record_reconcile_error("Restore")
        raise kopf.TemporaryError(str(exc), delay=max(_CONFIG.timer_interval, 5.0)) from None
    except Exception:
        rt.metrics.record_reconcile_error("Restore")
        raise
