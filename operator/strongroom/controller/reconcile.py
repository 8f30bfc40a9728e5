"""One look at one policy: gather → finish runs → plan → effects → start runs → status.

This is what the per-policy loop and the create/update/resume handlers call; it imports no
Kopf, so controller tests drive it with fakes and a fixed clock. A per-policy lock serialises
the loop and the handlers. Three depths of look, cheapest first, so a fleet costs little
between its slots (docs/benchmarks.md "Operator scale"):

* **quiet** — nothing changed (the digest of the policy's Backups and Jobs, ``seen``, fed by
  the shared indexes of :mod:`~strongroom.controller.index`, and the spec generation are
  those of the last full look), the policy was Ready, its ``next_wake`` and its resync are
  ahead: no API call at all, also while a run is in flight (its Job changing changes ``seen``);
* **planned** — the same, but ``next_wake`` came: the planner runs on what the last full look
  observed. A due slot's Backup is created at once (the slot is not kept waiting behind other
  policies' full looks) and a full look follows; nothing to do → only the status is written;
* **full** — everything is read from the API server (Backups and Jobs by label, Secrets, the
  key ring, the bucket): on any change, at least every ``resync_interval`` (spread per policy,
  so a fleet created together does not resync together), and whenever the policy is not
  Ready. Level-based: a restart or a missed watch event delays a reaction, never loses it
  (F1, F9). At most ``max_concurrent_looks`` full looks run at once.

Readiness — what the schema cannot check — is decided here: referenced Secrets exist and hold
their keys, the key ring is readable, the bucket answers. A problem is ``Ready=False`` with the
error's reason (``SecretMissing``, ``KeyRingMissing``, ``BucketNotFound`` …) and a
``PolicyNotReady`` Event; no new run starts, but finished runs are still recorded and
compliance is still reported, so the alerts keep telling the truth.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from strongroom.api.common import BackupPhase, DeletionPolicy
from strongroom.api.policy import BackupPolicySpec
from strongroom.controller import backups as runs
from strongroom.controller import effects, verify
from strongroom.controller.keys import KeySource, load_key_source
from strongroom.controller.observe import backup_status, observe, trigger_of
from strongroom.controller.readiness import (
    check_bucket,
    check_references,
    ensure_job_service_account,
    parse_spec,
)
from strongroom.controller.runtime import CachedLook, PolicyMemory, Runtime
from strongroom.errors import ConfigError, StrongroomError
from strongroom.kube.base import BACKUPS, JOBS
from strongroom.manifests import events, status
from strongroom.manifests.labels import policy_selector
from strongroom.planner import plan as make_plan
from strongroom.planner.model import CreateBackup, Observed, Plan, VerifyBackup
from strongroom.planner.rotation import DESTROY_ANNOTATION, ROTATE_ANNOTATION
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one reconcile did, for the handler's log line and for tests."""

    ready: bool
    reason: str
    plan: Plan | None
    started: tuple[str, ...] = ()
    skipped: bool = False


