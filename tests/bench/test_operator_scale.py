"""Scale: a thousand BackupPolicies whose slots fire together, one operator, a local control plane.

The operator is the chart's: default timer interval (10 s), bucket check every 300 s, JSON logs.
The fleet's first slot comes FIRST_SLOT_AFTER after it is created, then one every minute, so the
first slot finds a settled operator with every policy due in the same second.
The control plane runs without the process kubelet, so backup Jobs stay pending: each policy
gets exactly its first Backup and then waits (at most one backup per policy is in flight), and
the machine is not asked to run a thousand dumps. What is measured is the operator alone: how
late each slot's Backup is created, its memory, its CPU between slots, and how long a fleet
takes to become Ready. Figures go to the scale section of ``docs/benchmarks.md``; targets are
reported there (met or not), never asserted as timings here.

``STRONGROOM_BENCH_POLICIES`` (default 1000) sets the fleet size, ``STRONGROOM_BENCH_RUNS``
(default 3) how many fresh fleets are measured (about 7 minutes each), ``STRONGROOM_BENCH_OUTPUT``
the report file.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench.machine import Machine, load_average
from tests.bench.scale_report import (
    CHART_SETTINGS,
    FIRST_SLOT_AFTER,
    FLEET_RPO,
    MIB,
    RSS_GUARD_MIB,
    Figures,
    fleet_cron,
    log_summary,
    render,
)
from tests.bench.scale_support import (
    Arrival,
    BackupWatch,
    apply_fleet,
    fleet_documents,
    namespaces_for,
    ready_count,
    sample,
    store_construction_cost,
    write_section,
)
from tests.bench.settings import DEFAULT_OUTPUT, BenchSettings
from tests.e2e.steps import given_strongroom_crds
from tests.support.cluster import LocalCluster, find_binaries
from tests.support.operator import OperatorProcess
from tests.support.s3 import S3Server

READY_TIMEOUT_S = 1200
BACKUPS_TIMEOUT_S = 600


class RssGuard:
    """Trips when the operator's RSS passes ``limit`` bytes: a runaway operator must not take
    the shared machine's memory; the figures up to that moment are still reported."""

    def __init__(self, pid: int, limit: int) -> None:
        self.pid = pid
        self.limit = limit
        self.tripped_after: float | None = None
        self._t0 = time.monotonic()

    def __call__(self) -> bool:
        if self.tripped_after is None and sample(self.pid).rss > self.limit:
            self.tripped_after = time.monotonic() - self._t0
        return self.tripped_after is not None


