"""The process kubelet's node loop: register the Node, bind pending pods, hand pods to workers.

There is no scheduler: every pending pod that asks for the default scheduler is bound to this
node through the ``pods/binding`` subresource, as kube-scheduler would. Pods are followed with a
watch (no polling), resumed from the last resourceVersion after a disconnect and re-listed after
``410 Gone``.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from typing import Any

from tests.support.kubeapi import ApiError
from tests.support.kubelet_pod import NodeContext, PodWorker

log = logging.getLogger("kubelet")

_CAPACITY = {"cpu": "8", "memory": "16Gi", "pods": "250", "ephemeral-storage": "100Gi"}


class Kubelet:
    """One fake node and the workers of the pods bound to it."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        self.workers: dict[str, PodWorker] = {}
        self.stopping = threading.Event()

    def node(self) -> dict[str, Any]:
        """The Node object this kubelet registers."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ready = {
            "type": "Ready",
            "status": "True",
            "reason": "KubeletReady",
            "message": "process kubelet is ready",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.ctx.node_name,
                "labels": {
                    "kubernetes.io/hostname": self.ctx.node_name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                },
            },
            "status": {
                "capacity": _CAPACITY,
                "allocatable": _CAPACITY,
                "conditions": [ready],
                "addresses": [
                    {"type": "InternalIP", "address": "127.0.0.1"},
                    {"type": "Hostname", "address": self.ctx.node_name},
                ],
                "nodeInfo": {
                    "kubeletVersion": "v1.35.4",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "containerRuntimeVersion": "process://bwrap",
                    "kernelVersion": platform.release(),
                    "osImage": "process kubelet",
                    "kubeProxyVersion": "",
                    "machineID": "",
                    "systemUUID": "",
                    "bootID": "",
                },
            },
        }

    def register(self) -> None:
        """Create (or refresh) the Node with a Ready condition."""
        node = self.node()
        try:
            self.ctx.api.request("POST", "/api/v1/nodes", node)
        except ApiError as exc:
            if exc.status != 409:
                raise
        self.ctx.api.merge_patch(
            f"/api/v1/nodes/{self.ctx.node_name}/status", {"status": node["status"]}
        )

    def run(self) -> None:
        """List and watch pods until :attr:`stopping` is set."""
        while not self.stopping.is_set():
            try:
                listing = self.ctx.api.get("/api/v1/pods")
                for pod in listing["items"]:
                    self.handle("ADDED", pod)
                version = listing["metadata"]["resourceVersion"]
                while not self.stopping.is_set():
                    for event in self.ctx.api.watch("/api/v1/pods", version):
                        obj = event["object"]
                        if event["type"] == "ERROR":
                            raise ApiError(  # noqa: TRY301 - handled below like any watch failure
                                int(obj.get("code", 500)),
                                "WATCH",
                                "/api/v1/pods",
                                str(obj.get("message")),
                            )
                        version = obj["metadata"]["resourceVersion"]
                        if event["type"] != "BOOKMARK":
                            self.handle(event["type"], obj)
            except ApiError as exc:
                if exc.status != 410:
                    log.warning("pod watch failed, re-listing: %s", exc)
                    self.stopping.wait(1)
            except Exception as exc:
                log.warning("pod watch disconnected, re-listing: %r", exc)
                self.stopping.wait(1)

    def handle(self, kind: str, pod: dict[str, Any]) -> None:
        """React to one pod event."""
        meta, spec = pod["metadata"], pod["spec"]
        uid, node = meta["uid"], spec.get("nodeName")
        worker = self.workers.get(uid)
        if kind == "DELETED":
            if worker is not None:
                worker.vanish()
                del self.workers[uid]
            return
        if not node:
            if spec.get(
                "schedulerName", "default-scheduler"
            ) == "default-scheduler" and not meta.get("deletionTimestamp"):
                self._bind(pod)
            return
        if node != self.ctx.node_name:
            return
        if worker is not None:
            worker.update(pod)
            return
        phase = (pod.get("status") or {}).get("phase")
        if meta.get("deletionTimestamp") or phase in {"Succeeded", "Failed"}:
            worker = PodWorker(self.ctx, pod)
            if meta.get("deletionTimestamp"):
                worker.delete()  # never ran here (or ran before a kubelet restart)
            return
        worker = PodWorker(self.ctx, pod)
        self.workers[uid] = worker
        worker.start()

    def _bind(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.ctx.node_name},
        }
        try:
            self.ctx.api.request(
                "POST",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding",
                binding,
            )
        except ApiError as exc:
            if exc.status not in {404, 409}:
                log.warning("could not bind %s/%s: %s", meta["namespace"], meta["name"], exc)

    def shutdown(self) -> None:
        """Stop watching and kill every container at once (the API may already be gone)."""
        self.stopping.set()
        for worker in self.workers.values():
            worker.gone = True
            for container in worker.inits + worker.mains:
                container.stop(0)
