"""Finished runs count by result and feed the duration histograms; bad results are refused."""

import pytest

from strongroom.metrics import DURATION_BUCKETS


def test_backup_runs_count_by_result_and_observe_their_duration(metrics, scrape):
    metrics.record_backup_run("shop", "orders", "succeeded", 600.0, 1024)
    metrics.record_backup_run("shop", "orders", "succeeded", 7000.0, 2048)
    metrics.record_backup_run("shop", "orders", "failed", 5.0, None)

    exported = scrape(metrics)

    labels = {"namespace": "shop", "policy": "orders"}
    assert exported.value("strongroom_backup_runs_total", **labels, result="succeeded") == 2
    assert exported.value("strongroom_backup_runs_total", **labels, result="failed") == 1
    assert exported.value("strongroom_backup_duration_seconds_count", **labels) == 3
    assert exported.value("strongroom_backup_duration_seconds_sum", **labels) == 7605.0
    assert exported.value("strongroom_backup_duration_seconds_bucket", **labels, le="600.0") == 2
    assert exported.value("strongroom_backup_duration_seconds_bucket", **labels, le="3600.0") == 2
    assert exported.value("strongroom_backup_duration_seconds_bucket", **labels, le="7200.0") == 3


def test_verification_runs_count_by_result(metrics, scrape):
    metrics.record_verification_run("shop", "orders", "failed", 42.0)

    exported = scrape(metrics)

    assert (
        exported.value(
            "strongroom_verification_runs_total", namespace="shop", policy="orders", result="failed"
        )
        == 1
    )
    assert (
        exported.value(
            "strongroom_verification_runs_total",
            namespace="shop",
            policy="orders",
            result="succeeded",
        )
        == 0
    )


def test_duration_buckets_span_minutes_to_a_day():
    assert DURATION_BUCKETS[0] <= 30
    assert 3600 in DURATION_BUCKETS
    assert max(b for b in DURATION_BUCKETS if b != float("inf")) >= 86400


def test_an_unknown_result_is_refused_rather_than_creating_a_new_series(metrics):
    with pytest.raises(ValueError, match="run result must be one of"):
        metrics.record_backup_run("shop", "orders", "partial", 1.0, None)  # type: ignore[arg-type]


def test_reconcile_errors_count_by_kind(metrics, scrape):
    metrics.record_reconcile_error("Backup")
    metrics.record_reconcile_error("Backup")

    assert scrape(metrics).value("strongroom_reconcile_errors_total", kind="Backup") == 2
