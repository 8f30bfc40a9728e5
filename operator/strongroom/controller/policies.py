"""BackupPolicy handlers: create/update/resume, the per-policy loop, and delete.

Every handler is a thin wrapper around :func:`strongroom.controller.reconcile.reconcile`
(gafaelfawr's handler shape): parse, gather, plan, act, report. Each policy has a Kopf daemon
(a loop) that sleeps until the planner's ``next_wake`` — exactly the slot, so a fleet created
together does not tick in lockstep and a slot never waits for a timer — or at most
``timer_interval`` seconds, to notice through the shared indexes (:mod:`.index`) that a Job
ended or a Backup changed; a look with nothing changed makes no API call. Errors carry their
retry semantics: a retryable :class:`~strongroom.errors.StrongroomError` is retried after
``max(timer_interval, 5)`` seconds; a spec or reference problem was already reported as
``Ready=False`` with its reason, so the loop does not turn it into a retry storm (the
create/update handlers raise ``kopf.PermanentError`` once).
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from strongroom import config as configuration
from strongroom.api.common import GROUP, VERSION
from strongroom.controller import index
from strongroom.controller.reconcile import delete_policy, reconcile, sleep_seconds
from strongroom.controller.runtime import Runtime
from strongroom.errors import StrongroomError

_log = logging.getLogger(__name__)
_CONFIG = configuration.current()
PLURAL = "backuppolicies"


async def _run(
    memo: kopf.Memo, body: kopf.Body, *, force: bool, from_loop: bool, seen: str | None = None
) -> None:
    rt: Runtime = memo.runtime
    try:
        outcome = await reconcile(rt, dict(body), force=force, seen=seen)
    except StrongroomError as exc:
        rt.metrics.record_reconcile_error("BackupPolicy")
        if exc.retryable:
            raise kopf.TemporaryError(str(exc), delay=_retry_delay()) from None
        if from_loop:
            _log.warning("policy %s not ready: %s", body["metadata"]["name"], exc)
            return
        raise kopf.PermanentError(str(exc)) from None
    except Exception:
        rt.metrics.record_reconcile_error("BackupPolicy")
        raise
    if not outcome.skipped:
        _log.debug("policy %s reconciled: %s", body["metadata"]["name"], outcome.reason)


def _retry_delay() -> float:
    return max(_CONFIG.timer_interval, 5.0)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def policy_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Validate what the schema cannot and act at once on a new or changed spec."""
    await _run(memo, body, force=True, from_loop=False)


@kopf.daemon(
    GROUP,
    VERSION,
    PLURAL,
    initial_delay=_CONFIG.timer_initial_delay,
    cancellation_timeout=30.0,
)
async def policy_loop(
    stopped: kopf.DaemonStopped,
    body: kopf.Body,
    memo: kopf.Memo,
    **kwargs: Any,
) -> None:
    """Look at the policy whenever the planner or a changed child says so, until deleted.

    Kopf passes the indexes of :mod:`.index` by their handlers' names.
    """
    backups_by_policy: kopf.Index[index.PolicyKey, index.Entry] = kwargs["backups_by_policy"]
    jobs_by_policy: kopf.Index[index.PolicyKey, index.Entry] = kwargs["jobs_by_policy"]
    rt: Runtime = memo.runtime
    namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
    while not stopped:
        seen = index.seen(backups_by_policy, jobs_by_policy, namespace, name)
        delay: float | None = None
        try:
            await _run(memo, body, force=False, from_loop=True, seen=seen)
        except kopf.TemporaryError as exc:
            _log.warning("policy %s: %s; retrying in %.0f s", name, exc, exc.delay)
            delay = exc.delay
        except Exception:  # noqa: BLE001 - the loop outlives a bug in one look; logged, counted
            _log.exception("policy %s: look failed; retrying", name)
            delay = _retry_delay()
        await stopped.wait(delay if delay is not None else sleep_seconds(rt, namespace, name))


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def policy_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Honour deletionPolicy: Retain keeps every Backup and object; Delete removes them first."""
    rt: Runtime = memo.runtime
    try:
        await delete_policy(rt, dict(body))
    except StrongroomError as exc:
        rt.metrics.record_reconcile_error("BackupPolicy")
        raise kopf.TemporaryError(str(exc), delay=30) from None
