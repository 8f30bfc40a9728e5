"""Given/When/Then helpers for tests against the local cluster.

They speak kubectl (the way a person would) and read objects back as JSON, so a test reads as
a story: ``given_secret(...)``, ``when_applied(...)``, ``then_condition(...)``. Waits re-read
the object twice a second until a predicate holds and fail with the last object seen.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from tests.support.cluster import LocalCluster

#: The securityContext a container needs under the restricted Pod Security Standard.
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
#: A pod securityContext the restricted standard admits: a fixed non-root user.
RESTRICTED_POD = {
    "runAsUser": 1000,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def create_namespace(
    cluster: LocalCluster, *, prefix: str = "t", pod_security: str | None = "restricted"
) -> str:
    """Create a uniquely named namespace and wait for its default ServiceAccount."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    labels = {"pod-security.kubernetes.io/enforce": pod_security} if pod_security else {}
    apply(
        cluster,
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}},
    )
    wait_for(cluster, "serviceaccount", "default", lambda _obj: True, namespace=name, timeout=30)
    return name


def delete_namespace(cluster: LocalCluster, name: str) -> None:
    """Delete a namespace without waiting (the kubelet stops its pods)."""
    cluster.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


def apply(
    cluster: LocalCluster, manifest: Mapping[str, Any] | str, *, namespace: str | None = None
) -> None:
    """``kubectl apply`` one manifest (a dict or YAML text)."""
    text = manifest if isinstance(manifest, str) else yaml.safe_dump(dict(manifest))
    cluster.kubectl("apply", *(["-n", namespace] if namespace else []), "-f", "-", input=text)


def get(
    cluster: LocalCluster, kind: str, name: str, *, namespace: str | None = None
) -> dict[str, Any] | None:
    """The object as JSON, or None if it does not exist."""
    args = ["get", kind, name, "-o", "json", *(["-n", namespace] if namespace else [])]
    result = cluster.kubectl(*args, check=False)
    if result.returncode != 0:
        if "NotFound" in result.stderr:
            return None
        raise AssertionError(f"kubectl {' '.join(args)}: {result.stderr}")
    obj: dict[str, Any] = json.loads(result.stdout)
    return obj


def list_objects(
    cluster: LocalCluster, kind: str, *, namespace: str, selector: str | None = None
) -> list[dict[str, Any]]:
    """Objects of ``kind`` in ``namespace`` (optionally by label selector)."""
    args = ["get", kind, "-n", namespace, "-o", "json", *(["-l", selector] if selector else [])]
    items: list[dict[str, Any]] = json.loads(cluster.kubectl(*args).stdout)["items"]
    return items


def wait_for(
    cluster: LocalCluster,
    kind: str,
    name: str,
    predicate: Callable[[dict[str, Any]], bool],
    *,
    namespace: str | None = None,
    timeout: float = 60,
    what: str = "the expected state",
) -> dict[str, Any]:
    """Re-read the object until ``predicate`` holds; return it, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        last = get(cluster, kind, name, namespace=namespace)
        if last is not None and predicate(last):
            return last
        time.sleep(0.5)
    status = json.dumps((last or {}).get("status"), indent=1)[:3000]
    raise AssertionError(
        f"{kind}/{name} did not reach {what} within {timeout:.0f}s; status: {status}"
    )


def wait_for_pod_end(
    cluster: LocalCluster, name: str, *, namespace: str, timeout: float = 60
) -> dict[str, Any]:
    """Wait until pod ``name`` has ended (phase Succeeded or Failed); return it."""
    return wait_for(
        cluster,
        "pod",
        name,
        lambda p: p.get("status", {}).get("phase") in {"Succeeded", "Failed"},
        namespace=namespace,
        timeout=timeout,
        what="a terminal phase",
    )


def has_condition(obj: Mapping[str, Any], condition: str, status: str = "True") -> bool:
    """True if ``obj.status.conditions`` has ``condition`` with ``status``."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == condition and c.get("status") == status for c in conditions)


def wait_for_condition(
    cluster: LocalCluster,
    kind: str,
    name: str,
    condition: str,
    *,
    namespace: str | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    """Wait until ``kind/name`` has ``condition=True``; return the object."""
    return wait_for(
        cluster,
        kind,
        name,
        lambda o: has_condition(o, condition),
        namespace=namespace,
        timeout=timeout,
        what=f"condition {condition}",
    )


def wait_for_gone(
    cluster: LocalCluster,
    kind: str,
    name: str,
    *,
    namespace: str | None = None,
    timeout: float = 60,
) -> None:
    """Wait until ``kind/name`` no longer exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get(cluster, kind, name, namespace=namespace) is None:
            return
        time.sleep(0.5)
    raise AssertionError(f"{kind}/{name} still exists after {timeout:.0f}s")


def job_pods(cluster: LocalCluster, job: str, *, namespace: str) -> list[dict[str, Any]]:
    """The pods the Job controller created for ``job``."""
    return list_objects(
        cluster, "pods", namespace=namespace, selector=f"batch.kubernetes.io/job-name={job}"
    )


def given_secret(
    cluster: LocalCluster, name: str, data: Mapping[str, str], *, namespace: str
) -> None:
    """A Secret with ``data`` as stringData."""
    apply(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "stringData": dict(data),
        },
        namespace=namespace,
    )


def job_manifest(
    name: str,
    *,
    command: list[str],
    image: str = "busybox:1.36",
    backoff_limit: int = 0,
    uid: int = 1000,
    container: Mapping[str, Any] | None = None,
    pod: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A Job passing the restricted Pod Security Standard; extra container/pod fields merge in."""
    main = {
        "name": "main",
        "image": image,
        "command": command,
        "securityContext": RESTRICTED_CONTAINER,
    } | dict(container or {})
    spec = {
        "restartPolicy": "Never",
        "securityContext": {
            "runAsUser": uid,
            "runAsGroup": uid,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [main],
    } | dict(pod or {})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": backoff_limit, "template": {"spec": spec}},
    }
