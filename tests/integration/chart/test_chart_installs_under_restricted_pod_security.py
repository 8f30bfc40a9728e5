"""The chart is valid to the real API server, installs into a namespace that enforces the
restricted Pod Security Standard, and its operator pod is admitted there (a non-compliant pod is
refused, so the admission is a real check)."""

import json

import pytest
from tests.support.helm_chart import OPTIONAL_ON
from tests.support.kube_steps import list_objects, wait_for


def test_helm_lint_strict_passes_with_defaults_and_every_option(helm):
    helm.run("lint", "--strict", str(helm.chart))
    helm.run(
        "lint", "--strict", str(helm.chart),
        "--set", "prometheusRule.enabled=true,serviceMonitor.enabled=true,ha.enabled=true",
        "--set", "grafanaDashboard.enabled=true,networkPolicy.enabled=true",
        "--set", "watchNamespaces={shop,catalog}",
    )  # fmt: skip


def test_a_value_the_schema_does_not_know_is_refused(helm):
    result = helm.run(
        "template", "sr", str(helm.chart), "--set", "operator.replicas=3", check=False
    )
    assert result.returncode != 0
    assert "replicas" in result.stderr


@pytest.mark.parametrize(
    "sets",
    [(), OPTIONAL_ON, ("watchNamespaces={NS}", *OPTIONAL_ON)],
    ids=["defaults", "optional parts on", "listed namespaces"],
)
def test_the_rendered_chart_passes_server_side_validation(cluster, helm, namespace, sets):
    sets = tuple(value.replace("NS", namespace) for value in sets)
    manifest = helm.template(*sets, namespace=namespace)

    result = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=manifest, check=False)

    assert result.returncode == 0, result.stderr
    assert (
        "customresourcedefinition.apiextensions.k8s.io/backuppolicies.strongroom.dev"
        in result.stdout
    )


def test_installed_into_a_restricted_namespace_the_operator_pod_is_admitted(
    cluster, install, namespace
):
    labels = json.loads(cluster.kubectl("get", "namespace", namespace, "-o", "json").stdout)[
        "metadata"
    ]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    refused = cluster.kubectl(
        "run",
        "careless",
        "-n",
        namespace,
        "--image=busybox:1.36",
        "--restart=Never",
        "--",
        "true",
        check=False,
    )
    assert refused.returncode != 0
    assert "violates PodSecurity" in refused.stderr

    release = install(namespace)

    selector = f"app.kubernetes.io/instance={release.name},app.kubernetes.io/component=operator"
    wait_for(
        cluster, "deployment", release.fullname,
        lambda d: d.get("status", {}).get("replicas") == 1, namespace=namespace, timeout=60,
    )  # fmt: skip
    pods = list_objects(cluster, "pods", namespace=namespace, selector=selector)
    assert len(pods) == 1
    assert pods[0]["spec"]["serviceAccountName"] == release.fullname
    events = cluster.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    assert "violates PodSecurity" not in events
