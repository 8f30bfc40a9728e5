"""The compliance report's data model, built purely from cluster objects and ``now``.

Why not read ``status.complianceChecks``: the report must hold even when the operator is down
or behind, so it recomputes every verdict with :func:`~strongroom.planner.compliance.evaluate`
from the Backups themselves — the very function whose output the operator exports as
``strongroom_policy_compliant`` (see :func:`metrics_compliance`). Key ids, versions and ages
come from ``status.keyRing`` (ids only; the report never reads a key Secret).

Per policy the report states: each check's verdict and reason; the RPO and the newest recovery
point; the retention rules and any backup kept past its recorded retention deadline; the key
id/version, its age and the rotation period; the newest passed verification with its level and
measured RTO against the RTO objective; open failures; and ``Compliant``.

From the audit trail (when one was read) the report also lists unfinished retention deletions:
a ``retention-delete`` ``started`` record with no later ``succeeded`` or ``failed`` one for the
same backup. Its objects may still be stored past their deadline (GDPR storage limitation), so
each one makes the whole report not compliant, as an unprotected database does; the policy
verdicts stay the planner's, so the report still agrees with the metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from strongroom.api.backup import BackupSpec, BackupStatus, VerificationResult
from strongroom.api.common import BackupPhase, ConditionStatus
from strongroom.api.policy import BackupPolicySpec, KeyRingStatus, RetentionSpec
from strongroom.audit.record import AuditAction, AuditRecord, AuditResult, format_time
from strongroom.planner.compliance import evaluate, newest_good, overall
from strongroom.planner.coverage import Unprotected
from strongroom.planner.model import Observed, ObservedBackup, ObservedKeyRing, Verdict
from strongroom.planner.status import observed_backup


@dataclass(frozen=True)
class CheckResult:
    """One compliance check's verdict, as evaluated for the report."""

    check: str
    status: ConditionStatus
    reason: str
    message: str


@dataclass(frozen=True, kw_only=True)
class PolicyReport:
    """Everything an auditor asks about one BackupPolicy."""

    namespace: str
    name: str
    engine: str | None = None
    suspended: bool = False
    compliant: ConditionStatus = "Unknown"
    compliant_reason: str = ""
    checks: tuple[CheckResult, ...] = ()
    spec_error: str | None = None
    rpo: str | None = None
    rto: str | None = None
    newest_backup: str | None = None
    newest_recovery_point: datetime | None = None
    retention_rules: str = ""
    retained_backups: int = 0
    past_deadline: tuple[str, ...] = ()
    key_id: str | None = None
    key_version: int | None = None
    key_created: datetime | None = None
    key_age_seconds: float | None = None
    rotation_period: str | None = None
    kms: bool = False
    last_verified: str | None = None
    last_verified_at: datetime | None = None
    last_verified_level: str | None = None
    measured_rto_seconds: float | None = None
    rto_met: bool | None = None
    open_failures: tuple[str, ...] = ()
    unfinished_deletions: tuple[str, ...] = ()

    def check(self, name: str) -> CheckResult | None:
        """Return the verdict of check ``name`` (``rpo``, ``retention``…), if evaluated."""
        return next((c for c in self.checks if c.check == name), None)


@dataclass(frozen=True, kw_only=True)
class UnfinishedDeletion:
    """A retention deletion whose ``started`` audit record has no ``succeeded``/``failed`` after it.

    ``started`` is the first ``started`` record since the backup's last completed deletion (when
    the deletion began); ``attempts`` counts those records, and ``data_exists`` /
    ``manifest_exists`` are the newest one's: what was stored when the operator last tried.
    ``backup_listed`` says whether the Backup object still exists (``Terminating``: a running
    operator finishes it); when it is gone nobody will, and the objects may remain.
    """

    namespace: str
    policy: str
    backup: str
    started: datetime
    attempts: int
    reason: str
    data_exists: bool | None
    manifest_exists: bool | None
    backup_listed: bool

    @property
    def finding(self) -> str:
        """The sentence an auditor reads: what, since when, and what may remain."""
        left = "its Backup is still Terminating" if self.backup_listed else "its Backup is gone"
        stored = [
            name
            for name, exists in (("data", self.data_exists), ("manifest", self.manifest_exists))
            if exists
        ]
        kept = f"; {' and '.join(stored)} existed when it started" if stored else ""
        return (
            f"deletion of {self.backup} started at {format_time(self.started)}, "
            f"never completed ({left}{kept})"
        )


def _flag(record: AuditRecord, name: str) -> bool | None:
    value = record.details.get(name)
    return value if isinstance(value, bool) else None


