"""The scale section of docs/benchmarks.md: figures, targets, and why a target is missed.

Rendering lives apart from the benchmark so the run reads as a story and the section's wording
is reviewed in one place. The chart's settings are named here because the section states them.
"""

from __future__ import annotations

import json
import math
import os
import statistics
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


def _p99(arrivals: list[Arrival]) -> float:
    return percentile([(a.seen - a.scheduled).total_seconds() for a in arrivals], 0.99)


def _idle_share(f: Figures) -> float:
    """CPU between slots as a share of one core (NaN when the run stopped early)."""
    window = f.idle_end.at - f.idle_start.at
    if window <= 0:
        return math.nan
    return (f.idle_end.cpu_seconds - f.idle_start.cpu_seconds) / window


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _spread(values: list[float], unit: str, digits: int = 1) -> str:
    """``median unit (min-max)``, or the single value for one run."""
    med = _median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _met(ok: bool) -> str:
    return "yes" if ok else "**NO — missed**"


def _run_row(n: int, f: Figures) -> str:
    seen = [(a.seen - a.scheduled).total_seconds() for a in f.on_time]
    idle = _idle_share(f)
    delay = (
        f"{len(f.on_time)} | {percentile(seen, 0.5):.2f} s | {_p99(f.on_time):.2f} s"
        if f.on_time
        else "0 | — | —"
    )
    ready = (
        f"{f.ready_s:.1f} s"
        if f.ready_reached >= f.policies
        else f"only {f.ready_reached} after {f.ready_s:.0f} s"
    )
    return (
        f"| {n} | {f.started:%H:%M} | {f.load_before[0]:.2f} / {f.load_after[0]:.2f} | {delay} "
        f"| {f.peak.hwm / MIB:.1f} MiB | {f.idle_end.rss / MIB:.1f} MiB "
        f"| {'—' if math.isnan(idle) else f'{100 * idle:.1f} %'} | {ready} |"
    )


def _every_run_sentence(runs: list[Figures]) -> list[str]:
    """Say which runs, if any, missed a target the median meets (empty for a single run)."""
    if len(runs) == 1:
        return []
    over = [n for n, f in enumerate(runs, start=1) if f.peak.hwm / MIB > PEAK_TARGET_MIB]
    late = [n for n, f in enumerate(runs, start=1) if not _p99(f.on_time) <= P99_TARGET_S]
    if not over and not late:
        return ["Every run met both targets on its own.", ""]
    said = []
    if over:
        said.append(f"run(s) {', '.join(map(str, over))} peaked above {PEAK_TARGET_MIB} MiB")
    if late:
        said.append(f"run(s) {', '.join(map(str, late))} had a p99 above {P99_TARGET_S:.0f} s")
    return [f"Not every run met the targets on its own: {'; '.join(said)}.", ""]


