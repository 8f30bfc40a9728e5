"""A pod active longer than its activeDeadlineSeconds is stopped; it fails, DeadlineExceeded."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import RESTRICTED_CONTAINER, apply, wait_for


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
            "securityContext": {
                "runAsUser": 1000,
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
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
    done = wait_for(
        cluster,
        "pod",
        "slow",
        lambda p: p.get("status", {}).get("phase") == "Failed",
        namespace=namespace,
        timeout=30,
        what="phase Failed",
    )
    assert done["status"]["reason"] == "DeadlineExceeded"
    terminated = done["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] != 0
    assert cluster.kubelet is not None
    assert cluster.kubelet.log_path(namespace, "slow", "main").read_text() == "started\n"
