"""Story: a database nobody wrote a policy for is reported, and the report agrees with the metrics.

Given a policy that backs up the shop's PostgreSQL, and a PostgreSQL Service ``ledger`` that no
policy names,
then the operator exports strongroom_unprotected_databases 1 for the namespace, and
``strongroom report`` lists ``ledger`` as unprotected (exit code 1);
and once a backup has run, every verdict of the report equals strongroom_policy_compliant;
when a policy naming ``ledger`` is applied,
then the namespace's series disappears and the report lists nothing unprotected there.
"""

from __future__ import annotations

from typing import Any

from compliance_steps import same_verdict
from steps import (
    given_an_on_demand_policy,
    metric_value,
    policy_manifest,
    then_policy_condition,
    wait_until,
    when_backup_now,
    when_policy_applied,
)
from tests.integration.report.cluster_steps import given_service
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.report_steps import run_report
from tests.support.s3 import S3Server

#: Scan for unprotected databases every 2 s instead of every 5 minutes.
OPERATOR_SETTINGS = {"STRONGROOM_COVERAGE_INTERVAL": "2"}
UNPROTECTED = "strongroom_unprotected_databases"


def test_a_forgotten_database_is_reported_until_a_policy_names_it(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy protecting the shop's database, and a PostgreSQL Service nobody protects
    given_an_on_demand_policy(
        cluster, namespace, pg_store, s3_server, bucket, keep_last=2,
        verification={"level": "integrity"},
    )  # fmt: skip
    given_service(cluster, namespace, "ledger", 5432)

    # Then the operator counts it, and the report names it with its evidence
    wait_until(
        lambda: metric_value(operator.metrics(), UNPROTECTED, namespace=namespace) == 1.0,
        timeout=30, what=f"{UNPROTECTED}{{namespace={namespace}}} 1",
    )  # fmt: skip
    code, report = run_report(cluster, "-n", namespace)
    assert code == 1
    assert [(u["kind"], u["name"], u["engine"]) for u in report["unprotectedDatabases"]] == [
        ("Service", "ledger", "postgresql")
    ]
    assert "port 5432" in report["unprotectedDatabases"][0]["reason"]

    # And once a backup ran, the report's verdicts are the exported ones
    then_policy_condition(cluster, namespace, "orders", "Ready", "True")
    assert "Succeeded" in when_backup_now(cluster, namespace, "orders")
    wait_until(
        lambda: _verdicts_agree(operator, cluster, namespace, "orders"),
        timeout=60, what="the report's verdicts to equal strongroom_policy_compliant",
    )  # fmt: skip

    # When a policy names the forgotten database
    ledger = policy_manifest(
        "ledger", engine="postgresql", conn=pg_store.connection, bucket=bucket,
        endpoint=s3_server.endpoint_url, suspend=True,
    )  # fmt: skip
    ledger["spec"]["database"]["host"] = f"ledger.{namespace}.svc"
    when_policy_applied(cluster, namespace, ledger)

    # Then the namespace is covered: no series, nothing unprotected in the report
    wait_until(
        lambda: metric_value(operator.metrics(), UNPROTECTED, namespace=namespace) is None,
        timeout=30, what=f"{UNPROTECTED}{{namespace={namespace}}} to disappear",
    )  # fmt: skip
    _, covered = run_report(cluster, "-n", namespace)
    assert covered["unprotectedDatabases"] == []


def _verdicts_agree(
    operator: OperatorProcess, cluster: LocalCluster, namespace: str, policy: str
) -> bool:
    """Whether every check of the report and the overall verdict equal the exported gauges."""
    _, report = run_report(cluster, "-n", namespace, "--policy", policy)
    (found,) = report["policies"]
    checks: dict[str, Any] = found["checks"]
    if not checks:
        return False
    exported = operator.metrics()

    def gauge(check: str) -> float | None:
        return metric_value(
            exported, "strongroom_policy_compliant", namespace=namespace, policy=policy, check=check
        )

    pairs = [(gauge(name), check["status"]) for name, check in checks.items()]
    pairs.append((gauge("all"), found["compliant"]))
    return all(same_verdict(exported, status) for exported, status in pairs)
