"""Per-policy gauges are computed at scrape time from the newest snapshot, so they cannot drift."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from strongroom.metrics import PolicyMetricsSnapshot


def test_every_field_of_the_snapshot_reaches_its_gauge(metrics, full_snapshot, scrape):
    metrics.observe_policy("shop", "orders", full_snapshot)

    exported = scrape(metrics)

    def value(name):
        return exported.value(name, namespace="shop", policy="orders")

    assert (
        value("strongroom_backup_last_success_timestamp_seconds")
        == full_snapshot.last_backup_success.timestamp()
    )
    assert (
        value("strongroom_backup_last_failure_timestamp_seconds")
        == full_snapshot.last_backup_failure.timestamp()
    )
    assert value("strongroom_backup_last_size_bytes") == 123_456_789
    assert value("strongroom_verification_last_success_timestamp_seconds") == (
        full_snapshot.last_verification_success.timestamp()
    )
    assert value("strongroom_verification_last_failure_timestamp_seconds") == 0.0
    assert value("strongroom_verification_restore_duration_seconds") == 95.5
    assert value("strongroom_verification_last_content_checked") == 1
    assert value("strongroom_verification_max_age_seconds") == 7 * 86400
    assert (
        value("strongroom_encryption_key_created_timestamp_seconds")
        == full_snapshot.key_created.timestamp()
    )
    assert value("strongroom_encryption_key_rotation_period_seconds") == 90 * 86400
    assert value("strongroom_encryption_key_versions_in_use") == 2
    assert value("strongroom_policy_rpo_seconds") == 3600
    assert value("strongroom_backups_retained") == 14
    assert value("strongroom_policy_suspended") == 0


def test_a_newer_snapshot_replaces_the_older_one_entirely(metrics, full_snapshot, scrape):
    metrics.observe_policy("shop", "orders", full_snapshot)
    later = full_snapshot.last_backup_success + timedelta(hours=1)

    metrics.observe_policy(
        "shop", "orders", replace(full_snapshot, last_backup_success=later, suspended=True)
    )

    exported = scrape(metrics)
    assert exported.value(
        "strongroom_backup_last_success_timestamp_seconds", namespace="shop", policy="orders"
    ) == (later.timestamp())
    assert exported.value("strongroom_policy_suspended", namespace="shop", policy="orders") == 1.0


def test_timestamps_are_unix_seconds_whatever_the_time_zone(metrics, scrape):
    berlin = timezone(timedelta(hours=1))
    metrics.observe_policy(
        "shop",
        "orders",
        PolicyMetricsSnapshot(
            engine="postgres", last_backup_success=datetime(2026, 1, 1, 1, 0, tzinfo=berlin)
        ),
    )

    exported = scrape(metrics)

    assert exported.value(
        "strongroom_backup_last_success_timestamp_seconds", namespace="shop", policy="orders"
    ) == (datetime(2026, 1, 1, 0, 0, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("verdicts", "overall"),
    [
        ({"rpo": True, "retention": True}, 1.0),
        ({"rpo": True, "retention": False}, 0.0),
        ({"rpo": None, "retention": False}, 0.0),
        ({"rpo": None, "retention": True}, math.nan),
        ({}, math.nan),
    ],
)
def test_check_all_is_the_conjunction_of_the_checks(metrics, scrape, verdicts, overall):
    metrics.observe_policy(
        "shop", "orders", PolicyMetricsSnapshot(engine="postgres", compliance=verdicts)
    )

    exported = scrape(metrics)

    got = exported.value(
        "strongroom_policy_compliant", namespace="shop", policy="orders", check="all"
    )
    assert got == overall or (math.isnan(overall) and math.isnan(got))
    for check, verdict in verdicts.items():
        value = exported.value(
            "strongroom_policy_compliant", namespace="shop", policy="orders", check=check
        )
        assert math.isnan(value) if verdict is None else value == float(verdict)
