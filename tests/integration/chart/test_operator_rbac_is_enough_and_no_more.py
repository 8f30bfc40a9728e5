"""The chart's RBAC grants the operator exactly what it uses, asked of the real API server's
authorizer; Job pods get nothing; a permission removed from the ClusterRole is really refused
to a client authenticated with the operator ServiceAccount's own token."""

import json

import pytest
import yaml
from tests.support.helm_chart import can_i
from tests.support.kube_steps import job_manifest

#: (verb, resource) pairs the operator performs in the namespaces it serves.
OPERATOR_USES = [
    *[(v, "backuppolicies.strongroom.dev") for v in ("get", "list", "watch", "patch")],
    *[(v, "restores.strongroom.dev") for v in ("get", "list", "watch", "patch")],
    *[(v, "backups.strongroom.dev") for v in ("get", "list", "watch", "create", "patch", "delete")],
    *[
        (v, f"{r}.strongroom.dev/status")
        for r in ("backuppolicies", "backups", "restores", "erasureledgers")
        for v in ("get", "patch")
    ],
    ("list", "erasureledgers.strongroom.dev"),
    *[(v, "jobs.batch") for v in ("get", "list", "watch", "create", "delete")],
    ("get", "pods"),
    ("list", "pods"),
    *[(v, "secrets") for v in ("get", "create", "patch", "delete")],
    ("create", "events"),
    ("patch", "events"),
    ("create", "events.events.k8s.io"),
    ("get", "serviceaccounts"),
    ("create", "serviceaccounts"),
    ("list", "services"),
    ("list", "statefulsets.apps"),
]
#: Things the operator must never be able to do.
OPERATOR_MUST_NOT = [
    ("list", "secrets"),
    ("watch", "secrets"),
    ("create", "pods"),
    ("delete", "pods"),
    ("create", "backuppolicies.strongroom.dev"),
    ("delete", "backuppolicies.strongroom.dev"),
    ("patch", "erasureledgers.strongroom.dev"),
    ("delete", "erasureledgers.strongroom.dev"),
    ("update", "jobs.batch"),
    ("create", "rolebindings.rbac.authorization.k8s.io"),
    ("escalate", "clusterroles.rbac.authorization.k8s.io"),
    ("create", "pods/exec"),
    ("delete", "namespaces"),
    ("get", "configmaps"),
    ("create", "serviceaccounts/token"),
    ("delete", "serviceaccounts"),
    ("update", "backuppolicies.strongroom.dev/status"),
    ("patch", "jobs.batch/status"),
    ("get", "services"),
    ("watch", "services"),
    ("delete", "services"),
    ("get", "statefulsets.apps"),
    ("patch", "statefulsets.apps"),
]


@pytest.fixture
def cluster_wide(install, namespace):
    return install(namespace)


def test_the_operator_may_do_everything_it_uses_in_any_namespace(
    cluster, cluster_wide, namespace_factory
):
    elsewhere = namespace_factory("shop")
    for verb, resource in OPERATOR_USES:
        for ns in (cluster_wide.namespace, elsewhere):
            assert can_i(cluster, cluster_wide.operator_sa, verb, resource, ns), (
                f"cannot {verb} {resource} in {ns}"
            )


def test_the_operator_may_do_nothing_else(cluster, cluster_wide):
    for verb, resource in OPERATOR_MUST_NOT:
        assert not can_i(
            cluster, cluster_wide.operator_sa, verb, resource, cluster_wide.namespace
        ), f"may {verb} {resource}"


def test_job_pods_have_no_rights_at_all(cluster, cluster_wide):
    account = json.loads(
        cluster.kubectl(
            "get",
            "serviceaccount",
            f"{cluster_wide.fullname}-job",
            "-n",
            cluster_wide.namespace,
            "-o",
            "json",
        ).stdout
    )
    assert account["automountServiceAccountToken"] is False
    for verb, resource in [*OPERATOR_USES, ("get", "configmaps"), ("create", "pods")]:
        assert not can_i(cluster, cluster_wide.job_sa, verb, resource, cluster_wide.namespace), (
            f"{verb} {resource}"
        )


def test_listed_namespaces_grant_rights_there_and_nowhere_else(
    cluster, install, namespace, namespace_factory
):
    served, other = namespace_factory("shop"), namespace_factory("other")
    release = install(namespace, f"watchNamespaces={{{served}}}")

    assert can_i(cluster, release.operator_sa, "create", "jobs.batch", served)
    assert can_i(cluster, release.operator_sa, "get", "secrets", served)
    assert not can_i(cluster, release.operator_sa, "create", "jobs.batch", other)
    assert not can_i(cluster, release.operator_sa, "get", "secrets", other)
    assert not can_i(cluster, release.operator_sa, "list", "backuppolicies.strongroom.dev", None)
    # The no-rights Job ServiceAccount exists where the Jobs will run.
    cluster.kubectl("get", "serviceaccount", f"{release.fullname}-job", "-n", served)


def test_a_removed_permission_is_refused_to_the_operators_own_token(
    cluster, cluster_wide, namespace_factory
):
    shop = namespace_factory("shop")
    kubeconfig = cluster.service_account_kubeconfig(cluster_wide.namespace, cluster_wide.fullname)
    job = yaml.safe_dump(job_manifest("backup-probe", command=["true"]))

    allowed = cluster.kubectl(
        "create", "-n", shop, "--dry-run=server", "-f", "-", input=job, kubeconfig=kubeconfig
    )
    assert "created (server dry run)" in allowed.stdout

    role = json.loads(
        cluster.kubectl("get", "clusterrole", cluster_wide.fullname, "-o", "json").stdout
    )
    for rule in role["rules"]:
        if rule["resources"] == ["jobs"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != "create"]
    cluster.kubectl("replace", "-f", "-", input=json.dumps(role))

    assert not can_i(cluster, cluster_wide.operator_sa, "create", "jobs.batch", shop)
    refused = cluster.kubectl(
        "create",
        "-n",
        shop,
        "--dry-run=server",
        "-f",
        "-",
        input=job,
        kubeconfig=kubeconfig,
        check=False,
    )
    assert refused.returncode != 0
    assert "forbidden" in refused.stderr
    assert (
        f"system:serviceaccount:{cluster_wide.namespace}:{cluster_wide.fullname}" in refused.stderr
    )


def test_ha_installs_peering_and_may_use_it(cluster, install, namespace):
    release = install(namespace, "ha.enabled=true", "ha.replicas=2")

    peering = json.loads(
        cluster.kubectl("get", "clusterkopfpeering", release.fullname, "-o", "json").stdout
    )
    assert peering["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    statefulset = json.loads(
        cluster.kubectl(
            "get", "statefulset", release.fullname, "-n", namespace, "-o", "json"
        ).stdout
    )
    assert statefulset["spec"]["replicas"] == 2
    for verb in ("get", "list", "watch", "patch"):
        assert can_i(cluster, release.operator_sa, verb, "clusterkopfpeerings.kopf.dev", None), verb
    assert not can_i(cluster, release.operator_sa, "delete", "clusterkopfpeerings.kopf.dev", None)
