"""The scale section of docs/benchmarks.md: figures, targets, and why a target is missed.

Rendering lives apart from the benchmark so the run reads as a story and the section's wording
is reviewed in one place. The chart's settings are named here because the section states them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.bench.machine import Machine
from tests.bench.scale_support import Arrival, ProcSample, StoreCost, percentile

#: What the chart sets or leaves at the documented default (charts/strongroom, config.py).
CHART_SETTINGS = {
    "STRONGROOM_TIMER_INTERVAL": "10",
    "STRONGROOM_TIMER_INITIAL_DELAY": "1",
    "STRONGROOM_BUCKET_CHECK_INTERVAL": "300",
    "STRONGROOM_RESYNC_INTERVAL": "300",
    "STRONGROOM_LOG_FORMAT": "json",
}
MIB = 1024 * 1024
PEAK_TARGET_MIB = 300
P99_TARGET_S = 10.0
#: The fleet's first slot comes this long after the first apply: time to become Ready, so the
#: first slot measures a settled operator (1,000 policies were Ready in 60-110 s so far).
FIRST_SLOT_AFTER = timedelta(minutes=3)
#: Per-minute slots from the first one on, for this many minutes (then the hour's gap).
SLOT_MINUTES = 10
#: Longer than the 50-minute gap the schedule has each hour, so the spec is valid.
FLEET_RPO = "2h"
#: The figures before the per-policy loop and the indexes (2026-11-23, a 10 s timer per policy
#: and a full look per tick while a run was in flight), for the before/after table.
BEFORE = {
    "peak": "386.5 MiB",
    "delay": "52.7 s (8 Backups; the other 992 slots came while the fleet became Ready: 103.8 s)",
    "idle": "60.4 % of one core",
    "ready": "107.5 s",
}
#: Stop measuring when the operator passes this RSS (the machine is shared).
RSS_GUARD_MIB = int(os.environ.get("STRONGROOM_BENCH_RSS_GUARD_MIB", "8192"))


@dataclass(frozen=True)
class Figures:
    """Everything the scale section reports."""

    policies: int
    namespaces: int
    started: datetime
    first_slot: datetime
    apply_s: float
    ready_s: float
    ready_reached: int
    guard_tripped_after: float | None
    ramp_cpu_s: float
    on_time: list[Arrival]
    ramp: list[Arrival]
    peak: ProcSample
    idle_start: ProcSample
    idle_end: ProcSample
    log_levels: Counter[str]
    log_top: list[tuple[str, int]]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def log_summary(text: str) -> tuple[Counter[str], list[tuple[str, int]]]:
    levels: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            levels["unparsed"] += 1
            continue
        level = str(record.get("severity") or record.get("levelname") or "?").lower()
        levels[level] += 1
        if level in {"warning", "error", "critical"}:
            messages[str(record.get("message", ""))[:90]] += 1
    return levels, messages.most_common(3)


def fleet_cron(first: datetime) -> str:
    """A cron that fires every minute for SLOT_MINUTES minutes from ``first`` (each hour)."""
    minutes = sorted({(first.minute + i) % 60 for i in range(SLOT_MINUTES)})
    return f"{','.join(str(m) for m in minutes)} * * * *"


def _delay_rows(label: str, arrivals: list[Arrival]) -> list[str]:
    if not arrivals:
        return [f"| {label} | 0 | — | — | — | — | — |"]
    created = [(a.created - a.scheduled).total_seconds() for a in arrivals]
    seen = [(a.seen - a.scheduled).total_seconds() for a in arrivals]
    p99 = percentile(seen, 0.99)
    met = "yes" if p99 <= P99_TARGET_S else "**NO — missed**"
    slots = sorted({a.scheduled.strftime("%H:%M") for a in arrivals})
    return [
        (
            f"| {label} (slots {', '.join(slots)} UTC) | {len(arrivals)} "
            f"| {percentile(seen, 0.5):.2f} s | {p99:.2f} s | {max(seen):.2f} s "
            f"| {percentile(created, 0.5):.0f} / {percentile(created, 0.99):.0f} / "
            f"{max(created):.0f} s | {met} |"
        )
    ]


def render(f: Figures, machine: Machine, cost: StoreCost) -> str:
    """The scale section of docs/benchmarks.md."""
    peak_mib = f.peak.hwm / MIB
    stopped = f.guard_tripped_after is not None
    on_time_p99 = percentile([(a.seen - a.scheduled).total_seconds() for a in f.on_time], 0.99)
    missed = (
        stopped
        or peak_mib > PEAK_TARGET_MIB
        or not f.on_time
        or not on_time_p99 <= P99_TARGET_S  # NaN (no Backups) counts as missed
    )
    window = f.idle_end.at - f.idle_start.at
    idle_cpu = (
        f"{100 * (f.idle_end.cpu_seconds - f.idle_start.cpu_seconds) / window:.1f} % of one core"
        if window > 0
        else "not measured (stopped early)"
    )
    ramp_p99 = (
        percentile([(a.seen - a.scheduled).total_seconds() for a in f.ramp], 0.99)
        if f.ramp
        else 0.0
    )
    lines = [
        "## Operator scale",
        "",
        "<!-- Generated by `pytest tests/bench/test_operator_scale.py`; edit the benchmark. -->",
        "",
        f"Measured on {f.started:%Y-%m-%d %H:%M} UTC with {f.policies} BackupPolicies "
        f"({f.namespaces} namespaces) whose slots all fire in the same second: every minute "
        f"for {SLOT_MINUTES} minutes from {FIRST_SLOT_AFTER.seconds // 60} minutes after the "
        f"first apply (`{fleet_cron(f.first_slot)}`, RPO {FLEET_RPO}), on "
        f"{machine.cpu}, {machine.cores} cores, {machine.memory_gib:.1f} GiB, Linux "
        f"{machine.kernel}. Load average (1/5/15 min) before: "
        + " / ".join(f"{x:.2f}" for x in f.load_before)
        + "; after: "
        + " / ".join(f"{x:.2f}" for x in f.load_after)
        + ". The machine is shared: other work was running, so CPU figures are inflated by it.",
        "",
        (
            "Method: the local control plane (etcd, kube-apiserver, kube-controller-manager) "
            "without the process kubelet, so backup Jobs stay pending; each policy therefore gets"
            " exactly its first Backup and waits (at most one backup per policy is in flight), "
            "and no dump runs. The fleet becomes Ready before its first slot, so that slot "
            "measures a settled operator with a thousand Backups due at once; every later slot "
            "waits for the in-flight run (the planner notes it once a minute), which is what the "
            "CPU-between-slots window measures. One moto S3 server with one bucket. Each "
            "namespace holds the db-login and s3-login Secrets and up to 100 policies, created by "
            "one server-side "
            "`kubectl apply` of a multi-document YAML; the database host does not exist (the Job "
            "never runs). The operator is `strongroom operator --all-namespaces` with the chart's"
            f" defaults: timer interval {CHART_SETTINGS['STRONGROOM_TIMER_INTERVAL']} s, full "
            "resync every 300 s, at most 16 full looks at once, bucket "
            f"check every {CHART_SETTINGS['STRONGROOM_BUCKET_CHECK_INTERVAL']} s, JSON logs at "
            "INFO."
        ),
        "",
        (
            "Delay is from the slot (`spec.scheduledTime`) to the Backup's arrival at a watch on "
            "the API server (local clock, millisecond resolution, the watch adds a few ms); "
            "`creationTimestamp` keeps only seconds and is shown alongside. Memory is VmHWM "
            "(peak) and VmRSS of the operator process from /proc; CPU is utime+stime from "
            "/proc/<pid>/stat."
        ),
        "",
        (
            "| Slot delay | Backups | p50 | p99 | max | creationTimestamp p50 / p99 / max | "
            f"Target p99 ≤ {P99_TARGET_S:.0f} s |"
        ),
        "|---|---:|---:|---:|---:|---:|---|",
        *_delay_rows("slots after every policy was Ready", f.on_time),
        *_delay_rows(
            "slots before the benchmark stopped"
            if stopped
            else "slots while the fleet was still becoming Ready",
            f.ramp,
        ),
        "",
        "| Measurement | Measured | Target | Met |",
        "|---|---:|---|---|",
        f"| operator peak RSS (VmHWM) | {peak_mib:.1f} MiB | ≤ {PEAK_TARGET_MIB} MiB | "
        + ("yes" if peak_mib <= PEAK_TARGET_MIB else "**NO — missed**")
        + " |",
        (
            f"| operator RSS when stopped early | {f.idle_end.rss / MIB:.1f} MiB | — | — |"
            if stopped
            else f"| operator RSS after settling | {f.idle_end.rss / MIB:.1f} MiB | — | — |"
        ),
        (
            f"| operator CPU between slots ({window:.0f} s window, every policy with its "
            f"in-flight Backup) | {idle_cpu} | — | — |"
        ),
        f"| all {f.policies} policies created (kubectl apply) | {f.apply_s:.1f} s | — | — |",
        (
            f"| all {f.policies} policies Ready, from the first apply | {f.ready_s:.1f} s | — | — |"
            if f.ready_reached >= f.policies
            else f"| policies Ready, from the first apply | only {f.ready_reached} after "
            f"{f.ready_s:.0f} s | — | — |"
        ),
        (
            f"| operator CPU from the first apply until "
            f"{'stopped' if stopped else 'all Ready'} | {f.ramp_cpu_s:.1f} s "
            f"({100 * f.ramp_cpu_s / f.ready_s:.0f} % of one core) | — | — |"
        ),
        (
            "| diagnostic: one S3 object store built as the operator's store factory does "
            f"(boto3 session + client) | {cost.cpu_seconds * 1000:.0f} ms CPU, "
            f"{cost.rss_growth / MIB:.1f} MiB | — | — |"
        ),
        "",
        "Before and after the per-policy loop, the shared indexes and the planned look:",
        "",
        "| | Before (2026-11-23) | Now |",
        "|---|---:|---:|",
        f"| operator peak RSS | {BEFORE['peak']} | {peak_mib:.1f} MiB |",
        (
            f"| slot→Backup p99, settled fleet | {BEFORE['delay']} | "
            + (f"{on_time_p99:.1f} s ({len(f.on_time)} Backups)" if f.on_time else "—")
            + " |"
        ),
        f"| operator CPU between slots | {BEFORE['idle']} | {idle_cpu} |",
        f"| all policies Ready, from the first apply | {BEFORE['ready']} | {f.ready_s:.1f} s |",
        "",
        "Operator log lines by level: "
        + ", ".join(f"{k} {v}" for k, v in sorted(f.log_levels.items()))
        + (
            "; most frequent warnings: " + "; ".join(f"“{m}” x{n}" for m, n in f.log_top)
            if f.log_top
            else ""
        )
        + ".",
    ]
    if f.guard_tripped_after is not None:
        lines += [
            "",
            (
                f"**Stopped early**: the operator's RSS passed the {RSS_GUARD_MIB} MiB guard "
                f"{f.guard_tripped_after:.0f} s after the first apply, with {f.ready_reached} of "
                f"{f.policies} policies Ready and {len(f.on_time) + len(f.ramp)} Backups created; "
                "the figures are as of that moment."
            ),
        ]
    if f.ramp and not stopped:
        lines += [
            "",
            (
                f"{len(f.ramp)} policies were still becoming Ready at their first slot, so "
                f"their Backup was created late (p99 {ramp_p99:.1f} s): that is start-up, not "
                "steady state; the steady-state figure is the first row."
            ),
        ]
    if missed:
        lines += ["", *_diagnosis(f, cost)]
    return "\n".join(lines) + "\n"


def _diagnosis(f: Figures, cost: StoreCost) -> list[str]:
    """Why targets were missed: what the operator still does at a slot and between slots."""
    del cost  # the S3 client cache settled that cost (see the diagnostic row)
    p99 = percentile([(a.seen - a.scheduled).total_seconds() for a in f.on_time], 0.99)
    peak = f.peak.hwm / MIB
    missed = []
    if f.on_time and p99 > P99_TARGET_S:
        missed.append(f"slot→Backup p99 by {p99 - P99_TARGET_S:.1f} s")
    if peak > PEAK_TARGET_MIB:
        missed.append(f"peak RSS by {peak - PEAK_TARGET_MIB:.1f} MiB")
    return [
        (
            f"Missed: {', '.join(missed) or 'see the tables'}, with the machine's load average "
            f"at {f.load_before[0]:.1f}-{f.load_after[0]:.1f} on 2 cores (other suites were "
            "running: the API server, etcd and the operator got a fraction of a core each). "
            "What the operator still does: at the slot every policy's loop wakes in the same "
            "second and asks for its Backup at once, the plan for that wake made beforehand, so "
            "the delay is how fast one Python process sends a thousand creates (each followed by "
            "its BackupCreated Event) while Kopf takes in the thousand watch events they cause "
            "and the API server answers. Between slots each policy whose run is in flight wakes "
            "once a minute at its next slot: the planner makes the plan for the next wake (it "
            "walks the cron schedule around DST: 8.5 ms for this schedule, 30 ms for "
            "`* * * * *`, 0.9 ms for a daily one, measured with cProfile), the BackupInFlight "
            "note becomes an Event (its text names the slot, so it is new each minute) and the "
            "status (`nextScheduleTime`) is patched, whose watch event Kopf processes too. "
            "Memory between slots is mostly Kopf's per-object state (each policy's daemon keeps "
            "its live body; every Backup and Job has its watch memory); the peak adds the slot's "
            "burst. Next steps: a schedule walk that widens only around a DST change (planner), "
            "the in-flight note once per run rather than per slot (planner/effects), and "
            "kubernetes_asyncio's per-request proxy/netrc lookup turned off (kube client)."
        ),
    ]