def render(runs: list[Figures], machine: Machine, cost: StoreCost) -> str:
    """The scale section of docs/benchmarks.md: every run, then the medians against targets."""
    first = runs[0]
    peaks = [f.peak.hwm / MIB for f in runs]
    p99s = [_p99(f.on_time) for f in runs if f.on_time]
    p50s = [
        percentile([(a.seen - a.scheduled).total_seconds() for a in f.on_time], 0.5)
        for f in runs
        if f.on_time
    ]
    idles = [100 * x for x in (_idle_share(f) for f in runs) if not math.isnan(x)]
    readies = [f.ready_s for f in runs if f.ready_reached >= f.policies]
    stopped = any(f.guard_tripped_after is not None for f in runs)
    peak_ok = not stopped and _median(peaks) <= PEAK_TARGET_MIB
    p99_ok = len(p99s) == len(runs) and _median(p99s) <= P99_TARGET_S
    # The run itself loads the machine (API server, etcd, operator): judge others by "before".
    busy = max(f.load_before[0] for f in runs) > machine.cores / 2
    levels: Counter[str] = Counter()
    tops: Counter[str] = Counter()
    for f in runs:
        levels.update(f.log_levels)
        for message, count in f.log_top:
            tops[message] += count
    lines = [
        "## Operator scale",
        "",
        "<!-- Generated by `pytest tests/bench/test_operator_scale.py`; edit the benchmark. -->",
        "",
        f"Measured on {first.started:%Y-%m-%d} from {first.started:%H:%M} UTC: {len(runs)} "
        f"run(s), each a fresh control plane and operator with {first.policies} BackupPolicies "
        f"({first.namespaces} namespaces) whose slots all fire in the same second: every minute "
        f"for {SLOT_MINUTES} minutes from {FIRST_SLOT_AFTER.seconds // 60} minutes after the "
        f"first apply (RPO {FLEET_RPO}), on {machine.cpu}, {machine.cores} cores, "
        f"{machine.memory_gib:.1f} GiB, Linux {machine.kernel}. One-minute load average "
        "before each run: "
        + ", ".join(f"{f.load_before[0]:.2f}" for f in runs)
        + (
            "; above 1, other work had used the machine just before that run, which inflates "
            "its CPU and delay figures."
            if busy
            else " (the machine was otherwise idle)."
        ),
        "",
        (
            "Method: the local control plane (etcd, kube-apiserver, kube-controller-manager) "
            "without the process kubelet, so backup Jobs stay pending; each policy therefore gets"
            " exactly its first Backup and waits (at most one backup per policy is in flight), "
            "and no dump runs. The fleet becomes Ready before its first slot, so that slot "
            "measures a settled operator with a thousand Backups due at once; every later slot "
            "waits for the in-flight run (the planner notes it once a minute), which is what the "
            "CPU-between-slots window (48 s, a minute after that first slot) measures. One moto "
            "S3 server with one bucket. Each namespace holds the db-login and s3-login Secrets "
            "and up to 100 policies, created by one server-side `kubectl apply` of a "
            "multi-document YAML; the database host does not exist (the Job never runs). The "
            "operator is `strongroom operator --all-namespaces` with the chart's defaults: timer "
            f"interval {CHART_SETTINGS['STRONGROOM_TIMER_INTERVAL']} s, full resync every 300 s, "
            "at most 16 full looks at once, 16 connections to the API server, bucket check every "
            f"{CHART_SETTINGS['STRONGROOM_BUCKET_CHECK_INTERVAL']} s, JSON logs at INFO."
        ),
        "",
        (
            "Delay is from the slot (`spec.scheduledTime`) to the Backup's arrival at a watch on "
            "the API server (local clock, millisecond resolution, the watch adds a few ms). "
            "Memory is VmHWM (peak) and VmRSS of the operator process from /proc; CPU is "
            "utime+stime from /proc/<pid>/stat."
        ),
        "",
        "| Measurement (median of the runs, min-max) | Measured | Target | Met |",
        "|---|---:|---|---|",
        (
            f"| slot→Backup p99, settled fleet ({first.policies} Backups due at once) "
            f"| {_spread(p99s, ' s', 2) if p99s else '—'} | ≤ {P99_TARGET_S:.0f} s "
            f"| {_met(p99_ok)} |"
        ),
        f"| slot→Backup p50 | {_spread(p50s, ' s', 2) if p50s else '—'} | — | — |",
        (
            f"| operator peak RSS (VmHWM) | {_spread(peaks, ' MiB')} | ≤ {PEAK_TARGET_MIB} MiB "
            f"| {_met(peak_ok)} |"
        ),
        (
            "| operator RSS after settling | "
            f"{_spread([f.idle_end.rss / MIB for f in runs], ' MiB')} | — | — |"
        ),
        (
            "| operator CPU between slots, every policy with its in-flight Backup | "
            f"{_spread(idles, ' % of one core') if idles else 'not measured'} | — | — |"
        ),
        (
            f"| all {first.policies} policies created (kubectl apply) | "
            f"{_spread([f.apply_s for f in runs], ' s')} | — | — |"
        ),
        (
            f"| all {first.policies} policies Ready, from the first apply | "
            f"{_spread(readies, ' s') if readies else 'not reached'} | — | — |"
        ),
        (
            "| operator CPU from the first apply until all Ready | "
            f"{_spread([f.ramp_cpu_s for f in runs], ' s')} | — | — |"
        ),
        (
            "| diagnostic: one S3 object store built as the operator's store factory does "
            f"(boto3 session + client) | {cost.cpu_seconds * 1000:.0f} ms CPU, "
            f"{cost.rss_growth / MIB:.1f} MiB | — | — |"
        ),
        "",
        *_every_run_sentence(runs),
        "Each run:",
        "",
        (
            "| Run | Start (UTC) | Load before / after | Backups on time | p50 | p99 | Peak RSS "
            "| RSS after settling | CPU between slots | All Ready |"
        ),
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *(_run_row(n, f) for n, f in enumerate(runs, start=1)),
        "",
        (
            "Before and after the per-policy loop, the shared indexes, the planned look and the "
            "bounded connection pool:"
        ),
        "",
        "| | Before (2026-11-23) | Now (median) |",
        "|---|---:|---:|",
        f"| operator peak RSS | {BEFORE['peak']} | {_median(peaks):.1f} MiB |",
        (
            f"| slot→Backup p99, settled fleet | {BEFORE['delay']} | "
            + (f"{_median(p99s):.1f} s ({first.policies} Backups)" if p99s else "—")
            + " |"
        ),
        (
            f"| operator CPU between slots | {BEFORE['idle']} | "
            + (f"{_median(idles):.1f} % of one core" if idles else "—")
            + " |"
        ),
        (
            f"| all policies Ready, from the first apply | {BEFORE['ready']} | "
            + (f"{_median(readies):.1f} s" if readies else "—")
            + " |"
        ),
        "",
        "Operator log lines by level, all runs: "
        + ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
        + (
            "; most frequent warnings: " + "; ".join(f"“{m}” x{n}" for m, n in tops.most_common(3))
            if tops
            else ""
        )
        + ".",
    ]
    for n, f in enumerate(runs, start=1):
        if f.guard_tripped_after is not None:
            lines += [
                "",
                (
                    f"**Run {n} stopped early**: the operator's RSS passed the {RSS_GUARD_MIB} MiB "
                    f"guard {f.guard_tripped_after:.0f} s after the first apply, with "
                    f"{f.ready_reached} of {f.policies} policies Ready and "
                    f"{len(f.on_time) + len(f.ramp)} Backups created; its figures are as of that "
                    "moment."
                ),
            ]
        elif f.ramp:
            lines += [
                "",
                (
                    f"Run {n}: {len(f.ramp)} policies were still becoming Ready at their first "
                    f"slot, so their Backup was created late (p99 {_p99(f.ramp):.1f} s): that is "
                    "start-up, not steady state, and not counted above."
                ),
            ]
    if not (peak_ok and p99_ok):
        lines += ["", *_diagnosis(runs, busy)]
    return "\n".join(lines) + "\n"


