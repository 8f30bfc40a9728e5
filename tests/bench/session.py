"""What every benchmark receives: the settings, the generated stores and the session's report."""

from __future__ import annotations

from dataclasses import dataclass

from tests.bench.report import Report
from tests.bench.settings import BenchSettings
from tests.bench.stores import StoreFactory


@dataclass(frozen=True)
class Bench:
    """The ``bench`` fixture."""

    settings: BenchSettings
    stores: StoreFactory
    report: Report
