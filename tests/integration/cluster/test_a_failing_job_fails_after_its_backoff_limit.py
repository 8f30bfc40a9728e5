"""A Job whose command exits 1 is retried backoffLimit times by the Job controller, then fails."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, job_manifest, job_pods, wait_for_condition


def test_a_failing_job_reaches_failed_after_its_backoff_limit(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a Job whose command fails, allowed one retry
    job = job_manifest(
        "broken", command=["sh", "-c", "echo about to fail; exit 1"], backoff_limit=1
    )
    apply(cluster, job, namespace=namespace)

    # Then the Job controller gives up with BackoffLimitExceeded
    failed = wait_for_condition(
        cluster, "job", "broken", "Failed", namespace=namespace, timeout=120
    )
    condition = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert condition["reason"] == "BackoffLimitExceeded"
    assert failed["status"]["failed"] == 2

    # And exactly backoffLimit + 1 pods ran, each failed with exit code 1
    pods = job_pods(cluster, "broken", namespace=namespace)
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Failed"
        terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (terminated["exitCode"], terminated["reason"]) == (1, "Error")
        assert cluster.kubelet is not None
        assert (
            "about to fail"
            in cluster.kubelet.log_path(namespace, pod["metadata"]["name"], "main").read_text()
        )