def _diagnosis(runs: list[Figures], busy: bool) -> list[str]:
    """Why targets were missed: what the operator still does at a slot and between slots."""
    p99 = _median([_p99(f.on_time) for f in runs if f.on_time])
    peak = _median([f.peak.hwm / MIB for f in runs])
    missed = []
    if p99 > P99_TARGET_S:
        missed.append(f"slot→Backup p99 by {p99 - P99_TARGET_S:.1f} s")
    if peak > PEAK_TARGET_MIB:
        missed.append(f"peak RSS by {peak - PEAK_TARGET_MIB:.1f} MiB")
    return [
        (
            f"Missed (medians): {', '.join(missed) or 'see the tables'}"
            + (
                " while other work loaded this 2-core machine (the API server, etcd and the "
                "operator got a fraction of a core each). "
                if busy
                else ". "
            )
            + "What the operator still does: at the slot every policy's loop wakes in the same "
            "second and asks for its Backup at once, the plan for that wake made beforehand, so "
            "the delay is how fast one Python process sends a thousand creates (each followed by "
            "its BackupCreated Event) while Kopf takes in the thousand watch events they cause "
            "and the API server answers. Between slots each policy whose run is in flight wakes "
            "once a minute at its next slot: the planner makes the plan for the next wake (it "
            "walks the cron schedule around DST: 8.5 ms for this schedule, 30 ms for "
            "`* * * * *`, 0.9 ms for a daily one, measured with cProfile), the BackupInFlight "
            "note becomes an Event (its text names the slot, so it is new each minute) and the "
            "status (`nextScheduleTime`) is patched, whose watch event Kopf processes too. "
            "Memory: about 100 MiB before the first policy (the interpreter, Kopf, aiohttp, "
            "boto3, pydantic), then about 130 KiB per policy once the fleet is Ready (Kopf's "
            "per-object state — each policy's daemon keeps its live body — our per-policy "
            "observations and metric series, and the allocator's fragmentation after the "
            "ramp's full looks), and 20-25 MiB more at the slot's burst (a thousand Backups, "
            "Jobs and data-key Secrets created and watched). Next steps: a schedule walk that "
            "widens only around a DST change (planner) and the in-flight note once per run "
            "rather than per slot (planner/effects)."
        ),
    ]
