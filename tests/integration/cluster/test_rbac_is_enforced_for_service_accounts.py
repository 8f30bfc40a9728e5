"""RBAC is on: a ServiceAccount without rights is refused; a Role and RoleBinding let it in."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, given_secret


def test_a_service_account_needs_a_role_to_read_secrets(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a ServiceAccount with a token from the TokenRequest API, and a Secret
    kubeconfig = cluster.service_account_kubeconfig(namespace, "reader")
    given_secret(cluster, "db", {"password": "x"}, namespace=namespace)
    user = f"system:serviceaccount:{namespace}:reader"

    # Then it may not read Secrets: both the authorizer and a real request say no
    denied = cluster.kubectl(
        "auth", "can-i", "get", "secrets", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")
    refused = cluster.kubectl(
        "get", "secret", "db", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert refused.returncode != 0
    assert "Forbidden" in refused.stderr
    assert f'User "{user}" cannot get resource "secrets"' in refused.stderr
    impersonated = cluster.kubectl(
        "auth", "can-i", "get", "secrets", "-n", namespace, as_user=user, check=False
    )
    assert impersonated.stdout.strip() == "no"

    # When a Role granting get on Secrets is bound to it
    apply(
        cluster,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "secret-reader"},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
        },
        namespace=namespace,
    )
    apply(
        cluster,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "secret-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
        namespace=namespace,
    )

    # Then it may get that Secret, and still nothing more
    allowed = cluster.kubectl(
        "auth", "can-i", "get", "secrets", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "yes")
    got = cluster.kubectl(
        "get",
        "secret",
        "db",
        "-n",
        namespace,
        "-o",
        "jsonpath={.metadata.name}",
        kubeconfig=kubeconfig,
    )
    assert got.stdout == "db"
    still_denied = cluster.kubectl(
        "delete", "secret", "db", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert "Forbidden" in still_denied.stderr
    other = cluster.kubectl(
        "auth", "can-i", "get", "secrets", "-n", "default", kubeconfig=kubeconfig, check=False
    )
    assert other.stdout.strip() == "no"