def unfinished_deletions(
    records: Iterable[AuditRecord], listed: Iterable[tuple[str, str]] = ()
) -> tuple[UnfinishedDeletion, ...]:
    """Return the retention deletions the trail shows started and never finished (pure).

    Records are grouped by namespace, policy and backup and read in time order (a ``started``
    before an outcome of the same instant, as the operator writes them); a ``succeeded`` or
    ``failed`` record closes every ``started`` before it, so a retried deletion that finished is
    not listed. ``listed`` holds the (namespace, name) of the Backups that still exist.
    """
    present = set(listed)
    groups: dict[tuple[str, str, str], list[AuditRecord]] = {}
    for record in records:
        if record.action is AuditAction.RETENTION_DELETE and record.backup:
            groups.setdefault((record.namespace, record.policy, record.backup), []).append(record)
    found: list[UnfinishedDeletion] = []
    for (namespace, policy, backup), trail in sorted(groups.items()):
        pending: list[AuditRecord] = []
        for record in sorted(trail, key=lambda r: (r.time, r.result is not AuditResult.STARTED)):
            if record.result is AuditResult.STARTED:
                pending.append(record)
            elif record.result in {AuditResult.SUCCEEDED, AuditResult.FAILED}:
                pending = []
        if not pending:
            continue
        first, last = pending[0], pending[-1]
        found.append(
            UnfinishedDeletion(
                namespace=namespace,
                policy=policy,
                backup=backup,
                started=first.time,
                attempts=len(pending),
                reason=last.reason,
                data_exists=_flag(last, "dataExists"),
                manifest_exists=_flag(last, "manifestExists"),
                backup_listed=(namespace, backup) in present,
            )
        )
    return tuple(sorted(found, key=lambda u: (u.started, u.namespace, u.backup)))


@dataclass(frozen=True)
class ComplianceReport:
    """The whole report: policies, unprotected databases and (optionally) the audit trail.

    ``notes`` say what could not be checked (for example coverage without the right to list
    Services), so an empty section is never mistaken for a clean one. ``unfinished`` are the
    retention deletions of :attr:`audit` that never completed.
    """

    generated_at: datetime
    policies: tuple[PolicyReport, ...]
    unprotected: tuple[Unprotected, ...] = ()
    audit: tuple[AuditRecord, ...] = ()
    notes: tuple[str, ...] = ()
    unfinished: tuple[UnfinishedDeletion, ...] = ()

    @property
    def compliant(self) -> bool:
        """Return whether all policies comply and nothing is unprotected or left undeleted."""
        return (
            all(p.compliant == "True" for p in self.policies)
            and not self.unprotected
            and not self.unfinished
        )

    @property
    def findings(self) -> tuple[str, ...]:
        """Count what makes the report not compliant (``1 unprotected database``…)."""
        counts = (
            (
                sum(p.compliant != "True" for p in self.policies),
                "policy",
                "policies",
                "not compliant",
            ),
            (len(self.unprotected), "database", "databases", "unprotected"),
            (len(self.unfinished), "retention deletion", "retention deletions", "unfinished"),
        )
        return tuple(f"{n} {one if n == 1 else many} {what}" for n, one, many, what in counts if n)


def metrics_compliance(verdicts: Iterable[Verdict]) -> dict[str, bool | None]:
    """Return the verdicts as ``PolicyMetricsSnapshot.compliance`` expects them (None = unknown)."""
    return {v.check.value: None if v.status == "Unknown" else v.status == "True" for v in verdicts}


