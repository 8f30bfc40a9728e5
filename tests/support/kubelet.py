"""The process kubelet: pods run as local processes so Jobs really run, without containers.

This machine has no container runtime, yet the operator's Jobs must really dump a database and
upload to S3. The process kubelet registers a Node, binds pending pods to it, and runs each
container as a process group in a private mount namespace (bubblewrap) with its env and
volumes, reporting status like the kubelet so the real Job controller decides Complete/Failed.
Images map to local programs through an explicit table (:class:`ImageEntry`).

It does not do: resource limits, probes, networking (every pod is 127.0.0.1 and shares the
host network), image pulls, pid/user namespaces, read-only root filesystems, ``subPathExpr``,
PVCs, ephemeral containers, exec/attach/logs through the API. Host ``/tmp`` is shared.

Run in-process via :class:`ProcessKubelet` (a subprocess started by the cluster harness), or
by hand: ``python -m tests.support.kubelet --kubeconfig … --state-dir … --images table.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from tests.support import processes
from tests.support.kubeapi import ApiError, KubeAPI
from tests.support.kubelet_images import ImageEntry, dump_images, load_images
from tests.support.ports import wait_until

__all__ = ["ImageEntry", "ProcessKubelet", "main"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


class ProcessKubelet:
    """Handle on a process kubelet running as a subprocess of the test session."""

    def __init__(
        self,
        *,
        kubeconfig: Path,
        state_dir: Path,
        images: Mapping[str, ImageEntry],
        log: Path,
        marker: str,
        node_name: str = "process-node",
    ) -> None:
        self.kubeconfig = kubeconfig
        self.state_dir = state_dir
        self.images = dict(images)
        self.log = log
        self.marker = marker
        self.node_name = node_name
        self._proc: subprocess.Popen[bytes] | None = None

    def log_path(self, namespace: str, pod: str, container: str) -> Path:
        """The file holding everything ``container`` of ``namespace/pod`` printed."""
        return self.state_dir / "logs" / namespace / pod / f"{container}.log"

    def start(self) -> None:
        """Start the kubelet and wait until its Node is Ready."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        table = self.state_dir / "images.json"
        dump_images(self.images, table)
        name, value = self.marker.split("=", 1)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(_REPO_ROOT),
            name: value,
        }
        argv = [
            sys.executable,
            "-m",
            "tests.support.kubelet",
            f"--kubeconfig={self.kubeconfig}",
            f"--state-dir={self.state_dir}",
            f"--images={table}",
            f"--node-name={self.node_name}",
            f"--marker={self.marker}",
        ]
        self._proc = processes.spawn(argv, log=self.log, env=env)
        api = KubeAPI.from_kubeconfig(self.kubeconfig)

        def node_ready() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    f"the process kubelet exited with {self._proc.returncode}; see {self.log}"
                )
            try:
                node = api.get(f"/api/v1/nodes/{self.node_name}")
            except ApiError:
                return False
            return any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in node.get("status", {}).get("conditions", [])
            )

        wait_until(node_ready, timeout=60, what=f"Node {self.node_name} of the process kubelet")

    def stop(self) -> None:
        """Stop the kubelet; it kills its containers on SIGTERM."""
        if self._proc is not None:
            processes.kill_group(self._proc, grace=10)
            self._proc = None


def main(argv: list[str] | None = None) -> int:
    """Run the process kubelet until SIGTERM."""
    from tests.support.kubelet_node import Kubelet  # noqa: PLC0415 - keeps the handle import light
    from tests.support.kubelet_pod import NodeContext  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="process-kubelet", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--node-name", default="process-node")
    parser.add_argument("--marker", default="STRONGROOM_PROCESS_KUBELET=1")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(threadName)s %(message)s"
    )
    api = KubeAPI.from_kubeconfig(args.kubeconfig)
    port = api.server.rsplit(":", 1)[1]
    name, value = args.marker.split("=", 1)
    ctx = NodeContext(
        api=api,
        images=load_images(args.images),
        state_dir=args.state_dir,
        node_name=args.node_name,
        marker=(name, value),
        service_env={
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": port,
            "KUBERNETES_SERVICE_PORT_HTTPS": port,
        },
    )
    kubelet = Kubelet(ctx)

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        kubelet.register()
        kubelet.run()
    finally:
        kubelet.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
