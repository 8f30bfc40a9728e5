"""BackupPolicy handlers: create/update/resume, the per-policy timer, and delete.

Every handler is a thin wrapper around :func:`strongroom.controller.reconcile.reconcile`
(gafaelfawr's handler shape): parse, gather, plan, act, report. The timer fires every
``timer_interval`` seconds, but a tick with nothing due, nothing running and nothing changed
returns after one list call. Errors carry their retry semantics: a retryable
:class:`~strongroom.errors.StrongroomError` becomes ``kopf.TemporaryError``; a spec or reference
problem was already reported as ``Ready=False`` with its reason, so the timer does not turn it
into a retry storm (the create/update handlers raise ``kopf.PermanentError`` once).
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from strongroom import config as configuration
from strongroom.api.common import GROUP, VERSION
from strongroom.controller.reconcile import delete_policy, reconcile
from strongroom.controller.runtime import Runtime
from strongroom.errors import StrongroomError

_log = logging.getLogger(__name__)
_CONFIG = configuration.current()
PLURAL = "backuppolicies"


async def _run(memo: kopf.Memo, body: kopf.Body, *, force: bool, from_timer: bool) -> None:
    rt: Runtime = memo.runtime
    try:
        outcome = await reconcile(rt, dict(body), force=force)
    except StrongroomError as exc:
        rt.metrics.record_reconcile_error("BackupPolicy")
        if exc.retryable:
            raise kopf.TemporaryError(str(exc), delay=max(_CONFIG.timer_interval, 5.0)) from None
        if from_timer:
            _log.warning("policy %s not ready: %s", body["metadata"]["name"], exc)
            return
        raise kopf.PermanentError(str(exc)) from None
    except Exception:
        rt.metrics.record_reconcile_error("BackupPolicy")
        raise
    if not outcome.skipped:
        _log.debug("policy %s reconciled: %s", body["metadata"]["name"], outcome.reason)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def policy_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Validate what the schema cannot and act at once on a new or changed spec."""
    await _run(memo, body, force=True, from_timer=False)


@kopf.timer(
    GROUP,
    VERSION,
    PLURAL,
    interval=_CONFIG.timer_interval,
    initial_delay=_CONFIG.timer_initial_delay,
    sharp=False,
)
async def policy_tick(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Ask the planner what is due now (idle when nothing is)."""
    await _run(memo, body, force=False, from_timer=True)


@kopf.on.delete(GROUP, VERSION, PLURAL)
async def policy_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Honour deletionPolicy: Retain keeps every Backup and object; Delete removes them first."""
    rt: Runtime = memo.runtime
    try:
        await delete_policy(rt, dict(body))
    except StrongroomError as exc:
        rt.metrics.record_reconcile_error("BackupPolicy")
        raise kopf.TemporaryError(str(exc), delay=30) from None
