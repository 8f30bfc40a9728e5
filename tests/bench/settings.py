"""Benchmark settings from the environment, so one ``make bench`` can be sized without edits.

``STRONGROOM_BENCH_SIZE`` (default ``1GB``) sizes the generated store, ``STRONGROOM_BENCH_RUNS``
(default 3) is how many times each measurement repeats (the doc shows the median with min and
max), ``STRONGROOM_BENCH_LARGE=1`` adds the 4 GB memory run, ``STRONGROOM_BENCH_CACHE`` is where
generated databases are kept between runs and ``STRONGROOM_BENCH_OUTPUT`` where the report is
written (``docs/benchmarks.md`` unless told otherwise, so small trial runs can write elsewhere).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.storegen import parse_size

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
#: The store used to show that the agent's memory does not grow with the database.
REFERENCE_SIZE = "64MB"
#: The extra size of the large memory run.
LARGE_SIZE = "4GB"


@dataclass(frozen=True)
class BenchSettings:
    """What this benchmark session measures and where it keeps things."""

    size: str
    runs: int
    large: bool
    cache: Path
    output: Path
    profile: bool

    @property
    def size_bytes(self) -> int:
        """The main store size in bytes."""
        return parse_size(self.size)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> BenchSettings:
        """Read the ``STRONGROOM_BENCH_*`` variables (defaults: 1GB, 3 runs, no 4 GB run)."""
        env = dict(os.environ if env is None else env)
        size = env.get("STRONGROOM_BENCH_SIZE", "1GB").strip() or "1GB"
        parse_size(size)  # fail early on a typo
        runs = int(env.get("STRONGROOM_BENCH_RUNS", "3"))
        if runs < 1:
            raise ValueError("STRONGROOM_BENCH_RUNS must be at least 1")
        cache = Path(
            env.get("STRONGROOM_BENCH_CACHE", str(Path.home() / ".cache" / "strongroom" / "bench"))
        )
        return cls(
            size=size,
            runs=runs,
            large=env.get("STRONGROOM_BENCH_LARGE", "") == "1",
            cache=cache,
            output=Path(env.get("STRONGROOM_BENCH_OUTPUT", str(DEFAULT_OUTPUT))),
            profile=env.get("STRONGROOM_BENCH_PROFILE", "1") == "1",
        )
