"""Run ``strongroom report`` as the real command against a test cluster, as an auditor would."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support.cluster import REPO_ROOT, LocalCluster


def run_report(cluster: LocalCluster, *args: str) -> tuple[int, dict[str, Any]]:
    """Run the real command as a child process; return its exit code and parsed JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "strongroom", "report", "--kubeconfig", str(cluster.kubeconfig),
         "--format", "json", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode in {0, 1}, done.stderr
    return done.returncode, json.loads(done.stdout)
