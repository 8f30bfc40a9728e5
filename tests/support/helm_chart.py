"""The Strongroom chart as tests meet it: the built helm binary, rendering, installed releases.

Used by tests/integration/chart; kept here so test modules can import it by name.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.cluster import REPO_ROOT, LocalCluster

CHART = REPO_ROOT / "charts" / "strongroom"
#: The Kubernetes version the local control plane runs (tools/k8s/go.mod); helm renders for it.
KUBE_VERSION = "1.35.4"
#: Every optional part except the two that need prometheus-operator CRDs (checked with promtool).
OPTIONAL_ON = (
    "grafanaDashboard.enabled=true",
    "networkPolicy.enabled=true",
)
MONITORING_ON = ("prometheusRule.enabled=true", "serviceMonitor.enabled=true")


@dataclass(frozen=True)
class Helm:
    """The helm binary built by hack/build-tools.sh."""

    path: Path
    chart: Path = CHART

    def run(
        self, *args: str, kubeconfig: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(self.path), *args, *([f"--kubeconfig={kubeconfig}"] if kubeconfig else [])]
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result

    def template(
        self, *sets: str, namespace: str = "strongroom-system", release: str = "sr"
    ) -> str:
        args = ["template", release, str(CHART), "-n", namespace, f"--kube-version={KUBE_VERSION}"]
        for value in sets:
            args += ["--set", value]
        return self.run(*args).stdout

    def render(self, *sets: str, **kwargs: str) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.template(*sets, **kwargs)) if doc]


@dataclass(frozen=True)
class Release:
    """A chart installed into the local cluster."""

    name: str
    namespace: str
    fullname: str

    @property
    def operator_sa(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.fullname}"

    @property
    def job_sa(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.fullname}-job"


def can_i(
    cluster: LocalCluster, user: str, verb: str, resource: str, namespace: str | None
) -> bool:
    """Ask the API server's authorizer (a SubjectAccessReview, via ``kubectl auth can-i``).

    ``resource`` may name a subresource as ``jobs.batch/status``; it is passed as
    ``--subresource`` because kubectl would read ``a/b`` as resource ``a`` named ``b``.
    """
    scope = ["-n", namespace] if namespace else ["--all-namespaces"]
    name, _, subresource = resource.partition("/")
    extra = [f"--subresource={subresource}"] if subresource else []
    result = cluster.kubectl(
        "auth", "can-i", verb, name, *extra, *scope, f"--as={user}", check=False
    )
    answer = result.stdout.strip()
    assert answer in {"yes", "no"}, f"kubectl auth can-i: {result.stdout} {result.stderr}"
    return answer == "yes"
