"""Story: the operator is killed while a restore runs; after its restart the restore finishes
once — one Job, one pod, one RestoreStarted — and the target holds exactly the backup.

Given a backup and a Restore whose Job has been created,
when the operator is killed (SIGKILL) and started again,
then the same Job is followed to its end, no second Job or pod ever appears, the Restore
succeeds and the restored tables' fingerprints equal the source's.
"""

from __future__ import annotations

import pytest
from restore_steps import (
    fingerprints,
    given_a_backup,
    given_a_store_its_policy_and_an_empty_target,
    restore_status,
    when_restore,
)
from steps import event_reasons, wait_until
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import get, job_pods, list_objects
from tests.support.operator import OperatorProcess
from tests.support.s3 import S3Server


def test_a_restart_in_the_middle_of_a_restore_never_starts_a_second_one(
    *,
    request: pytest.FixtureRequest,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a backup and a Restore whose Job exists
    store, empty = given_a_store_its_policy_and_an_empty_target(
        request, "postgresql", namespace, s3_server, bucket
    )
    backup = given_a_backup(cluster, namespace, "shop")
    created = when_restore(cluster, namespace, empty.connection, backup, "--name", "r", "--no-wait")
    assert created.returncode == 0, created.stdout + created.stderr
    job = "r-restore"
    wait_until(
        lambda: get(cluster, "job", job, namespace=namespace),
        timeout=60,
        what="the restore Job",
        every=0.2,
    )

    # When the operator is killed and started again
    operator.kill()
    operator.start()

    # Then the same Job is followed to its end and the restore succeeds once
    def finished() -> dict[str, object]:
        status = restore_status(cluster, namespace, "r")
        return status if status.get("phase") in {"Succeeded", "Failed"} else {}

    status = wait_until(finished, timeout=150, what="the Restore to finish after the restart")
    assert status["phase"] == "Succeeded", status
    assert status["jobName"] == job
    restore_jobs = [
        j["metadata"]["name"]
        for j in list_objects(cluster, "jobs", namespace=namespace)
        if j["metadata"]["name"].endswith("-restore")
    ]
    assert restore_jobs == [job]
    assert len(job_pods(cluster, job, namespace=namespace)) == 1
    assert event_reasons(cluster, namespace, "r").count("RestoreStarted") == 1
    assert fingerprints("postgresql", empty.connection) == fingerprints(
        "postgresql", store.connection
    )
