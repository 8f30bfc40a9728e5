"""A pod's init containers run in order, then its containers together beside a native sidecar."""

from __future__ import annotations

from typing import Any

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import (
    RESTRICTED_CONTAINER,
    RESTRICTED_POD,
    apply,
    wait_for_pod_end,
)

SIDECAR = """
echo sidecar-up >> /shared/order
trap 'echo sidecar-stopped; exit 0' TERM
while true; do sleep 0.2; done
"""
WORKER = """
until grep -q sidecar-up /shared/order; do sleep 0.1; done
cat /shared/order
echo mode=$MODE level=$CFG_LEVEL
cat /info/labels; echo
"""


def container(name: str, script: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": "busybox",
        "command": ["sh", "-c", script],
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [{"name": "shared", "mountPath": "/shared"}],
    } | extra


def test_init_containers_sidecars_and_containers_run_in_kubernetes_order(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a ConfigMap and a pod with two init containers, a native sidecar and two containers
    apply(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"MODE": "full", "LEVEL": "3"},
        },
        namespace=namespace,
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "story", "labels": {"app": "story"}},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {**RESTRICTED_POD, "fsGroup": 1000},
            "volumes": [
                {"name": "shared", "emptyDir": {}},
                {
                    "name": "info",
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    },
                },
            ],
            "initContainers": [
                container("first", "echo first >> /shared/order"),
                container("second", "echo second >> /shared/order"),
                container(
                    "sidecar",
                    SIDECAR,
                    restartPolicy="Always",
                ),
            ],
            "containers": [
                container(
                    "worker",
                    WORKER,
                    envFrom=[{"configMapRef": {"name": "settings"}}],
                    env=[
                        {
                            "name": "CFG_LEVEL",
                            "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "LEVEL"}},
                        }
                    ],
                    volumeMounts=[
                        {"name": "shared", "mountPath": "/shared"},
                        {"name": "info", "mountPath": "/info"},
                    ],
                ),
                container(
                    "reporter",
                    "sleep 1; echo the reason it failed; exit 3",
                    terminationMessagePolicy="FallbackToLogsOnError",
                ),
            ],
        },
    }
    apply(cluster, pod, namespace=namespace)

    # Then the pod ends Failed (one container exited 3) once both containers have terminated
    done = wait_for_pod_end(cluster, "story", namespace=namespace)
    assert done["status"]["phase"] == "Failed"
    states = {c["name"]: c["state"] for c in done["status"]["containerStatuses"]}
    assert states["worker"]["terminated"]["exitCode"] == 0
    assert states["reporter"]["terminated"]["exitCode"] == 3
    assert states["reporter"]["terminated"]["message"].strip() == "the reason it failed"

    # And the init containers ran in order, the sidecar ran beside the containers and stopped after
    assert cluster.kubelet is not None
    worker_log = cluster.kubelet.log_path(namespace, "story", "worker").read_text()
    assert worker_log.splitlines()[:3] == ["first", "second", "sidecar-up"]
    assert "mode=full level=3" in worker_log
    assert 'app="story"' in worker_log
    inits = {c["name"]: c for c in done["status"]["initContainerStatuses"]}
    assert inits["first"]["state"]["terminated"]["exitCode"] == 0
    assert "terminated" in inits["sidecar"]["state"]
    assert inits["sidecar"]["state"]["terminated"]["exitCode"] == 0
    sidecar_log = cluster.kubelet.log_path(namespace, "story", "sidecar").read_text()
    assert sidecar_log.splitlines()[-1] == "sidecar-stopped"
