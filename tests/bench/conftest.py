"""Benchmark fixtures: settings, the generated stores (cached), and the report written at the end.

The report is one object for the whole session; each benchmark adds its section and the
session's end writes ``docs/benchmarks.md`` (or ``STRONGROOM_BENCH_OUTPUT``) with the load
average before and after, so figures taken on a busy machine say so.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.bench.machine import Machine, load_average
from tests.bench.report import Report, now, write_report
from tests.bench.session import Bench
from tests.bench.settings import BenchSettings
from tests.bench.stores import BenchStore, StoreFactory, open_store

#: A 1-minute load average at or above this, before the first run, means other work was running.
BUSY_LOAD = 0.5


@pytest.fixture(scope="session")
def bench_settings() -> BenchSettings:
    """``STRONGROOM_BENCH_*`` settings."""
    return BenchSettings.from_env()


@pytest.fixture(scope="session")
def bench_report(bench_settings: BenchSettings) -> Iterator[Report]:
    """The session's report; written when the session ends."""
    before = load_average()
    report = Report(
        settings=bench_settings, machine=Machine.describe(), started=now(), load_before=before
    )
    yield report
    report.load_after = load_average()
    cores = report.machine.cores
    if before[0] >= BUSY_LOAD or report.load_after[0] >= cores + BUSY_LOAD:
        report.notes.append(
            f"Other work was running on this shared machine during the session (1-minute load "
            f"{before[0]:.2f} before the first run, {report.load_after[0]:.2f} after, on "
            f"{cores} cores): absolute times are inflated by it; ratios less so, since the "
            "runs being compared were interleaved."
        )
    write_report(report)


@pytest.fixture(scope="session")
def bench_stores(
    bench_settings: BenchSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreFactory]:
    """``get(engine, size)``: a running server holding that store (cached between sessions)."""
    opened: dict[tuple[str, str], BenchStore] = {}

    def get(engine: str, size: str) -> BenchStore:
        key = (engine, size.upper())
        if key not in opened:
            opened[key] = open_store(
                engine,
                size,
                cache=bench_settings.cache,
                workdir=tmp_path_factory.mktemp(f"{engine}-{size}"),
            )
        return opened[key]

    yield get
    for store in opened.values():
        store.stop()


@pytest.fixture(scope="session")
def bench(bench_settings: BenchSettings, bench_stores: StoreFactory, bench_report: Report) -> Bench:
    """Settings, stores and report in one (benchmarks take few arguments)."""
    return Bench(settings=bench_settings, stores=bench_stores, report=bench_report)
