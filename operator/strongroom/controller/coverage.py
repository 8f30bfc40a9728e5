"""Coverage: a periodic scan for databases no BackupPolicy protects, as a metric.

Why a loop of its own rather than a watch: "we forgot one" is found by comparing everything
that looks like a database with everything a policy names, which needs whole lists, and an
answer five minutes late is early enough for an alert. So every ``coverage_interval`` seconds
the operator lists BackupPolicies, Services and StatefulSets (across the cluster, or in each
watched namespace with per-namespace RBAC), decides with the pure
:func:`~strongroom.planner.coverage.unprotected_databases` — the very function
``strongroom report`` uses — and exports ``strongroom_unprotected_databases{namespace}``.

A list that is refused (the chart's RBAC rule was removed, say) is logged with the fix and
leaves the gauge as it was: an unknown coverage is never reported as "nothing unprotected".
The loop is started by a Kopf startup handler (after ``startup.configure`` has built the
runtime) and cancelled by a cleanup handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

import kopf

from strongroom.controller.runtime import Runtime
from strongroom.errors import KubeError
from strongroom.kube.base import BACKUP_POLICIES, Body, Kind
from strongroom.kube.cluster_kinds import SERVICES, STATEFULSETS, everywhere
from strongroom.planner.coverage import Unprotected, coverage_counts, unprotected_databases

_log = logging.getLogger(__name__)
#: Seconds before Kopf retries the start if the runtime is not built yet.
_STARTING_POLL: Final = 0.5


async def _list(rt: Runtime, kind: Kind) -> list[Body]:
    """List ``kind`` wherever the operator serves: everywhere, or in each watched namespace."""
    if rt.config.cluster_wide:
        return await rt.kube.list(everywhere(kind), "")
    found: list[Body] = []
    for namespace in rt.config.namespaces:
        found += await rt.kube.list(kind, namespace)
    return found


async def scan(rt: Runtime) -> list[Unprotected] | None:
    """List, decide and export once; return the findings, ``None`` when a list failed."""
    try:
        policies = await _list(rt, BACKUP_POLICIES)
        services = await _list(rt, SERVICES)
        statefulsets = await _list(rt, STATEFULSETS)
    except KubeError as exc:
        _log.error(
            "coverage scan: cannot list policies, Services or StatefulSets (%s); grant the "
            "operator list on services and statefulsets.apps (chart value "
            "coverage.intervalSeconds > 0 does) or turn the scan off with 0",
            exc,
        )
        return None
    found = unprotected_databases(services, statefulsets, policies)
    rt.metrics.observe_unprotected(coverage_counts(found))
    for item in found:
        _log.info(
            "unprotected database: %s %s/%s (%s)", item.kind, item.namespace, item.name, item.reason
        )
    return found


async def run_forever(rt: Runtime) -> None:
    """Scan every ``coverage_interval`` seconds, until cancelled."""
    interval = rt.config.coverage_interval
    while True:
        try:
            await scan(rt)
        except Exception:  # noqa: BLE001 - a bug in one scan must not end coverage for good
            _log.exception("coverage scan failed; trying again in %.0f s", interval)
        await asyncio.sleep(interval)


@kopf.on.startup()
async def start_coverage(memo: kopf.Memo, **_: Any) -> None:
    """Start the coverage loop (unless ``coverage_interval`` is 0)."""
    from strongroom import config as configuration  # noqa: PLC0415 - read once, as startup does

    if configuration.current().coverage_interval <= 0:
        _log.info("coverage scan is off (coverage_interval 0)")
        return
    runtime: Runtime | None = getattr(memo, "runtime", None)
    if runtime is None:  # startup.configure runs first (registered first); never guess
        raise kopf.TemporaryError("the operator runtime is not built yet", delay=_STARTING_POLL)
    memo.coverage_task = asyncio.create_task(run_forever(runtime), name="strongroom-coverage")


@kopf.on.cleanup()
async def stop_coverage(memo: kopf.Memo, **_: Any) -> None:
    """Cancel the coverage loop."""
    task: asyncio.Task[None] | None = getattr(memo, "coverage_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
