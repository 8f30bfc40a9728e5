"""An image missing from the process kubelet's image table fails like a pull, and nothing runs."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import RESTRICTED_CONTAINER, RESTRICTED_POD, apply, wait_for


def waiting_reason(pod: dict[str, object]) -> str | None:
    statuses = pod.get("status", {}).get("containerStatuses") or []  # type: ignore[attr-defined]
    return statuses[0]["state"].get("waiting", {}).get("reason") if statuses else None


def test_an_unknown_image_is_reported_as_err_image_pull(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a pod whose image the kubelet does not know
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "typo"},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": RESTRICTED_POD,
            "containers": [
                {
                    "name": "main",
                    "image": "registry.example/strongroon:1.0",
                    "command": ["sh", "-c", "echo ran"],
                    "securityContext": RESTRICTED_CONTAINER,
                }
            ],
        },
    }
    apply(cluster, pod, namespace=namespace)

    # Then it waits with ErrImagePull and a message naming the image
    seen = wait_for(
        cluster,
        "pod",
        "typo",
        lambda p: waiting_reason(p) == "ErrImagePull",
        namespace=namespace,
        timeout=30,
        what="ErrImagePull",
    )
    message = seen["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    assert "registry.example/strongroon:1.0" in message
    assert seen["status"]["phase"] == "Pending"

    # And the command never ran
    assert cluster.kubelet is not None
    assert not cluster.kubelet.log_path(namespace, "typo", "main").exists()
