"""A real Kubernetes control plane from local binaries: etcd, kube-apiserver, controller-manager.

This machine has no Docker, so kind and k3d cannot run; envtest-style binaries built by
``hack/build-tools.sh`` are the real API server (RBAC, admission, Pod Security, CRD schema
validation) and the real Job controller. :class:`LocalCluster` starts them on free loopback
ports under one work directory, with each component's log in ``<workdir>/logs``. The process
kubelet (:mod:`tests.support.kubelet`) runs the pods. ``stop()`` kills every process group it
started, and also runs at exit or on SIGTERM, so an interrupted test leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from tests.support import processes
from tests.support.certs import CertFiles, make_certs
from tests.support.kubeapi import ApiError, KubeAPI
from tests.support.kubelet import ImageEntry, ProcessKubelet
from tests.support.ports import free_port, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]

#: The controllers the tests need; node-lifecycle is left out so the fake Node needs no Lease.
CONTROLLERS = (
    "job-controller",
    "cronjob-controller",
    "ttl-after-finished-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "replicaset-controller",
    "deployment-controller",
    "pod-garbage-collector-controller",
)
_MARKER = "STRONGROOM_LOCAL_CLUSTER"
_REQUIRED = ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")


def _answers(url: str) -> bool:
    """True if ``url`` answers 200; error responses are closed, not left to the collector."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback http
            return bool(response.status == 200)
    except urllib.error.HTTPError as exc:
        exc.close()
        return False


class ClusterError(RuntimeError):
    """The local control plane could not be built or started; the message says what to do."""


def find_binaries() -> Path:
    """Run ``hack/build-tools.sh`` (cached after the first build) and return the bin directory."""
    script = REPO_ROOT / "hack" / "build-tools.sh"
    result = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, check=False, timeout=3600
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith("bin: "):
        raise ClusterError(
            "hack/build-tools.sh could not provide etcd/kube-apiserver/kubectl "
            f"(exit {result.returncode}). Run `make tools` and read its output; it needs "
            "Go >= 1.25 "
            "and the Go module proxy, or set KUBEBUILDER_ASSETS to a directory with the binaries.\n"
            + result.stderr[-2000:]
        )
    bin_dir = Path(lines[-1].removeprefix("bin: "))
    missing = [name for name in _REQUIRED if not (bin_dir / name).is_file()]
    if missing:
        raise ClusterError(f"{bin_dir} lacks {missing}; delete it and run `make tools` again")
    return bin_dir


