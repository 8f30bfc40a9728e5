"""Helpers for reading what a metrics registry really exports: the parsed exposition text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from strongroom.metrics import OperatorMetrics, PolicyMetricsSnapshot

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Exposition:
    """The samples of one scrape, keyed by sample name and then by label set."""

    samples: dict[str, dict[frozenset[tuple[str, str]], float]]

    def value(self, name: str, **labels: str) -> float:
        return self.samples[name][frozenset(labels.items())]

    def has(self, name: str, **labels: str) -> bool:
        return frozenset(labels.items()) in self.samples.get(name, {})

    def names(self) -> set[str]:
        return set(self.samples)

    def series_of(self, namespace: str, policy: str) -> list[tuple[str, dict[str, str]]]:
        return [
            (name, dict(labels))
            for name, by_labels in self.samples.items()
            for labels in by_labels
            if ("namespace", namespace) in labels and ("policy", policy) in labels
        ]


def scrape(metrics: OperatorMetrics) -> Exposition:
    """Render and parse the exposition text exactly as Prometheus would read it."""
    samples: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return Exposition(samples)


def full_snapshot() -> PolicyMetricsSnapshot:
    """A policy with every field known, so every per-policy series carries a number."""
    return PolicyMetricsSnapshot(
        engine="postgres",
        suspended=False,
        rpo_seconds=3600.0,
        last_backup_success=NOW,
        last_backup_failure=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        last_backup_size_bytes=123_456_789,
        last_verification_success=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        last_verification_failure=None,
        last_restore_seconds=95.5,
        last_verification_content_checked=True,
        verification_max_age_seconds=7 * 86400.0,
        key_created=datetime(2026, 10, 1, tzinfo=UTC),
        key_rotation_period_seconds=90 * 86400.0,
        key_versions_in_use=2,
        retained_backups=14,
        compliance={"rpo": True, "retention": True, "encryption": True, "verification": True},
    )


def populated() -> OperatorMetrics:
    """An OperatorMetrics in which every metric has at least one series."""
    metrics = OperatorMetrics()
    metrics.observe_policy("shop", "orders", full_snapshot())
    metrics.record_backup_run("shop", "orders", "succeeded", 600.0, 123_456_789)
    metrics.record_backup_run("shop", "orders", "failed", 12.0, None)
    metrics.record_verification_run("shop", "orders", "succeeded", 300.0)
    metrics.record_reconcile_error("BackupPolicy")
    metrics.observe_residency("shop", "orders", True)
    metrics.observe_unprotected({"billing": 1})
    return metrics


@pytest.fixture
def metrics() -> OperatorMetrics:
    """A fresh, empty metrics instance with its own registry."""
    return OperatorMetrics()


@pytest.fixture(name="scrape")
def scrape_fixture() -> Callable[[OperatorMetrics], Exposition]:
    """Render and parse, as Prometheus would."""
    return scrape


@pytest.fixture(name="full_snapshot")
def full_snapshot_fixture() -> PolicyMetricsSnapshot:
    return full_snapshot()


@pytest.fixture(name="populated")
def populated_fixture() -> OperatorMetrics:
    return populated()
