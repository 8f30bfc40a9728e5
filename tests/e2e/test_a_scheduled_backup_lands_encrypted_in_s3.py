"""Story: a platform team applies a per-minute policy; a backup runs and lands, encrypted, in S3.

Given a real database with a store in it, an S3 bucket and the two login Secrets,
when the team applies a BackupPolicy with schedule ``* * * * *``,
then a Backup appears for the next minute, its Job runs the agent in a restricted pod, the
encrypted data object and its manifest are in the bucket (and the data is not plaintext),
```kubectl get backuppolicies`` shows LAST BACKUP, a verify Job proves the backup's integrity
so COMPLIANT turns True, /metrics carries the policy's last-success timestamp and compliance,
and the key ring Secret was created with a KeyRingCreated Event.
"""

from __future__ import annotations

import json

import pytest
from steps import (
    event_reasons,
    given_a_policy,
    phase,
    printed_columns,
    s3_get,
    s3_keys,
    the_store,
    then_backups_finish,
    wait_until,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import get
from tests.support.operator import OperatorProcess
from tests.support.s3 import S3Server


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_a_per_minute_policy_produces_an_encrypted_backup(
    *,
    engine: str,
    request: pytest.FixtureRequest,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    s3_server: S3Server,
    bucket: str,
) -> None:
    store = the_store(request, engine)
    # Given the database login, the bucket login and a fresh bucket,
    # when a policy is applied with a per-minute schedule
    given_a_policy(cluster, namespace, "shop", store, s3_server, bucket)

    # Then a Backup for the next minute runs and succeeds
    (backup,) = then_backups_finish(cluster, namespace, "shop", count=1, timeout=150)
    status = backup["status"]
    assert phase(backup) == "Succeeded", status
    assert backup["metadata"]["name"].startswith("shop-2")
    assert status["tables"] > 0
    assert status["keyId"] == "shop-keyring"
    assert status["keyVersion"] == 1

    # And the encrypted object and its manifest are in the bucket, and the data is not plaintext
    keys = s3_keys(s3_server, bucket)
    assert status["dataKey"] in keys
    assert status["manifestKey"] in keys
    assert status["dataKey"].startswith(f"e2e/{namespace}/shop/")
    data = s3_get(s3_server, bucket, status["dataKey"])
    assert len(data) == status["sizeBytes"]
    assert b"CREATE TABLE" not in data
    assert b"INSERT INTO" not in data
    manifest = json.loads(s3_get(s3_server, bucket, status["manifestKey"]))
    assert manifest  # parsed JSON with the wrapped key entries

    # And the Job ran under the restricted pod security the namespace enforces
    job = get(cluster, "job", status["jobName"], namespace=namespace)
    assert job is not None
    pod_spec = job["spec"]["template"]["spec"]
    assert pod_spec["automountServiceAccountToken"] is False
    assert pod_spec["serviceAccountName"] == "strongroom-job"
    assert "env" not in pod_spec["containers"][0]

    # And the per-Job data-key Secret is gone once the run ended
    assert get(cluster, "secret", f"{status['jobName']}-key", namespace=namespace) is None

    # And kubectl shows the last backup, the compliance verdict and the key age
    def columns_filled() -> dict[str, str]:
        cols = printed_columns(cluster, namespace, "shop")
        return cols if cols.get("LAST BACKUP") not in {None, "", "<none>"} else {}

    wait_until(columns_filled, timeout=30, what="LAST BACKUP column")

    # And the backup is verified (integrity) by a verify Job, which makes the policy compliant
    def compliant() -> dict[str, str]:
        cols = printed_columns(cluster, namespace, "shop")
        return cols if cols.get("COMPLIANT") == "True" and cols.get("LAST VERIFIED") else {}

    columns = wait_until(compliant, timeout=120, what="COMPLIANT True after verification")
    policy = get(cluster, "backuppolicy", "shop", namespace=namespace)
    assert policy is not None
    assert policy["status"]["complianceChecks"]["rpo"]["status"] == "True"
    assert columns["KEY AGE"] not in {"", "<none>"}

    # And /metrics has the policy's last-success timestamp and its compliance
    def exported() -> bool:
        text = operator.metrics()
        assert any(
            line.startswith("strongroom_policy_compliant{")
            and f'namespace="{namespace}"' in line
            and 'policy="shop"' in line
            and 'check="all"' in line
            and line.endswith(" 1.0")
            for line in text.splitlines()
        )
        return any(
            line.startswith("strongroom_backup_last_success_timestamp_seconds{")
            and f'namespace="{namespace}"' in line
            and 'policy="shop"' in line
            and not line.rstrip().endswith(" 0.0")
            for line in text.splitlines()
        )

    wait_until(exported, timeout=30, what="the last-success metric")

    # And the key ring was created once, with an Event saying so
    assert get(cluster, "secret", "shop-keyring", namespace=namespace) is not None
    reasons = event_reasons(cluster, namespace, "shop")
    assert "KeyRingCreated" in reasons
    assert "BackupCreated" in reasons
    assert "BackupSucceeded" in reasons