def _wait(check: Callable[[], bool], timeout: float, *, stop: RssGuard, every: float = 1.0) -> bool:
    """Poll ``check`` until true (True), or ``timeout`` passes or ``stop`` trips (False).

    A wait that fails is reported in the section, then asserted, so a saturated operator still
    leaves its figures.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop():
        if check():
            return True
        time.sleep(every)
    return False


def _sleep_until(when: datetime) -> None:
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))


@dataclass(frozen=True)
class Run:
    """One measured fleet: its figures and what the test asserts about it afterwards."""

    figures: Figures
    all_ready: bool
    arrivals: list[Arrival]
    watch_error: BaseException | None


def test_a_fleet_of_policies_is_scheduled_on_time_in_bounded_memory(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    """N policies become Ready, each gets its slot's Backup, the operator stays small.

    The fleet is measured ``STRONGROOM_BENCH_RUNS`` times (default 3), each on a fresh control
    plane and operator; the section reports every run and the medians.
    """
    count = int(os.environ.get("STRONGROOM_BENCH_POLICIES", "1000"))
    output = Path(os.environ.get("STRONGROOM_BENCH_OUTPUT", str(DEFAULT_OUTPUT)))
    repeats = BenchSettings.from_env().runs
    runs = [_measure_fleet(count, s3_server, bucket, tmp_path / f"run-{n}") for n in range(repeats)]
    cost = store_construction_cost(endpoint=s3_server.endpoint_url, bucket=bucket)
    write_section(output, render([run.figures for run in runs], Machine.describe(), cost))
    for n, run in enumerate(runs, start=1):
        figures = run.figures
        assert run.all_ready, (
            f"run {n}: only {figures.ready_reached} of {count} policies Ready "
            f"after {figures.ready_s:.0f} s"
        )
        per_policy = Counter((a.namespace, a.policy) for a in run.arrivals)
        assert len(per_policy) == count, (
            f"run {n}: {count - len(per_policy)} policies got no Backup"
        )
        assert max(per_policy.values()) == 1, f"run {n}: a policy got two Backups in flight"
        assert run.watch_error is None or not run.arrivals, run.watch_error


def _measure_fleet(count: int, s3_server: S3Server, bucket: str, workdir: Path) -> Run:
    """Start a control plane and the operator, apply the fleet, measure, tear everything down."""
    namespaces = namespaces_for(count)
    names = {ns: [f"db-{i:03d}" for i in range(count) if i % len(namespaces) == n]
             for n, ns in enumerate(namespaces)}  # fmt: skip
    load_before = load_average()
    cluster = LocalCluster(workdir / "cluster", find_binaries(), kubelet=False)
    operator = OperatorProcess(cluster, workdir / "operator", settings=CHART_SETTINGS)
    watch: BackupWatch | None = None
    try:
        cluster.start()
        given_strongroom_crds(cluster)
        api = cluster.api
        watch = BackupWatch(api)
        watch.start()
        operator.start()
        assert operator.proc is not None
        pid = operator.proc.pid
        before = sample(pid)
        # Create just after a minute boundary; the first slot comes FIRST_SLOT_AFTER later,
        # then one every minute, so the fleet's slots all fire at the same second.
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        _sleep_until(minute + timedelta(minutes=1, seconds=2))
        started = datetime.now(UTC)
        first_slot = started.replace(second=0, microsecond=0) + FIRST_SLOT_AFTER
        t0 = time.monotonic()
        guard = RssGuard(pid, RSS_GUARD_MIB * MIB)
        for ns in namespaces:
            apply_fleet(
                cluster,
                fleet_documents(
                    namespace=ns, names=names[ns], bucket=bucket, endpoint=s3_server.endpoint_url,
                    cron=fleet_cron(first_slot), rpo=FLEET_RPO,
                ),
            )  # fmt: skip
        apply_s = time.monotonic() - t0
        all_ready = _wait(lambda: ready_count(api) >= count, READY_TIMEOUT_S, stop=guard, every=2)
        ready_s = time.monotonic() - t0
        ready_reached = ready_count(api)
        ready_at = datetime.now(UTC)
        ramp_cpu = sample(pid).cpu_seconds - before.cpu_seconds
        _wait(lambda: len(watch.arrivals) >= count, BACKUPS_TIMEOUT_S, stop=guard)
        idle_start = idle_end = sample(pid)
        if not guard():
            # Idle: a window between two slots once every policy has its in-flight Backup,
            # a minute later than the first such slot so the runs' start is over.
            boundary = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=2)
            _sleep_until(boundary + timedelta(seconds=10))
            idle_start = sample(pid)
            _sleep_until(boundary + timedelta(seconds=58))
            idle_end = sample(pid)
        arrivals = list(watch.arrivals.values())
        levels, top = log_summary(operator.logs())
        figures = Figures(
            policies=count,
            namespaces=len(namespaces),
            started=started,
            first_slot=first_slot,
            apply_s=apply_s,
            ready_s=ready_s,
            ready_reached=ready_reached,
            guard_tripped_after=guard.tripped_after,
            ramp_cpu_s=ramp_cpu,
            on_time=[a for a in arrivals if a.scheduled >= ready_at],
            ramp=[a for a in arrivals if a.scheduled < ready_at],
            peak=idle_end,
            idle_start=idle_start,
            idle_end=idle_end,
            log_levels=levels,
            log_top=top,
            load_before=load_before,
            load_after=load_average(),
        )
    finally:
        if watch is not None:
            watch.stop()
        operator.stop()
        cluster.stop()
    return Run(figures, all_ready, arrivals, watch.error)
