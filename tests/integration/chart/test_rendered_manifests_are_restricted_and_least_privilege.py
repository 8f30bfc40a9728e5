"""Whatever values are chosen, the rendered chart runs restricted pods, grants no wildcard and
passes no Secret through an environment variable; Job pods get a ServiceAccount with no rights."""

import pytest
import yaml
from tests.support.helm_chart import MONITORING_ON, OPTIONAL_ON, REPO_ROOT

VARIANTS = {
    "defaults": (),
    "everything on": (*OPTIONAL_ON, *MONITORING_ON, "operator.aws.credentialsSecret=aws-kms"),
    "listed namespaces with HA": (
        "watchNamespaces={shop,catalog}",
        "ha.enabled=true",
        *OPTIONAL_ON,
    ),
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}


def pod_specs(docs):
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            spec = doc["spec"]
            if doc["kind"] == "CronJob":
                spec = spec["jobTemplate"]["spec"]
            yield doc["metadata"]["name"], spec.get("template", {}).get("spec", spec)


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def docs(request, helm):
    return helm.render(*VARIANTS[request.param])


def test_every_container_runs_under_the_restricted_pod_security_standard(docs):
    specs = list(pod_specs(docs))
    assert specs
    for name, spec in specs:
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["runAsUser"] == 65532, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(host), f"{name}: {host}"
        for container in spec.get("initContainers", []) + spec["containers"]:
            ctx = container["securityContext"]
            where = f"{name}/{container['name']}"
            assert ctx["allowPrivilegeEscalation"] is False, where
            assert ctx["capabilities"]["drop"] == ["ALL"], where
            assert not ctx["capabilities"].get("add"), where
            assert ctx["readOnlyRootFilesystem"] is True, where
            assert ctx.get("privileged") is not True, where
            assert ctx["runAsNonRoot"] is True, where
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{where}: /tmp must be an emptyDir"
            assert container.get("livenessProbe"), where
            assert container.get("readinessProbe"), where
            assert container.get("resources", {}).get("requests"), where
        assert not any("hostPath" in v for v in spec.get("volumes", [])), name


def test_no_secret_reaches_a_container_through_the_environment(docs):
    for name, spec in pod_specs(docs):
        for container in spec.get("initContainers", []) + spec["containers"]:
            for env in container.get("env", []):
                assert "secretKeyRef" not in env.get("valueFrom", {}), f"{name}: {env['name']}"
            for source in container.get("envFrom", []):
                assert "secretRef" not in source, name


def test_no_rbac_rule_uses_a_wildcard(docs):
    roles = [d for d in docs if d["kind"] in {"Role", "ClusterRole"}]
    assert roles
    for role in roles:
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                assert "*" not in rule.get(field, []), f"{role['metadata']['name']}: {rule}"
            assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), rule
            if "secrets" in rule["resources"]:
                assert not {"list", "watch"} & set(rule["verbs"]), "Secrets are read by name only"


def test_job_pods_get_a_service_account_with_no_token_and_no_binding(docs):
    accounts = [
        d for d in docs if d["kind"] == "ServiceAccount" and d["metadata"]["name"].endswith("-job")
    ]
    assert accounts
    for account in accounts:
        assert account["automountServiceAccountToken"] is False
    bound = {
        subject["name"]
        for d in docs
        if d["kind"] in {"RoleBinding", "ClusterRoleBinding"}
        for subject in d["subjects"]
    }
    assert not bound & {a["metadata"]["name"] for a in accounts}


def test_one_operator_replica_is_replaced_never_overlapped_unless_ha(helm):
    (deployment,) = [d for d in helm.render() if d["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"

    (statefulset,) = [
        d for d in helm.render("ha.enabled=true", "ha.replicas=3") if d["kind"] == "StatefulSet"
    ]
    env = {e["name"]: e for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert statefulset["spec"]["replicas"] == 3
    # Distinct priorities per replica: its ordinal, from the pod-index label.
    assert env["STRONGROOM_PEERING_PRIORITY"]["value"] == "$(STRONGROOM_POD_INDEX)"
    assert "pod-index" in env["STRONGROOM_POD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]


def test_listed_namespaces_get_roles_and_no_cluster_rights(helm):
    docs = helm.render("watchNamespaces={shop,catalog}")
    kinds = [d["kind"] for d in docs]
    assert "ClusterRole" not in kinds
    assert "ClusterRoleBinding" not in kinds
    assert sorted(d["metadata"]["namespace"] for d in docs if d["kind"] == "Role") == [
        "catalog",
        "shop",
    ]
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["operator", "--namespace=shop", "--namespace=catalog"]


def test_templated_crds_are_the_repository_crds_plus_keep(helm):
    crds = {
        d["metadata"]["name"]: d for d in helm.render() if d["kind"] == "CustomResourceDefinition"
    }
    repo = [yaml.safe_load(p.read_text()) for p in sorted((REPO_ROOT / "crds").glob("*.yaml"))]
    assert sorted(crds) == sorted(c["metadata"]["name"] for c in repo)
    for expected in repo:
        got = crds[expected["metadata"]["name"]]
        assert got["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert got["spec"] == expected["spec"]
    assert not [
        d for d in helm.render("crds.install=false") if d["kind"] == "CustomResourceDefinition"
    ]
