"""A pod of the strongroom image reaches the API server with its projected ServiceAccount token.

The operator's Jobs may report back through the API, so the projected token, the CA bundle and
KUBERNETES_SERVICE_HOST/PORT must work as in a real cluster, and RBAC must apply to the pod.
"""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import RESTRICTED_CONTAINER, apply, wait_for_pod_end

PROBE = """
import json, os, ssl, urllib.request, urllib.error
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
ctx = ssl.create_default_context(cafile=f"{sa}/ca.crt")
ns = open(f"{sa}/namespace").read()
url = f"https://{os.environ['KUBERNETES_SERVICE_HOST']}:{os.environ['KUBERNETES_SERVICE_PORT']}"
token = open(f"{sa}/token").read()
req = urllib.request.Request(
    f"{url}/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt",
    headers={"Authorization": "Bearer " + token},
)
try:
    with urllib.request.urlopen(req, context=ctx) as r:
        print("status", r.status)
except urllib.error.HTTPError as e:
    print("status", e.code, json.load(e)["message"])
    e.close()
print("uid", os.getuid())
"""


def test_the_projected_token_authenticates_the_pod_and_rbac_applies(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a pod of the strongroom image (non-root, Python from the checkout's virtualenv)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe"},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "main",
                    "image": "ghcr.io/strongroom/strongroom:dev",
                    "command": ["python", "-c", PROBE],
                    "securityContext": RESTRICTED_CONTAINER,
                }
            ],
        },
    }
    apply(cluster, pod, namespace=namespace)

    # Then it ran as the image's non-root user and was authenticated as its ServiceAccount,
    # which RBAC does not (yet) allow to read ConfigMaps
    done = wait_for_pod_end(cluster, "probe", namespace=namespace)
    assert cluster.kubelet is not None
    output = cluster.kubelet.log_path(namespace, "probe", "main").read_text()
    assert done["status"]["phase"] == "Succeeded", output
    assert "uid 65532" in output
    user = f"system:serviceaccount:{namespace}:default"
    assert f'status 403 configmaps "kube-root-ca.crt" is forbidden: User "{user}"' in output
