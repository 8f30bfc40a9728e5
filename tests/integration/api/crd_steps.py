"""Given-steps for the API tests: install Strongroom's CRDs into the session cluster."""

from __future__ import annotations

from pathlib import Path

from tests.support.cluster import LocalCluster

REPO = Path(__file__).resolve().parents[3]
CRDS = REPO / "crds"
DOCS = REPO / "docs"


def given_strongroom_crds(cluster: LocalCluster) -> None:
    """Apply crds/ with kubectl and wait until the API server serves every kind."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    cluster.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/backuppolicies.strongroom.dev",
        "crd/backups.strongroom.dev",
        "crd/restores.strongroom.dev",
        "crd/erasureledgers.strongroom.dev",
    )
