"""A pod active longer than its activeDeadlineSeconds is stopped; it fails, DeadlineExceeded."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import (
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    apply,
    wait_for_pod_end,
)


def test_a_pod_past_its_deadline_fails_with_deadline_exceeded(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a pod that would sleep for ten minutes but may only be active for two seconds
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "slow"},
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": 2,
            "terminationGracePeriodSeconds": 1,
            "securityContext": RESTRICTED_POD,
            "containers": [
                {
                    "name": "main",
                    "image": "busybox",
                    "command": ["sh", "-c", "echo started; exec sleep 600"],
                    "securityContext": RESTRICTED_CONTAINER,
                }
            ],
        },
    }
    apply(cluster, pod, namespace=namespace)

    # Then it is stopped and fails with the kubelet's reason
    done = wait_for_pod_end(cluster, "slow", namespace=namespace, timeout=30)
    assert done["status"]["phase"] == "Failed", done["status"]
    assert done["status"]["reason"] == "DeadlineExceeded"
    terminated = done["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] != 0
    assert cluster.kubelet is not None
    assert cluster.kubelet.log_path(namespace, "slow", "main").read_text() == "started\n"
