"""Run the real operator for tests: ``strongroom operator`` as a child process.

The operator gets exactly what it gets in a cluster: a kubeconfig (the session cluster's admin;
the chart's RBAC is tested elsewhere) and ``STRONGROOM_*`` settings. It gets no AWS variables:
everything it knows about S3 comes from the policy's Secrets, as in production. Logs go to a
file per start; ``kill()`` is SIGKILL (the F1/F7 story), ``stop()`` is SIGTERM, ``restart()``
starts it again with the same settings. ``metrics()`` scrapes its /metrics.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tests.support import processes
from tests.support.cluster import REPO_ROOT, LocalCluster
from tests.support.ports import free_port, wait_until


class OperatorProcess:
    """One ``strongroom operator`` child process, restartable."""

    def __init__(
        self,
        cluster: LocalCluster,
        log_dir: Path,
        *,
        namespaces: tuple[str, ...] = (),
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.cluster = cluster
        self.log_dir = log_dir
        self.namespaces = namespaces
        self.metrics_port = free_port()
        self.settings = {
            "STRONGROOM_AGENT_IMAGE": "strongroom:test",
            "STRONGROOM_METRICS_PORT": str(self.metrics_port),
            "STRONGROOM_TIMER_INTERVAL": "2",
            "STRONGROOM_TIMER_INITIAL_DELAY": "0.5",
            "STRONGROOM_BUCKET_CHECK_INTERVAL": "5",
            # Stories change Secrets under a Ready policy and wait a minute at most for it.
            "STRONGROOM_RESYNC_INTERVAL": "15",
            "STRONGROOM_LOG_FORMAT": "text",
            **(settings or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        """The log file of the current (or last) run."""
        return self.log_dir / f"operator-{self.starts}.log"

    def env(self) -> dict[str, str]:
        """The child's environment: no AWS_*, the cluster's kubeconfig, our settings."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRONGROOM_"))}
        return base | {"KUBECONFIG": str(self.cluster.kubeconfig)} | self.settings

    def start(self) -> None:
        """Start the operator and wait until /healthz answers."""
        self.starts += 1
        scope = [f"--namespace={ns}" for ns in self.namespaces] or ["--all-namespaces"]
        argv = [str(REPO_ROOT / ".venv" / "bin" / "strongroom"), "operator", *scope]
        self.proc = processes.spawn(argv, log=self.log, env=self.env())
        wait_until(self._healthy, timeout=60, what=f"the operator (log: {self.log})")

    def _healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"the operator exited: {self.log.read_text()[-3000:]}")
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.metrics_port}/healthz", timeout=2
        ) as answer:
            return bool(answer.status == 200)

    def metrics(self) -> str:
        """Return the /metrics exposition text."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5
        ) as answer:
            return answer.read().decode()

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL after a grace period."""
        if self.proc is not None:
            processes.kill_group(self.proc, grace=15)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL at once: a crash in the middle of whatever it was doing."""
        if self.proc is not None:
            processes.kill_group(self.proc, grace=0)
            self.proc = None

    def restart(self) -> None:
        """Start again with the same settings (a fresh log file)."""
        self.stop()
        self.start()

    def logs(self) -> str:
        """Every log line of every run so far."""
        return "\n".join(
            (self.log_dir / f"operator-{n}.log").read_text(errors="replace")
            for n in range(1, self.starts + 1)
            if (self.log_dir / f"operator-{n}.log").exists()
        )
