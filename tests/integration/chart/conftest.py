"""Fixtures for the chart tests: the helm binary and releases installed into the local cluster."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from tests.support.cluster import REPO_ROOT, LocalCluster, find_binaries
from tests.support.helm_chart import CHART, Helm, Release


@pytest.fixture(scope="session")
def helm() -> Helm:
    return Helm(find_binaries() / "helm")


@pytest.fixture
def install(cluster: LocalCluster, helm: Helm) -> Iterator[Callable[..., Release]]:
    """Install the chart (CRDs applied from crds/ beforehand, since other tests share them)."""
    installed: list[Release] = []
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(REPO_ROOT / "crds"))

    def do(namespace: str, *sets: str) -> Release:
        name = f"sr-{uuid.uuid4().hex[:6]}"
        args = ["install", name, str(CHART), "-n", namespace, "--set", "crds.install=false"]
        for value in sets:
            args += ["--set", value]
        helm.run(*args, kubeconfig=cluster.kubeconfig)
        release = Release(name=name, namespace=namespace, fullname=f"{name}-strongroom")
        installed.append(release)
        return release

    yield do
    for release in installed:
        helm.run(
            "uninstall",
            release.name,
            "-n",
            release.namespace,
            "--wait=false",
            kubeconfig=cluster.kubeconfig,
            check=False,
        )
