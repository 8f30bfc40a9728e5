"""A policy seen for the first time exports every series at once, at values alerts understand.

"Never backed up" must be visible: timestamps start at 0 (so ``time() - ts > rpo`` fires), both
run counters start at 0 (so ``increase()`` has a baseline), and what is not known yet is NaN
(so no alert fires or clears on a guess).
"""

import math

from strongroom.metrics import PolicyMetricsSnapshot

PER_POLICY_GAUGES = {
    "strongroom_backup_last_success_timestamp_seconds": 0.0,
    "strongroom_backup_last_failure_timestamp_seconds": 0.0,
    "strongroom_backup_last_size_bytes": 0.0,
    "strongroom_verification_last_success_timestamp_seconds": 0.0,
    "strongroom_verification_last_failure_timestamp_seconds": 0.0,
    "strongroom_encryption_key_created_timestamp_seconds": 0.0,
    "strongroom_encryption_key_versions_in_use": 0.0,
    "strongroom_policy_suspended": 0.0,
    "strongroom_backups_retained": 0.0,
    "strongroom_policy_rpo_seconds": 86400.0,
}
UNKNOWN_UNTIL_MEASURED = (
    "strongroom_verification_restore_duration_seconds",
    "strongroom_verification_max_age_seconds",
    "strongroom_verification_last_content_checked",
    "strongroom_encryption_key_rotation_period_seconds",
)


def test_a_new_policy_has_every_gauge_with_never_as_zero(metrics, scrape):
    metrics.observe_policy(
        "shop", "orders", PolicyMetricsSnapshot(engine="postgres", rpo_seconds=86400)
    )

    exported = scrape(metrics)

    for name, expected in PER_POLICY_GAUGES.items():
        assert exported.value(name, namespace="shop", policy="orders") == expected, name
    for name in UNKNOWN_UNTIL_MEASURED:
        assert math.isnan(exported.value(name, namespace="shop", policy="orders")), name
    assert (
        exported.value(
            "strongroom_policy_info", namespace="shop", policy="orders", engine="postgres"
        )
        == 1.0
    )


def test_a_new_policy_has_both_run_counters_at_zero_and_empty_histograms(metrics, scrape):
    metrics.observe_policy("shop", "orders", PolicyMetricsSnapshot(engine="mysql"))

    exported = scrape(metrics)

    for counter in ("strongroom_backup_runs_total", "strongroom_verification_runs_total"):
        for result in ("succeeded", "failed"):
            assert exported.value(counter, namespace="shop", policy="orders", result=result) == 0.0
    for histogram in (
        "strongroom_backup_duration_seconds",
        "strongroom_verification_duration_seconds",
    ):
        assert exported.value(f"{histogram}_count", namespace="shop", policy="orders") == 0.0


def test_a_policy_without_verdicts_is_neither_compliant_nor_not(metrics, scrape):
    metrics.observe_policy("shop", "orders", PolicyMetricsSnapshot(engine="postgres"))

    exported = scrape(metrics)

    assert math.isnan(
        exported.value(
            "strongroom_policy_compliant", namespace="shop", policy="orders", check="all"
        )
    )


def test_build_info_and_reconcile_error_counters_exist_before_anything_happens(metrics, scrape):
    exported = scrape(metrics)

    assert (
        exported.value("strongroom_build_info", version=__import__("strongroom").__version__) == 1.0
    )
    for kind in ("BackupPolicy", "Backup", "Restore"):
        assert exported.value("strongroom_reconcile_errors_total", kind=kind) == 0.0
