"""The report's verdicts are evaluate()'s verdicts, and it explains them with the evidence."""

from __future__ import annotations

from datetime import timedelta

from report_world import NOW, backup_body, healthy_backups, policy_body

from strongroom.api.policy import BackupPolicySpec
from strongroom.compliance import build_report, metrics_compliance, observe_bodies
from strongroom.planner.compliance import evaluate, overall
from strongroom.planner.coverage import Unprotected


def expected_checks(policy: dict, backups: list[dict]) -> dict[str, tuple[str, str]]:
    spec = BackupPolicySpec.model_validate(policy["spec"])
    observed, _ = observe_bodies(policy, backups)
    return {v.check.value: (v.status, str(v.reason)) for v in evaluate(spec, observed, NOW)}


def test_a_healthy_policy_is_compliant_with_every_fact_filled_in() -> None:
    policy, backups = policy_body(), healthy_backups()
    report = build_report([policy], backups, NOW)
    (orders,) = report.policies
    assert orders.compliant == "True"
    assert report.compliant
    assert {c.check: (c.status, c.reason) for c in orders.checks} == expected_checks(
        policy, backups
    )
    assert orders.rpo == "26h"
    assert orders.newest_backup == "orders-202611230300"
    assert orders.retention_rules == "keepLast=3 daily=7 maxAge=30d"
    assert (orders.key_id, orders.key_version, orders.rotation_period) == ("orders-ring", 3, "90d")
    assert orders.key_age_seconds == timedelta(days=10).total_seconds()
    assert orders.last_verified == "orders-202611230300"
    assert orders.last_verified_level == "equivalence"
    assert orders.measured_rto_seconds == 95.0
    assert orders.rto_met is True
    assert orders.open_failures == ()


def test_every_failing_check_is_reported_with_the_planner_s_reason() -> None:
    old = NOW - timedelta(days=40)
    policy = policy_body(key_created=NOW - timedelta(days=120))
    backups = [
        backup_body(old, verified="Passed", rto_seconds=7200.0, deadline=old + timedelta(days=30)),
        backup_body(old + timedelta(days=1), deadline=old + timedelta(days=31)),
        backup_body(NOW - timedelta(days=1), phase="Failed", failure_reason="DatabaseToolFailed"),
        backup_body(NOW - timedelta(days=3), verified="Failed"),
    ]
    report = build_report([policy], backups, NOW)
    (orders,) = report.policies
    checks = {c.check: (c.status, c.reason) for c in orders.checks}
    assert checks == expected_checks(policy, backups)
    assert checks["rpo"] == ("False", "BackupTooOld")
    assert checks["retention"] == ("False", "RetentionOverdue")
    assert checks["encryption"] == ("False", "KeyTooOld")
    assert checks["verification"] == ("False", "VerificationFailed")
    assert (orders.compliant, orders.compliant_reason) == ("False", "ChecksFailing")
    assert orders.past_deadline == ("orders-202610140900", "orders-202610150900")
    assert orders.rto_met is False
    assert orders.open_failures == (
        "orders-202611200900: verification failed",
        "orders-202611220900: backup failed (DatabaseToolFailed)",
    )
    assert not report.compliant


def test_the_metrics_mapping_is_the_verdicts() -> None:
    policy, backups = policy_body(key_created=None), healthy_backups()
    spec = BackupPolicySpec.model_validate(policy["spec"])
    observed, _ = observe_bodies(policy, backups)
    verdicts = evaluate(spec, observed, NOW)
    assert metrics_compliance(verdicts) == {
        "rpo": True, "retention": True, "encryption": None, "verification": True,
    }  # fmt: skip
    (orders,) = build_report([policy], backups, NOW).policies
    assert (orders.compliant, orders.compliant_reason) == tuple(map(str, overall(verdicts)))


def test_backups_of_other_policies_and_namespaces_do_not_count() -> None:
    policy = policy_body()
    backups = healthy_backups(policy="payments") + healthy_backups(namespace="blog")
    (orders,) = build_report([policy], backups, NOW).policies
    assert orders.check("rpo") is not None
    assert orders.check("rpo").reason == "NeverBackedUp"  # type: ignore[union-attr]


def test_an_unreadable_spec_is_not_compliant_and_says_which_fields() -> None:
    broken = policy_body()
    del broken["spec"]["objectives"]
    (report,) = build_report([broken], [], NOW).policies
    assert report.compliant == "False"
    assert report.compliant_reason == "InvalidSpec"
    assert "objectives" in (report.spec_error or "")


def test_an_unprotected_database_makes_the_report_not_compliant() -> None:
    finding = Unprotected("Service", "shop", "legacy-db", "mysql", "port 3306")
    report = build_report([policy_body()], healthy_backups(), NOW, unprotected=[finding])
    assert report.policies[0].compliant == "True"
    assert not report.compliant
