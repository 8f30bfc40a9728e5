"""`strongroom report` on a real API server says what evaluate() and the metrics say, and more.

The story: a shop namespace with two policies (one healthy, one neglected), a MySQL Service no
policy names, and audit records in a bucket. The report, run as the real command with the
cluster's kubeconfig, must give each check the verdict the planner gives for the same objects,
which is also what OperatorMetrics exports; list the unprotected Service; and carry the audit
trail from the bucket in time order.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cluster_steps import given_backup, given_policy, given_service
from s3_steps import credentials_file, store_for
from tests.integration.api.crd_steps import given_strongroom_crds
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import get, list_objects
from tests.support.report_steps import run_report
from tests.support.s3 import REGION, S3Server

from strongroom.api.policy import BackupPolicySpec
from strongroom.audit import AuditAction, AuditRecord, AuditResult, S3AuditSink
from strongroom.compliance import metrics_compliance, observe_bodies
from strongroom.metrics import OperatorMetrics, PolicyMetricsSnapshot
from strongroom.planner.compliance import evaluate, overall

_EXPORTED = {"True": 1.0, "False": 0.0}


def exported_compliance(namespace: str, name: str, verdicts: Any) -> dict[str, float]:
    """What OperatorMetrics exports as strongroom_policy_compliant for these verdicts."""
    from prometheus_client.parser import text_string_to_metric_families  # noqa: PLC0415

    metrics = OperatorMetrics()
    metrics.observe_policy(
        namespace,
        name,
        PolicyMetricsSnapshot(engine="postgresql", compliance=metrics_compliance(verdicts)),
    )
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == "strongroom_policy_compliant":
                values[sample.labels["check"]] = sample.value
    return values


def same(left: float, right: float) -> bool:
    return (math.isnan(left) and math.isnan(right)) or left == right


def test_report_equals_evaluate_and_the_metrics_lists_the_unprotected_and_the_trail(
    cluster: LocalCluster, namespace: str, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    # Given the CRDs, a healthy and a neglected policy, their Backups with operator statuses
    given_strongroom_crds(cluster)
    given_policy(cluster, namespace, "orders", host="shop-db", key_created=now - timedelta(days=10))
    given_policy(
        cluster,
        namespace,
        "payments",
        host=f"payments-db.{namespace}.svc.cluster.local",
        key_created=now - timedelta(days=120),
    )
    newest = (now - timedelta(hours=6)).replace(second=0, microsecond=0)
    given_backup(cluster, namespace, "orders", newest - timedelta(days=1))
    given_backup(cluster, namespace, "orders", newest, verified="Passed")
    given_backup(cluster, namespace, "payments", newest - timedelta(days=3), verified="Passed")
    given_backup(cluster, namespace, "payments", newest - timedelta(days=1), phase="Failed")
    # and Services: two that the policies name, one MySQL Service that no policy names
    given_service(cluster, namespace, "shop-db", 5432)
    given_service(cluster, namespace, "payments-db", 5432)
    given_service(cluster, namespace, "legacy-db", 3306)
    # and audit records in the bucket beside the backups
    store = store_for(s3_server, bucket, tmp_path)
    trail = [
        AuditRecord(
            time=now - timedelta(hours=h),
            actor="strongroom-operator",
            action=action,
            namespace=namespace,
            policy="orders",
            backup=f"orders-{newest:%Y%m%d%H%M}",
            key_id="orders-ring",
            key_version=2,
            result=AuditResult.SUCCEEDED,
            reason="Done",
        )
        for h, action in (
            (5, AuditAction.VERIFICATION),
            (6, AuditAction.BACKUP),
            (50, AuditAction.KEY_ROTATE),
        )
    ]
    S3AuditSink(store, "prod").write_all(trail)

    # When the report runs as the real command against the cluster
    code, report = run_report(
        cluster, "-n", namespace,
        "--audit-bucket", bucket, "--audit-prefix", "prod", "--audit-region", REGION,
        "--audit-endpoint", s3_server.endpoint_url, "--audit-path-style",
        "--audit-credentials-file", str(credentials_file(tmp_path)), "--since", "2d",
    )  # fmt: skip
    checked_at = datetime.now(UTC)

    # Then each policy's verdicts are evaluate()'s for the same objects
    backups = list_objects(cluster, "backups.strongroom.dev", namespace=namespace)
    by_name = {p["name"]: p for p in report["policies"]}
    assert sorted(by_name) == ["orders", "payments"]
    for name, policy_report in by_name.items():
        body = get(cluster, "backuppolicy", name, namespace=namespace)
        assert body is not None
        spec = BackupPolicySpec.model_validate(body["spec"])
        observed, _ = observe_bodies(body, backups)
        verdicts = evaluate(spec, observed, checked_at)
        assert {c: (v["status"], v["reason"]) for c, v in policy_report["checks"].items()} == {
            v.check.value: (v.status, str(v.reason)) for v in verdicts
        }
        status, reason = overall(verdicts)
        assert (policy_report["compliant"], policy_report["compliantReason"]) == (status, reason)
        # and equal what OperatorMetrics exports for the same snapshot
        exported = exported_compliance(namespace, name, verdicts)
        for check, verdict in policy_report["checks"].items():
            assert same(exported[check], _EXPORTED.get(verdict["status"], math.nan)), check
        assert same(exported["all"], _EXPORTED.get(policy_report["compliant"], math.nan))

    orders, payments = by_name["orders"], by_name["payments"]
    assert orders["compliant"] == "True"
    assert orders["verification"]["level"] == "equivalence"
    assert orders["verification"]["measuredRTOSeconds"] == 80.0
    assert orders["encryption"]["keyVersion"] == 2
    assert payments["compliant"] == "False"
    assert payments["checks"]["encryption"]["reason"] == "KeyTooOld"
    assert payments["checks"]["rpo"]["reason"] == "BackupTooOld"
    assert len(payments["openFailures"]) == 1

    # and the MySQL Service no policy names is listed, the named ones are not
    assert [(u["kind"], u["name"], u["engine"]) for u in report["unprotectedDatabases"]] == [
        ("Service", "legacy-db", "mysql")
    ]
    # and the audit trail of the last two days came from the bucket, oldest first
    assert [r["action"] for r in report["auditTrail"]] == ["backup", "verification"]
    assert report["compliant"] is False
    assert code == 1

    # and across all namespaces, --policy narrows the policies but not what protects a Service
    _, everywhere = run_report(cluster, "-A", "--policy", "orders")
    assert (namespace, "orders") in {(p["namespace"], p["name"]) for p in everywhere["policies"]}
    assert {p["name"] for p in everywhere["policies"]} == {"orders"}
    mine = [u["name"] for u in everywhere["unprotectedDatabases"] if u["namespace"] == namespace]
    assert mine == ["legacy-db"]