def _meta(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body.get("metadata") or {}


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _backup_view(body: Mapping[str, Any]) -> tuple[ObservedBackup, BackupStatus] | None:
    try:
        spec = BackupSpec.model_validate(body.get("spec") or {})
    except ValidationError:
        return None
    try:
        status = BackupStatus.model_validate(body.get("status") or {})
    except ValidationError:
        status = BackupStatus()
    meta = _meta(body)
    seen = observed_backup(
        str(meta.get("name")), spec, status, created=_time(meta.get("creationTimestamp"))
    )
    return seen, status


def _policy_of(body: Mapping[str, Any]) -> str | None:
    ref = (body.get("spec") or {}).get("policyRef") or {}
    name = ref.get("name")
    return str(name) if name else None


def _key_ring(status: Mapping[str, Any]) -> ObservedKeyRing | None:
    try:
        ring = KeyRingStatus.model_validate(status.get("keyRing") or {})
    except ValidationError:
        return None
    if ring.key_id is None or ring.primary_version is None or ring.primary_created is None:
        return None
    return ObservedKeyRing(
        key_id=ring.key_id,
        primary_version=ring.primary_version,
        primary_created=ring.primary_created,
        versions=tuple(ring.versions_in_use or (ring.primary_version,)),
    )


def observe_bodies(
    policy: Mapping[str, Any], backups: Iterable[Mapping[str, Any]]
) -> tuple[Observed, dict[str, BackupStatus]]:
    """Return the planner's view of ``policy`` and the statuses of its Backups by name.

    Only Backups of the policy's namespace whose ``spec.policyRef.name`` is the policy count.
    """
    meta = _meta(policy)
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    seen: list[ObservedBackup] = []
    statuses: dict[str, BackupStatus] = {}
    for body in backups:
        if _meta(body).get("namespace") != namespace or _policy_of(body) != name:
            continue
        view = _backup_view(body)
        if view is not None:
            seen.append(view[0])
            statuses[view[0].name] = view[1]
    observed = Observed(
        namespace=namespace,
        name=name,
        backups=tuple(sorted(seen, key=lambda b: (b.slot, b.name))),
        key_ring=_key_ring(policy.get("status") or {}),
        created=_time(meta.get("creationTimestamp")),
    )
    return observed, statuses


def retention_rules(retention: RetentionSpec) -> str:
    """Return the retention rules as one line (``keepLast=7 daily=14 maxAge=90d``)."""
    rules = [
        ("keepLast", retention.keep_last),
        ("hourly", retention.hourly),
        ("daily", retention.daily),
        ("weekly", retention.weekly),
        ("monthly", retention.monthly),
        ("yearly", retention.yearly),
        ("maxAge", retention.max_age),
    ]
    return " ".join(f"{k}={v}" for k, v in rules if v is not None) or "-"


def _open_failures(observed: Observed, statuses: Mapping[str, BackupStatus]) -> tuple[str, ...]:
    """Failed runs newer than the newest good backup, corrupt backups, failed verifications."""
    newest = newest_good(observed)
    found: list[str] = []
    for b in observed.backups:
        status = statuses.get(b.name, BackupStatus())
        why = status.failure_reason or ""
        if b.phase is BackupPhase.FAILED and (newest is None or b.slot > newest.slot):
            found.append(f"{b.name}: backup failed" + (f" ({why})" if why else ""))
        elif b.corrupt:
            found.append(f"{b.name}: found corrupt")
        elif b.verification_result is VerificationResult.FAILED:
            found.append(f"{b.name}: verification failed")
    return tuple(found)


def policy_report(
    policy: Mapping[str, Any], backups: Sequence[Mapping[str, Any]], now: datetime
) -> PolicyReport:
    """Return the report of one policy at ``now`` (pure)."""
    meta = _meta(policy)
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    try:
        spec = BackupPolicySpec.model_validate(policy.get("spec") or {})
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        return PolicyReport(
            namespace=namespace,
            name=name,
            compliant="False",
            compliant_reason="InvalidSpec",
            spec_error=f"spec cannot be read: {', '.join(fields[:5])}",
        )
    observed, statuses = observe_bodies(policy, backups)
    verdicts = evaluate(spec, observed, now)
    status, reason = overall(verdicts)
    newest = newest_good(observed)
    ring = observed.key_ring
    passed = [b for b in observed.backups if b.verified_good and b.verified_at is not None]
    last = max(passed, key=lambda b: (b.verified_at or now, b.name)) if passed else None
    rto = spec.objectives.rto
    measured = last.rto_seconds if last else None
    kms = spec.encryption.kms_key_id is not None
    return PolicyReport(
        namespace=namespace,
        name=name,
        engine=spec.database.engine.value,
        suspended=spec.suspend,
        compliant=status,
        compliant_reason=str(reason),
        checks=tuple(
            CheckResult(v.check.value, v.status, str(v.reason), v.message) for v in verdicts
        ),
        rpo=str(spec.objectives.rpo),
        rto=str(rto) if rto is not None else None,
        newest_backup=newest.name if newest else None,
        newest_recovery_point=newest.recovery_point if newest else None,
        retention_rules=retention_rules(spec.retention),
        retained_backups=sum(1 for b in observed.backups if not b.in_flight),
        past_deadline=tuple(
            b.name
            for b in observed.backups
            if (deadline := statuses[b.name].retention_deadline) is not None and deadline < now
        ),
        key_id=ring.key_id if ring else spec.encryption.kms_key_id,
        key_version=ring.primary_version if ring else None,
        key_created=ring.primary_created if ring else None,
        key_age_seconds=(now - ring.primary_created).total_seconds() if ring else None,
        rotation_period=None if kms else str(spec.encryption.rotation_period),
        kms=kms,
        last_verified=last.name if last else None,
        last_verified_at=last.verified_at if last else None,
        last_verified_level=last.verification_level.value
        if last and last.verification_level
        else None,
        measured_rto_seconds=measured,
        rto_met=None if rto is None or measured is None else measured <= rto.seconds,
        open_failures=_open_failures(observed, statuses),
    )


def build_report(
    policies: Iterable[Mapping[str, Any]],
    backups: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    unprotected: Iterable[Unprotected] = (),
    audit: Iterable[AuditRecord] = (),
    notes: Iterable[str] = (),
) -> ComplianceReport:
    """Return the report of every policy at ``now``, sorted by namespace and name (pure)."""
    listed = list(backups)
    trail = tuple(sorted(audit, key=lambda r: r.time))
    unfinished = unfinished_deletions(
        trail, ((str(_meta(b).get("namespace")), str(_meta(b).get("name"))) for b in listed)
    )
    reports = [
        replace(
            report,
            unfinished_deletions=tuple(
                u.backup
                for u in unfinished
                if (u.namespace, u.policy) == (report.namespace, report.name)
            ),
        )
        for report in (policy_report(p, listed, now) for p in policies)
    ]
    return ComplianceReport(
        generated_at=now,
        policies=tuple(sorted(reports, key=lambda r: (r.namespace, r.name))),
        unprotected=tuple(unprotected),
        audit=trail,
        notes=tuple(notes),
        unfinished=unfinished,
    )
