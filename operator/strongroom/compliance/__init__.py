"""Compliance evidence for auditors: the report model, its renderers and the coverage scan.

The report is built by a pure function (:func:`build_report`) from the BackupPolicy and Backup
bodies and ``now``, using :func:`strongroom.planner.compliance.evaluate` — the same verdicts the
operator writes into status and exports as metrics — so the report cannot disagree with the
alerts. Rendering (:mod:`strongroom.compliance.render`) is separate so tests check verdicts
without a cluster and formats without verdict logic.
"""

from strongroom.compliance.report import (
    CheckResult,
    ComplianceReport,
    PolicyReport,
    build_report,
    metrics_compliance,
    observe_bodies,
)

__all__ = [
    "CheckResult",
    "ComplianceReport",
    "PolicyReport",
    "build_report",
    "metrics_compliance",
    "observe_bodies",
]
