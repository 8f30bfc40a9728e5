"""Names and labels follow Prometheus practice: prefix, base units, bounded labels."""

import re

ALLOWED_LABELS = {"namespace", "policy", "result", "check", "kind", "engine", "version", "le"}


def test_every_series_is_prefixed_and_has_no_type_suffix(populated, scrape):
    for name in scrape(populated).names():
        assert name.startswith("strongroom_"), name
        assert not re.search(r"_(counter|gauge)(_|$)", name), name
        assert not re.search(
            r"_(milliseconds|ms|minutes|hours|days|kilobytes|megabytes)(_|$)", name
        ), name


def test_labels_are_bounded_to_namespace_policy_and_small_enums(populated, scrape):
    exported = scrape(populated)
    for name, by_labels in exported.samples.items():
        for labels in by_labels:
            assert {key for key, _ in labels} <= ALLOWED_LABELS, name


def test_times_are_timestamps_not_ages(populated, scrape):
    names = scrape(populated).names()
    # A configured limit ("max age") is fine; a measured age is not.
    assert not any(re.search(r"(?<!_max)_age(_|$)", name) for name in names)
    assert "strongroom_backup_last_success_timestamp_seconds" in names
    assert "strongroom_verification_last_success_timestamp_seconds" in names
    assert "strongroom_encryption_key_created_timestamp_seconds" in names


def test_every_series_the_design_promises_is_exported(populated, scrape):
    names = scrape(populated).names()
    promised = {
        "strongroom_build_info",
        "strongroom_backup_last_success_timestamp_seconds",
        "strongroom_backup_last_failure_timestamp_seconds",
        "strongroom_backup_runs_total",
        "strongroom_backup_duration_seconds_bucket",
        "strongroom_backup_last_size_bytes",
        "strongroom_verification_last_success_timestamp_seconds",
        "strongroom_verification_last_failure_timestamp_seconds",
        "strongroom_verification_runs_total",
        "strongroom_verification_restore_duration_seconds",
        "strongroom_encryption_key_created_timestamp_seconds",
        "strongroom_encryption_key_rotation_period_seconds",
        "strongroom_encryption_key_versions_in_use",
        "strongroom_policy_compliant",
        "strongroom_policy_rpo_seconds",
        "strongroom_policy_suspended",
        "strongroom_backups_retained",
        "strongroom_reconcile_errors_total",
    }
    assert promised <= names, promised - names
