"""A CRD applied with kubectl is served, and its schema is enforced by the API server itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, get, wait_for_condition

CRD = Path(__file__).parents[2] / "data" / "cluster" / "widget-crd.yaml"


def widget(name: str, spec: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "harness.strongroom.dev/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": spec,
    }


def try_create(
    cluster: LocalCluster, namespace: str, obj: dict[str, object]
) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(obj), check=False)


def test_a_crd_is_served_and_bad_objects_are_rejected(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given the CRD applied with kubectl and established
    cluster.kubectl("apply", "-f", str(CRD))
    wait_for_condition(cluster, "crd", "widgets.harness.strongroom.dev", "Established", timeout=30)

    # When a valid widget is created, it is served back
    apply(cluster, widget("good", {"size": 3, "colour": "red"}), namespace=namespace)
    listed = cluster.kubectl("get", "widgets", "-n", namespace, "-o", "name")
    assert listed.stdout.split() == ["widget.harness.strongroom.dev/good"]
    good = get(cluster, "widget", "good", namespace=namespace)
    assert good is not None
    assert good["spec"] == {"size": 3, "colour": "red"}

    # Then objects violating the schema are refused by the API server, naming the field
    too_big = try_create(cluster, namespace, widget("big", {"size": 11}))
    assert too_big.returncode != 0
    assert "spec.size" in too_big.stderr
    assert "less than or equal to 10" in too_big.stderr

    wrong_enum = try_create(cluster, namespace, widget("blue", {"size": 2, "colour": "blue"}))
    assert wrong_enum.returncode != 0
    assert "spec.colour" in wrong_enum.stderr

    missing = try_create(cluster, namespace, widget("empty", {}))
    assert missing.returncode != 0
    assert "spec.size" in missing.stderr
    assert get(cluster, "widget", "big", namespace=namespace) is None
