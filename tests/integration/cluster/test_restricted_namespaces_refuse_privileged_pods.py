"""Pod Security admission is real: a restricted namespace refuses a privileged pod."""

from __future__ import annotations

import json

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import RESTRICTED_CONTAINER, get


def pod(name: str, security: dict[str, object], pod_security: dict[str, object]) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "securityContext": pod_security,
                "containers": [
                    {
                        "name": "main",
                        "image": "busybox",
                        "command": ["true"],
                        "securityContext": security,
                    }
                ],
            },
        }
    )


def test_a_privileged_pod_is_refused_and_a_restricted_one_accepted(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given the namespace enforces the restricted standard
    labels = json.loads(cluster.kubectl("get", "namespace", namespace, "-o", "json").stdout)[
        "metadata"
    ]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"

    # When a privileged pod is created, the API server refuses it and says why
    refused = cluster.kubectl(
        "create",
        "-n",
        namespace,
        "-f",
        "-",
        input=pod("root", {"privileged": True}, {}),
        check=False,
    )
    assert refused.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in refused.stderr
    assert "privileged" in refused.stderr
    assert get(cluster, "pod", "root", namespace=namespace) is None

    # And a pod meeting the standard is accepted
    accepted = pod("fine", RESTRICTED_CONTAINER, {"runAsUser": 1000})
    cluster.kubectl("create", "-n", namespace, "-f", "-", input=accepted)
    assert get(cluster, "pod", "fine", namespace=namespace) is not None
