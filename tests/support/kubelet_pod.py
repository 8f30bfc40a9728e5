"""The life of one pod on the process kubelet, from bound to terminated (and deleted).

Order of events, as on a real node: status ``Pending`` with waiting containers; images looked
up in the image table (unknown → ``ErrImagePull``, the pod never runs); volumes written; init
containers one after the other (native sidecars — init containers with ``restartPolicy:
Always`` — keep running); then all containers at once. The pod is done when every regular
container has terminated under its restart policy; sidecars are then stopped. Status is written
with merge patches and only moves forward. ``deletionTimestamp`` stops the process groups
(SIGTERM, SIGKILL after the grace period) and the pod is then deleted with grace period 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.kubeapi import ApiError, KubeAPI
from tests.support.kubelet_containers import Container, now
from tests.support.kubelet_images import ImageEntry, lookup
from tests.support.kubelet_launch import launch, service_account_token
from tests.support.kubelet_spec import NotReady, Resolver, container_env, materialise

log = logging.getLogger("kubelet")


@dataclass(frozen=True)
class NodeContext:
    """What every pod worker shares: API access, image table, directories, identity marker."""

    api: KubeAPI
    images: Mapping[str, ImageEntry]
    state_dir: Path
    node_name: str
    marker: tuple[str, str]
    service_env: Mapping[str, str]


class PodWorker(threading.Thread):
    """Runs one pod; ``update()`` feeds it the latest object from the watch."""

    def __init__(self, ctx: NodeContext, pod: dict[str, Any]) -> None:
        super().__init__(
            name=f"pod-{pod['metadata']['namespace']}/{pod['metadata']['name']}", daemon=True
        )
        self.ctx = ctx
        self.pod = pod
        meta = pod["metadata"]
        self.path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
        self.dir = ctx.state_dir / "pods" / meta["uid"]
        self.wake = threading.Event()
        self.deleting = False
        self.gone = False
        self.terminating = False
        self.finishing = False
        self.lock = threading.RLock()
        self.started_at = now()
        self.start_mono = time.monotonic()
        logs = ctx.state_dir / "logs" / meta["namespace"] / meta["name"]
        spec = pod["spec"]

        def make(c: dict[str, Any], sidecar: bool) -> Container:
            return Container(
                spec=c,
                image_id="",
                log=logs / f"{c['name']}.log",
                termination_file=self.dir / "termination" / c["name"],
                sidecar=sidecar,
            )

        self.inits = [
            make(c, c.get("restartPolicy") == "Always") for c in spec.get("initContainers") or []
        ]
        self.mains = [make(c, False) for c in spec["containers"]]
        for c in self.mains:
            c.waiting("PodInitializing" if self.inits else "ContainerCreating")
        self.phase = "Pending"
        self.reason: str | None = None
        self.message: str | None = None
        self.initialized = not self.inits

    # -- inputs from the watch --------------------------------------------------------------
    def update(self, pod: dict[str, Any]) -> None:
        """Take the latest pod object; a deletionTimestamp starts termination."""
        self.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self.deleting = True
        self.wake.set()

    def vanish(self) -> None:
        """The pod object is gone: kill everything now."""
        self.gone = self.deleting = True
        self.wake.set()

    # -- status ----------------------------------------------------------------------------
    def push(self) -> None:
        """Write the current status with a merge patch (lists replaced whole)."""
        with self.lock:
            if self.gone:
                return
            running = [c for c in self.mains if c.running]
            ready = bool(self.mains) and len(running) == len(self.mains) and self.phase == "Running"
            cond = {
                "PodReadyToStartContainers": True,
                "PodScheduled": True,
                "Initialized": self.initialized,
                "ContainersReady": ready,
                "Ready": ready,
            }
            status: dict[str, Any] = {
                "phase": self.phase,
                "hostIP": "127.0.0.1",
                "hostIPs": [{"ip": "127.0.0.1"}],
                "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}],
                "startTime": self.started_at,
                "conditions": [
                    {"type": t, "status": str(v), "lastTransitionTime": self.started_at}
                    for t, v in cond.items()
                ],
                "containerStatuses": [c.status(c.spec.get("image", "")) for c in self.mains],
                "reason": self.reason,
                "message": self.message,
            }
            if self.inits:
                status["initContainerStatuses"] = [
                    c.status(c.spec.get("image", "")) for c in self.inits
                ]
            try:
                self.ctx.api.request(
                    "PATCH",
                    f"{self.path}/status",
                    {"status": status},
                    content_type="application/merge-patch+json",
                )
            except ApiError as exc:
                if exc.status != 404:
                    log.warning("status of %s not written: %s", self.name, exc)

    # -- the life cycle ----------------------------------------------------------------------
    def run(self) -> None:
        """Run the pod to its end, then honour deletion."""
        try:
            self._live()
        except Exception:
            log.exception("pod worker %s failed", self.name)
            self.phase, self.reason, self.message = (
                "Failed",
                "KubeletError",
                "the process kubelet failed; see kubelet.log",
            )
        finally:
            for c in self.inits + self.mains:
                c.stop(0)
            self.push()
        while not self.deleting:
            self.wake.wait(5)
            self.wake.clear()
        self.delete()

    def _wait(self, seconds: float) -> None:
        self.wake.wait(seconds)
        self.wake.clear()

    def _live(self) -> None:  # noqa: PLR0912 - the pod life cycle reads best in one place
        self.push()
        entries = self._images()
        if entries is None:
            while not self.deleting:
                self._wait(5)
            return
        volumes = self._retry(self._volumes)
        if volumes is None:
            return
        self.initialized = True
        sidecars: list[threading.Thread] = []
        for container in self.inits:
            self.initialized = False
            if container.sidecar:
                sidecar = threading.Thread(
                    target=self._run_to_end,
                    args=(container, entries[container.name], volumes),
                    daemon=True,
                )
                sidecar.start()
                sidecars.append(sidecar)
                # The next container starts once the sidecar's process runs (no startupProbe here).
                while not (container.running or container.exit_code is not None or self.deleting):
                    self._wait(0.05)
                continue
            if not self._run_to_end(container, entries[container.name], volumes):
                self.phase = "Failed"
                return
        self.initialized = True
        self.phase = "Running"
        threads = [
            threading.Thread(
                target=self._run_to_end, args=(c, entries[c.name], volumes), daemon=True
            )
            for c in self.mains
        ]
        for t in threads:
            t.start()
        deadline = self.pod["spec"].get("activeDeadlineSeconds")
        while any(t.is_alive() for t in threads):
            if self.deleting:
                self._terminate()
            elif deadline is not None and time.monotonic() - self.start_mono > deadline:
                self.reason, self.message = (
                    "DeadlineExceeded",
                    "Pod was active on the node longer than the specified deadline",
                )
                self._terminate()
            self._wait(1)
        for t in threads:
            t.join()
        failed = self.reason is not None or any(c.exit_code != 0 for c in self.mains)
        # Native sidecars are stopped once every regular container has terminated.
        self.finishing = True
        for c in self.inits:
            if c.sidecar:
                c.stop(self._grace())
        for sidecar in sidecars:
            sidecar.join()
        self.phase = "Failed" if failed else "Succeeded"

    def _grace(self) -> float:
        meta, spec = self.pod["metadata"], self.pod["spec"]
        grace = meta.get("deletionGracePeriodSeconds")
        return float(spec.get("terminationGracePeriodSeconds", 30) if grace is None else grace)

    def _terminate(self) -> None:
        if self.terminating and not self.gone:
            return
        self.terminating = True
        grace = 0.0 if self.gone else self._grace()
        for c in self.mains + self.inits:
            threading.Thread(target=c.stop, args=(grace,), daemon=True).start()

    def _retry(self, step: Callable[[], dict[str, Path]]) -> dict[str, Path] | None:
        while not self.deleting:
            try:
                return step()
            except NotReady as exc:
                for c in self.inits[:1] or self.mains:
                    c.waiting(exc.reason, exc.message)
                self.push()
                self._wait(2)
        return None

    def _images(self) -> dict[str, ImageEntry] | None:
        entries: dict[str, ImageEntry] = {}
        unknown = False
        for c in self.inits + self.mains:
            image = c.spec.get("image", "")
            entry = lookup(self.ctx.images, image)
            if entry is None:
                unknown = True
                known = ", ".join(sorted(self.ctx.images)) or "none"
                c.waiting(
                    "ErrImagePull",
                    f'image "{image}" is not in the process kubelet\'s image table '
                    f"(known: {known}); add an ImageEntry for it",
                )
            else:
                entries[c.name] = entry
                c.image_id = f"process-kubelet://{image}"
        if unknown:
            self.push()
            return None
        return entries

    def _volumes(self) -> dict[str, Path]:
        resolver = Resolver(self.ctx.api, self.pod["metadata"]["namespace"])
        fs_group = (self.pod["spec"].get("securityContext") or {}).get("fsGroup")
        return {
            v["name"]: materialise(
                self.pod,
                v,
                self.dir / "volumes" / v["name"],
                resolver=resolver,
                fs_group=fs_group,
                token=self._token,
            )
            for v in self.pod["spec"].get("volumes") or []
        }

    def _token(self, source: Mapping[str, Any]) -> str:
        return service_account_token(self.ctx.api, self.pod, source)

    def _start(self, container: Container, entry: ImageEntry, volumes: Mapping[str, Path]) -> None:
        resolver = Resolver(self.ctx.api, self.pod["metadata"]["namespace"])
        argv, env = launch(
            self.pod,
            container,
            entry,
            volumes,
            env=dict(self.ctx.service_env) | container_env(self.pod, container.spec, resolver),
        )
        container.start(argv, env | {self.ctx.marker[0]: self.ctx.marker[1]})
        log.info("started %s/%s: %s", self.name, container.name, argv[argv.index("--") + 1 :])
        self.push()

    def _run_to_end(
        self, container: Container, entry: ImageEntry, volumes: Mapping[str, Path]
    ) -> bool:
        """Run (and restart per policy) until done; True if it ended successfully."""
        policy = self.pod["spec"].get("restartPolicy", "Always")
        backoff = 1.0
        while True:
            try:
                self._start(container, entry, volumes)
            except NotReady as exc:
                container.waiting(exc.reason, exc.message)
                self.push()
                if self.deleting:
                    return False
                self._wait(2)
                continue
            code = container.wait()
            self.push()
            self.wake.set()
            if container.sidecar:
                policy = "Always"
            again = policy == "Always" or (policy == "OnFailure" and code != 0)
            if not again or self.deleting or self.reason or self.finishing:
                return code == 0
            time.sleep(backoff)
            backoff = min(backoff * 2, 10)
            container.restart_count += 1

    def delete(self) -> None:
        uid = self.pod["metadata"]["uid"]
        body = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": uid},
        }
        try:
            self.ctx.api.request("DELETE", self.path, body)
        except ApiError as exc:
            if exc.status not in {404, 409}:
                log.warning("could not delete %s: %s", self.name, exc)
