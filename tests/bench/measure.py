"""Timing child processes: wall time, CPU time and peak RSS, and the statistics of repeats.

Every measured thing is a child process (a shell pipeline for the baselines, ``strongroom`` for
the agent), so the figures include process start-up on both sides and nothing of the harness.
Peak RSS comes from ``os.wait4``: the kernel reports the larger of the child's own peak and the
peaks of the processes it reaped (the dump tool the agent runs), never a sum.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class CommandFailedError(AssertionError):
    """A measured command did not succeed; the benchmark must not report its time."""


@dataclass(frozen=True)
class Timed:
    """One finished child process.

    ``busy_cores`` is how many cores the whole machine kept busy meanwhile (from /proc/stat):
    the child, the database servers working for it, and anyone else's work.
    """

    seconds: float
    cpu_seconds: float
    peak_rss_kib: int
    returncode: int
    stdout: str
    stderr: str
    busy_cores: float = 0.0


def _cpu_ticks() -> tuple[int, int]:
    """(total, idle) jiffies of all cores since boot; (0, 0) where /proc/stat is missing."""
    try:
        with Path("/proc/stat").open() as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return 0, 0
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def busy_cores_between(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Average number of busy cores between two :func:`_cpu_ticks` readings."""
    total, idle = after[0] - before[0], after[1] - before[1]
    return (total - idle) / total * (os.cpu_count() or 1) if total > 0 else 0.0


def run_timed(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin: Path | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> Timed:
    """Run ``argv`` to completion; stdout and stderr are kept (keep them small: redirect dumps).

    Raises:
        CommandFailedError: ``check`` and the command exited non-zero (its stderr tail is shown).
    """
    with (
        (stdin or Path(os.devnull)).open("rb") as source,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        ticks = _cpu_ticks()
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdin=source,
            stdout=out,
            stderr=err,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
        busy = busy_cores_between(ticks, _cpu_ticks())
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        timed = Timed(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_kib=usage.ru_maxrss,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            busy_cores=busy,
        )
    if check and timed.returncode != 0:
        raise CommandFailedError(
            f"{' '.join(argv)[:300]} exited {timed.returncode}: {timed.stderr[-2000:]}"
        )
    return timed


def shell(script: str) -> list[str]:
    """``bash`` running ``script`` with ``pipefail``, so a failing dump fails the pipeline."""
    return ["/bin/bash", "-o", "pipefail", "-c", script]


@dataclass
class Series:
    """Repeated measurements of one quantity (seconds, bytes or KiB)."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        """Record one run."""
        self.values.append(value)

    @property
    def median(self) -> float:
        """Median of the runs."""
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        """Smallest run."""
        return min(self.values)

    @property
    def high(self) -> float:
        """Largest run."""
        return max(self.values)

    def __bool__(self) -> bool:
        return bool(self.values)