def seen_digest(backups: Iterable[tuple[str, str]], jobs: Iterable[tuple[str, str]]) -> str:
    """Return a digest of a policy's Backups and Jobs as ``(name, resourceVersion)`` pairs.

    The indexes and a full look's lists digest alike, so an unchanged world compares equal.
    """
    parts = ["B", *sorted(f"{n}@{v}" for n, v in backups)]
    parts += ["J", *sorted(f"{n}@{v}" for n, v in jobs)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _pairs(bodies: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [
        (str(b["metadata"]["name"]), str(b["metadata"].get("resourceVersion", ""))) for b in bodies
    ]


def job_state(job: Mapping[str, Any]) -> str:
    """Return ``Complete``/``Failed`` once the Job ended, else "" (what a look acts on).

    A Job's status changes often while it runs (pods created, ready, active counts); only its
    end needs a look, so the indexes and the full look digest Jobs by this, not by version.
    """
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in {"Complete", "Failed"}:
            return str(condition["type"])
    return ""


def _job_pairs(jobs: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [(str(j["metadata"]["name"]), job_state(j)) for j in jobs]


def _fingerprint(body: Mapping[str, Any], seen: str) -> str:
    """Return what, when changed, needs a full look before ``next_wake``: spec and children.

    Key requests (``strongroom keys rotate/destroy``) are annotations, which do not bump the
    generation, so they are part of it too.
    """
    asked = body["metadata"].get("annotations") or {}
    keys = (asked.get(ROTATE_ANNOTATION, ""), asked.get(DESTROY_ANNOTATION, ""))
    return f"{body['metadata'].get('generation')}:{seen}:{keys}"


def _any_wrapped(backups: Sequence[Mapping[str, Any]]) -> bool:
    """Return whether any Backup got a data key wrapped (a key ring is then in use)."""
    return any(backup_status(b).key_id or backup_status(b).phase for b in backups)


def _in_flight(backups: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        b
        for b in backups
        if backup_status(b).phase in {None, BackupPhase.PENDING, BackupPhase.RUNNING}
    ]


def _last_run(backups: Sequence[Mapping[str, Any]]) -> status.ConditionValue | None:
    finished = [
        (s.completion_time, b["metadata"]["name"], s)
        for b in backups
        for s in [backup_status(b)]
        if s.phase in {BackupPhase.SUCCEEDED, BackupPhase.FAILED} and s.completion_time
    ]
    if not finished:
        return None
    _, name, newest = max(finished, key=lambda item: (item[0], item[1]))
    assert newest.phase is not None  # noqa: S101 - filtered above
    reason = (
        "Succeeded"
        if newest.phase is BackupPhase.SUCCEEDED
        else (newest.failure_reason or "Failed")
    )
    return status.last_run_condition(name, newest.phase, reason, newest.message or "")


async def reconcile(
    rt: Runtime, body: Mapping[str, Any], *, force: bool = False, seen: str | None = None
) -> Outcome:
    """Look at one policy and act; see the module docstring for the depths of look.

    ``seen`` is the indexes' digest of the policy's Backups and Jobs (:func:`seen_digest`);
    without it (no indexes, e.g. a test) both are listed to compute it.
    """
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    memory = rt.remember(namespace, name)
    async with memory.lock:
        if seen is None:
            selector = policy_selector(name)
            seen = seen_digest(
                _pairs(await rt.kube.list(BACKUPS, namespace, selector=selector)),
                _job_pairs(await rt.kube.list(JOBS, namespace, selector=selector)),
            )
        unchanged = (
            not force and memory.ready is True and memory.fingerprint == _fingerprint(body, seen)
        )
        resync = rt.monotonic() >= memory.resync_at
        woken = memory.next_wake is None or rt.clock() >= memory.next_wake
        if unchanged and not resync and not woken:
            return Outcome(ready=True, reason="Idle", plan=None, skipped=True)
        if unchanged and woken:
            # Also when the resync is due: a due slot's Backup must not queue behind it.
            planned = await _planned_look(rt, body, memory, full_follows=resync)
            if planned is not None:
                return planned
        _log.debug(
            "policy %s/%s: full look (%s)", namespace, name,
            "forced" if force else "changed" if not unchanged else "resync" if resync else "plan",
        )  # fmt: skip
        async with rt.looks:
            return await _reconcile(rt, body, memory)


def _plan_at_wake(
    rt: Runtime, spec: BackupPolicySpec, body: Mapping[str, Any], memory: PolicyMemory
) -> Plan | None:
    """Return the plan for this wake from what the last full look observed (same generation).

    The plan for ``next_wake`` was made when the wake was set, away from the slot: at a slot a
    fleet's planned looks then cost no planning (the planner walks the schedule around DST,
    milliseconds per policy), so every due Backup is asked for within the first moments.
    """
    cached = memory.observed
    if cached is None or cached.generation != body["metadata"].get("generation"):
        return None
    now = rt.clock()
    if (
        cached.upcoming is not None
        and cached.wake is not None
        and cached.wake == memory.next_wake
        and timedelta(0) <= now - cached.wake < timedelta(seconds=rt.config.timer_interval)
    ):
        return cached.upcoming
    return make_plan(spec, cached.observed, now)


def _upcoming(cached: CachedLook, spec: BackupPolicySpec, wake: datetime) -> CachedLook:
    """Return ``cached`` with the plan for ``wake`` made now."""
    return replace(cached, wake=wake, upcoming=make_plan(spec, cached.observed, wake))


def _verdict_keys(plan: Plan) -> tuple[tuple[str, str, str], ...]:
    return tuple((v.check.value, str(v.status), v.reason.value) for v in plan.verdicts)


async def _planned_look(
    rt: Runtime, body: Mapping[str, Any], memory: PolicyMemory, *, full_follows: bool
) -> Outcome | None:
    """Act on ``next_wake`` from the cached observation; ``None`` when a full look is needed.

    A due slot's Backup is created first (the slot→Backup delay is what users feel) and then a
    full look starts it. With nothing to do, only the status (lastCheckTime, nextScheduleTime)
    is written, and notes are posted once; compliance or readiness changing, or
    ``full_follows`` (the resync is due), needs a full look.
    """
    try:
        spec = parse_spec(body)  # not kept between looks: parsing is cheap, memory is not
    except ConfigError:
        return None
    plan = _plan_at_wake(rt, spec, body, memory)
    cached = memory.observed
    if plan is None or cached is None or not plan.status.ready:
        return None
    meta = body["metadata"]
    policy = runs.PolicyRef(meta["namespace"], meta["name"], spec, body)
    if plan.actions:
        # Due Backups first, whatever else the plan holds; the full look does the rest (its
        # plan meets the new Backup and does not ask for it again).
        for action in plan.of_type(CreateBackup):
            await effects.create_backup(rt, policy, action)
        return None
    if full_follows or _verdict_keys(plan) != cached.verdicts:
        return None
    await effects.apply_plan(rt, policy, plan, backups=(), store=None, memory=memory)
    readiness = status.Readiness(
        plan.status.ready, plan.status.ready_reason.value, plan.status.ready_message
    )
    await effects.write_policy_status(
        rt, body, plan=plan, readiness=readiness, last_run=None, key_ring=None
    )
    memory.next_wake = plan.next_wake
    memory.observed = _upcoming(cached, spec, plan.next_wake)
    return Outcome(ready=True, reason="Planned", plan=plan)


async def _reconcile(rt: Runtime, body: Mapping[str, Any], memory: PolicyMemory) -> Outcome:
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    now = rt.clock()
    listed = await rt.kube.list(BACKUPS, namespace, selector=policy_selector(name))
    memory.observed = None
    try:
        spec = parse_spec(body)
    except ConfigError as exc:
        await _not_ready(rt, body=body, memory=memory, plan=None, error=exc, listed=listed)
        raise
    policy = runs.PolicyRef(namespace, name, spec, body)
    # 1. Finish runs whose Jobs ended (recorded even when the policy is not ready).
    jobs = await _jobs(rt, namespace, name)
    if await _finish_runs(rt, policy, listed, jobs):
        listed = await rt.kube.list(BACKUPS, namespace, selector=policy_selector(name))
    checking = verify.in_flight(jobs)
    # 2. Readiness: references, key ring, bucket.
    keys = KeySource(None)
    store: ObjectStore | None = None
    try:
        user = await check_references(rt, namespace, spec)
        keys = await load_key_source(
            rt,
            namespace=namespace,
            policy=name,
            spec=spec,
            involved=policy.involved,
            has_backups=_any_wrapped(listed),
        )
        if keys.problem is not None:
            raise keys.problem
        store = await check_bucket(rt, namespace, spec, memory, policy=name)
    except StrongroomError as exc:
        plan = make_plan(
            spec,
            observe(policy=body, backups=listed, ring=keys.ring, verification_in_flight=checking),
            now,
        )
        await _not_ready(
            rt, body=body, memory=memory, plan=plan, error=exc, listed=listed, spec=spec, keys=keys
        )
        raise
    # 3. Plan and act.
    observed = observe(policy=body, backups=listed, ring=keys.ring, verification_in_flight=checking)
    plan = make_plan(spec, observed, now)
    started: list[str] = []
    if plan.status.ready:
        try:
            await ensure_job_service_account(rt, namespace)
            await effects.apply_plan(rt, policy, plan, backups=listed, store=store, memory=memory)
            await _start_verifications(
                rt, policy=policy, plan=plan, listed=listed, store=store, keys=keys, memory=memory
            )
            if plan.actions:
                listed = await rt.kube.list(BACKUPS, namespace, selector=policy_selector(name))
            started = await _start_runs(rt, policy, listed, keys, user)
        except StrongroomError as exc:
            # An outage is retried quietly; a refusal (e.g. RBAC forbids creating the Job)
            # would repeat on every tick, so it is reported where a person looks: Ready=False.
            if not exc.retryable:
                await _not_ready(
                    rt, body=body, memory=memory, plan=plan, error=exc, listed=listed,
                    spec=spec, keys=keys,
                )  # fmt: skip
            raise
        if started:
            listed = await rt.kube.list(BACKUPS, namespace, selector=policy_selector(name))
            jobs = await _jobs(rt, namespace, name)
            observed = observe(
                policy=body, backups=listed, ring=keys.ring, verification_in_flight=checking
            )
            plan = make_plan(spec, observed, now)
    readiness = status.Readiness(
        plan.status.ready, plan.status.ready_reason.value, plan.status.ready_message
    )
    await _report(
        rt, policy=policy, memory=memory, plan=plan, readiness=readiness, listed=listed, keys=keys
    )
    # The children as this look left them: once the indexes catch up they digest the same,
    # unless a run was started (its new Job) — then one more full look sees it.
    seen = seen_digest(_pairs(listed), _job_pairs(jobs.values()))
    _remember_look(
        rt, body, memory, seen=seen, spec=spec,
        observed=observed if readiness.ready else None, plan=plan,
    )  # fmt: skip
    return Outcome(
        ready=readiness.ready, reason=readiness.reason, plan=plan, started=tuple(started)
    )


async def _jobs(rt: Runtime, namespace: str, policy: str) -> dict[str, Mapping[str, Any]]:
    """Return the policy's Jobs by name, as the API server has them now."""
    listed = await rt.kube.list(JOBS, namespace, selector=policy_selector(policy))
    return {j["metadata"]["name"]: j for j in listed}


def _remember_look(
    rt: Runtime,
    body: Mapping[str, Any],
    memory: PolicyMemory,
    *,
    seen: str,
    spec: BackupPolicySpec,
    observed: Observed | None,
    plan: Plan,
) -> None:
    """Note what a full look saw, for the quiet and planned looks until the next one."""
    memory.fingerprint = _fingerprint(body, seen)
    memory.next_wake = plan.next_wake
    memory.resync_at = rt.monotonic() + rt.config.resync_interval * memory.spread
    if observed is not None:
        cached = CachedLook(
            generation=body["metadata"].get("generation"),
            observed=observed,
            verdicts=_verdict_keys(plan),
        )
        memory.observed = _upcoming(cached, spec, plan.next_wake)


async def _finish_runs(
    rt: Runtime,
    policy: runs.PolicyRef,
    listed: Sequence[Mapping[str, Any]],
    jobs: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Record every backup and verification run whose Job ended; return whether any did."""
    changed = False
    for backup in _in_flight(listed):
        if backup_status(backup).phase is not None:
            changed |= await runs.finish_if_done(rt, policy, backup, jobs) is not None
    by_name = {b["metadata"]["name"]: b for b in listed}
    return await verify.finish(rt, policy, by_name, jobs) or changed


async def _start_verifications(
    rt: Runtime,
    *,
    policy: runs.PolicyRef,
    plan: Plan,
    listed: Sequence[Mapping[str, Any]],
    store: ObjectStore | None,
    keys: KeySource,
    memory: PolicyMemory,
) -> None:
    """Start the verification the plan asks for (the planner allows one at a time)."""
    by_name = {b["metadata"]["name"]: b for b in listed}
    for action in plan.of_type(VerifyBackup):
        target = by_name.get(action.name)
        if target is not None and store is not None:
            await verify.start(
                rt, policy, target, level=action.level, store=store, keys=keys, memory=memory
            )


async def _start_runs(
    rt: Runtime,
    policy: runs.PolicyRef,
    listed: Sequence[Mapping[str, Any]],
    keys: KeySource,
    user: str,
) -> list[str]:
    """Start the oldest unstarted Backup, unless a run is already in progress (at most one)."""
    if any(backup_status(b).phase in {BackupPhase.PENDING, BackupPhase.RUNNING} for b in listed):
        return []
    waiting = sorted(
        (b for b in listed if backup_status(b).phase is None),
        key=lambda b: ((b.get("spec") or {}).get("scheduledTime", ""), trigger_of(b).value),
    )
    for backup in waiting:
        if await runs.start(rt, policy, backup, keys, user):
            return [backup["metadata"]["name"]]
    return []


async def _report(
    rt: Runtime,
    *,
    policy: runs.PolicyRef,
    memory: PolicyMemory,
    plan: Plan | None,
    readiness: status.Readiness,
    listed: Sequence[Mapping[str, Any]],
    keys: KeySource,
) -> None:
    ring = keys.ring
    summary = (
        status.KeyRingSummary(ring.key_id, ring.primary().version, ring.primary().created)
        if ring is not None
        else status.KeyRingSummary(keys.kms_key_id, None, None)
        if keys.kms_key_id
        else None
    )
    await effects.write_policy_status(
        rt,
        policy.body,
        plan=plan,
        readiness=readiness,
        last_run=_last_run(listed),
        key_ring=summary,
    )
    rt.metrics.observe_policy(
        policy.namespace, policy.name, effects.metrics_snapshot(policy, plan, listed, summary)
    )
    if (memory.ready, memory.ready_reason) != (readiness.ready, readiness.reason):
        memory.ready, memory.ready_reason = readiness.ready, readiness.reason
        await runs.post(
            rt,
            policy.body,
            events.policy_ready(
                ready=readiness.ready, reason=readiness.reason, message=readiness.message
            ),
        )


async def _not_ready(
    rt: Runtime,
    *,
    body: Mapping[str, Any],
    memory: PolicyMemory,
    plan: Plan | None,
    error: StrongroomError,
    listed: Sequence[Mapping[str, Any]],
    spec: BackupPolicySpec | None = None,
    keys: KeySource | None = None,
) -> None:
    """Report ``error`` as Ready=False (status, Event once, metrics) before it is raised."""
    readiness = status.Readiness(ready=False, reason=error.reason, message=str(error))
    memory.next_wake = None
    if spec is None:
        await effects.write_policy_status(
            rt,
            body,
            plan=None,
            readiness=readiness,
            last_run=_last_run(listed),
            key_ring=None,
        )
        if (memory.ready, memory.ready_reason) != (False, error.reason):
            memory.ready, memory.ready_reason = False, error.reason
            text = events.policy_ready(ready=False, reason=error.reason, message=str(error))
            await runs.post(rt, body, text)
        return
    policy = runs.PolicyRef(body["metadata"]["namespace"], body["metadata"]["name"], spec, body)
    await _report(
        rt,
        policy=policy,
        memory=memory,
        plan=plan,
        readiness=readiness,
        listed=listed,
        keys=keys or KeySource(None),
    )


def wake_at(rt: Runtime, namespace: str, name: str) -> datetime | None:
    """Return when the policy next needs a look (for logs and tests)."""
    memory = rt.memory.get((namespace, name))
    return memory.next_wake if memory else None


#: Shortest sleep of a policy's loop: a wake a hair early must not spin.
_MIN_SLEEP = 0.05


def sleep_seconds(rt: Runtime, namespace: str, name: str) -> float:
    """Return how long the policy's loop sleeps: until next_wake, the resync or one poll.

    Waking at ``next_wake`` itself (not on a fixed tick) keeps slots on time and spreads a
    fleet by what each policy is waiting for; ``timer_interval`` bounds how late a change
    seen by the indexes is noticed.
    """
    poll = rt.config.timer_interval
    memory = rt.memory.get((namespace, name))
    if memory is None or memory.next_wake is None:
        return poll
    until_wake = (memory.next_wake - rt.clock()).total_seconds()
    until_resync = memory.resync_at - rt.monotonic()
    return max(_MIN_SLEEP, min(poll, until_wake, until_resync))


async def delete_policy(rt: Runtime, body: Mapping[str, Any]) -> int:
    """Honour ``deletionPolicy`` for a deleted policy; return how many Backups were deleted.

    Retain (default) keeps every Backup object and stored object and says so in an Event;
    Delete removes each Backup the retention way (data, manifest, Backup object). Either way
    the policy's metrics series and memory are dropped.
    """
    meta = body["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    deleted = 0
    try:
        spec = parse_spec(body)
    except ConfigError:
        spec = None
    if spec is not None:
        policy = runs.PolicyRef(namespace, name, spec, body)
        listed = await rt.kube.list(BACKUPS, namespace, selector=policy_selector(name))
        if spec.deletion_policy is DeletionPolicy.DELETE:
            store = await rt.stores(namespace, spec)
            for backup in listed:
                await effects.delete_backup(rt, policy, backup, store, "policy deleted")
                deleted += 1
        else:
            where = f"s3://{spec.storage.bucket}/{spec.storage.prefix.strip('/')}"
            await runs.post(rt, body, events.backups_retained(len(listed), where))
    rt.metrics.forget_policy(namespace, name)
    rt.forget(namespace, name)
    return deleted