class LocalCluster:
    """etcd + kube-apiserver + kube-controller-manager (+ optionally the process kubelet)."""

    def __init__(
        self,
        workdir: Path,
        bin_dir: Path,
        *,
        kubelet: bool = False,
        images: Mapping[str, ImageEntry] | None = None,
    ) -> None:
        self.workdir = workdir
        self.bin_dir = bin_dir
        self.logs = workdir / "logs"
        self.kubelet: ProcessKubelet | None = None
        self._want_kubelet = kubelet
        self._images = dict(images or {})
        self._procs: list[subprocess.Popen[bytes]] = []
        # Every process of this cluster carries the marker, naming its owner: see kill_orphans.
        self._marker = f"{_MARKER}={os.getpid()}-{uuid.uuid4().hex}"
        self._port = free_port()
        self._certs: CertFiles | None = None

    @property
    def server(self) -> str:
        """The API server URL."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (CN=admin, O=system:masters)."""
        return self.workdir / "admin.kubeconfig"

    @property
    def certs(self) -> CertFiles:
        """The PEM files of this cluster (CA, serving, admin, ServiceAccount keys)."""
        if self._certs is None:
            raise ClusterError("the cluster has not been started; call start() first")
        return self._certs

    @property
    def api(self) -> KubeAPI:
        """A REST client acting as the admin."""
        return KubeAPI.from_kubeconfig(self.kubeconfig)

    def start(self) -> None:
        """Start every component and wait until the API server is ready and controllers run."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        processes.kill_orphans(_MARKER)
        processes.register_cleanup(id(self), self.stop)
        try:
            self._certs = make_certs(self.workdir / "pki")
            self._write_kubeconfig(
                self.kubeconfig,
                user={
                    "client-certificate": str(self._certs.admin_cert),
                    "client-key": str(self._certs.admin_key),
                },
            )
            self._start_etcd()
            self._start_apiserver()
            self._start_controller_manager()
            if self._want_kubelet:
                self.start_kubelet(self._images)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, name: str, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            self._marker.split("=")[0]: self._marker.split("=")[1],
        }
        proc = processes.spawn(argv, log=self.logs / f"{name}.log", env=env)
        self._procs.append(proc)
        return proc

    def _alive(self, proc: subprocess.Popen[bytes], name: str) -> None:
        if proc.poll() is not None:
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise ClusterError(f"{name} exited with {proc.returncode}; its log ends with:\n{tail}")

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self._etcd_url = f"http://127.0.0.1:{client}"
        proc = self._spawn(
            "etcd",
            [
                str(self.bin_dir / "etcd"),
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self._etcd_url}",
                f"--advertise-client-urls={self._etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )

        def healthy() -> bool:
            self._alive(proc, "etcd")
            return _answers(f"{self._etcd_url}/health")

        wait_until(healthy, timeout=60, what="etcd /health")

    def _start_apiserver(self) -> None:
        certs = self.certs
        proc = self._spawn(
            "kube-apiserver",
            [
                str(self.bin_dir / "kube-apiserver"),
                f"--etcd-servers={self._etcd_url}",
                f"--cert-dir={self.workdir / 'apiserver'}",
                f"--tls-cert-file={certs.serving_cert}",
                f"--tls-private-key-file={certs.serving_key}",
                f"--secure-port={self._port}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                "--authorization-mode=RBAC",
                f"--client-ca-file={certs.ca_cert}",
                f"--service-account-issuer={self.server}/",
                f"--service-account-key-file={certs.sa_public}",
                f"--service-account-signing-key-file={certs.sa_private}",
                "--profiling=false",
            ],
        )
        api = KubeAPI(self.server, certs.ca_cert, certs.admin_cert, certs.admin_key)

        def ready() -> bool:
            self._alive(proc, "kube-apiserver")
            return api.status("/readyz") == 200

        wait_until(ready, timeout=120, what="kube-apiserver /readyz", interval=0.5)

    def _start_controller_manager(self) -> None:
        certs = self.certs
        proc = self._spawn(
            "kube-controller-manager",
            [
                str(self.bin_dir / "kube-controller-manager"),
                f"--kubeconfig={self.kubeconfig}",
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
                f"--cert-dir={self.workdir / 'controller-manager'}",
                f"--root-ca-file={certs.ca_cert}",
                f"--service-account-private-key-file={certs.sa_private}",
                "--use-service-account-credentials=false",
                f"--controllers={','.join(CONTROLLERS)}",
                "--concurrent-job-syncs=5",
            ],
        )
        api = self.api

        def controllers_run() -> bool:
            self._alive(proc, "kube-controller-manager")
            try:
                api.get("/api/v1/namespaces/default/serviceaccounts/default")
                api.get("/api/v1/namespaces/default/configmaps/kube-root-ca.crt")
            except ApiError:
                return False
            return True

        wait_until(
            controllers_run,
            timeout=120,
            what="kube-controller-manager (default ServiceAccount)",
            interval=0.5,
        )

    def start_kubelet(self, images: Mapping[str, ImageEntry]) -> ProcessKubelet:
        """Start the process kubelet with ``images`` as its image table; wait for its Node."""
        if self.kubelet is not None:
            raise ClusterError(
                "the process kubelet already runs; stop the cluster to change images"
            )
        self.kubelet = ProcessKubelet(
            kubeconfig=self.kubeconfig,
            state_dir=self.workdir / "kubelet",
            images=dict(images),
            log=self.logs / "kubelet.log",
            marker=self._marker,
        )
        self.kubelet.start()
        return self.kubelet

    def stop(self) -> None:
        """Stop the kubelet, then every component; kill anything they left behind."""
        if self.kubelet is not None:
            self.kubelet.stop()
        for proc in reversed(self._procs):
            processes.kill_group(proc)
        self._procs.clear()
        processes.kill_marked(self._marker)
        processes.unregister_cleanup(id(self))

    def kubectl(
        self,
        *args: str,
        input: str | None = None,  # noqa: A002 - mirrors subprocess.run
        check: bool = True,
        as_user: str | None = None,
        kubeconfig: Path | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl as the admin (or impersonating ``as_user``, or with ``kubeconfig``)."""
        argv = [str(self.bin_dir / "kubectl"), f"--kubeconfig={kubeconfig or self.kubeconfig}"]
        if as_user:
            argv.append(f"--as={as_user}")
        result = subprocess.run(
            [*argv, *args],
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result

    def service_account_kubeconfig(
        self, namespace: str, name: str, *, duration: str = "1h"
    ) -> Path:
        """Create ServiceAccount ``namespace/name`` if needed; return a kubeconfig with its token.

        The token comes from the TokenRequest API (``kubectl create token``), so the API server
        authenticates the ServiceAccount exactly as it would a pod's.
        """
        manifest = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace},
        }
        self.kubectl("apply", "-f", "-", input=yaml.safe_dump(manifest))
        token = self.kubectl(
            "create", "token", name, "-n", namespace, f"--duration={duration}"
        ).stdout.strip()
        path = self.workdir / "kubeconfigs" / f"{namespace}-{name}.kubeconfig"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_kubeconfig(path, user={"token": token}, namespace=namespace)
        return path

    def _write_kubeconfig(
        self, path: Path, *, user: dict[str, str], namespace: str = "default"
    ) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.certs.ca_cert),
                    },
                }
            ],
            "users": [{"name": "user", "user": user}],
            "contexts": [
                {
                    "name": "local",
                    "context": {"cluster": "local", "user": "user", "namespace": namespace},
                }
            ],
            "current-context": "local",
        }
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)

    def remove_workdir(self) -> None:
        """Delete the work directory (after :meth:`stop`)."""
        shutil.rmtree(self.workdir, ignore_errors=True)
