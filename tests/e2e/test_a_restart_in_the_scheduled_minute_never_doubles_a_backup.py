"""Story: the operator is killed and restarted in the scheduled minute; one Backup, one Job.

Given a per-minute policy,
when the operator is killed (SIGKILL) right after it created the Backup of a slot, and started
again within the same minute,
then that slot has exactly one Backup and one Job (deterministic names meet 409), and the run
still completes successfully.
"""

from __future__ import annotations

from steps import (
    backups_of,
    given_a_policy,
    phase,
    then_backups_finish,
    wait_until,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import list_objects
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server


def test_killing_the_operator_in_the_slot_minute_leaves_one_backup(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a per-minute policy
    given_a_policy(cluster, namespace, "cart", pg_store, s3_server, bucket)

    # When the operator is killed as soon as the slot's Backup exists, and restarted at once
    (first,) = wait_until(
        lambda: backups_of(cluster, namespace, "cart"),
        timeout=90,
        what="the slot's Backup",
        every=0.2,
    )
    operator.kill()
    operator.start()

    # Then the run completes
    (done,) = then_backups_finish(cluster, namespace, "cart", count=1, timeout=120)
    assert phase(done) == "Succeeded", done["status"]

    # And the slot has exactly one Backup and one backup Job
    slot = first["spec"]["scheduledTime"]
    same_slot = [
        b for b in backups_of(cluster, namespace, "cart") if b["spec"]["scheduledTime"] == slot
    ]
    assert [b["metadata"]["name"] for b in same_slot] == [first["metadata"]["name"]]
    jobs = list_objects(
        cluster,
        "jobs",
        namespace=namespace,
        selector=f"strongroom.dev/backup={first['metadata']['name']},strongroom.dev/role=backup",
    )
    assert len(jobs) == 1
