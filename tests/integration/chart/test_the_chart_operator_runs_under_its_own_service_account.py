"""The chart's own operator Deployment, run as a pod (the process kubelet runs the image's
`strongroom operator --all-namespaces` with the projected token of the chart's ServiceAccount),
reconciles a real policy with nothing but the chart's RBAC: it validates the referenced Secrets and
bucket, creates the key ring, writes status and serves /metrics. With `create` on Jobs removed from
its ClusterRole, a backup cannot start, and the operator says so instead of failing silently."""

import json
import subprocess
import urllib.request

import pytest
from tests.support.cluster import REPO_ROOT
from tests.support.kube_steps import apply, get, given_secret, list_objects, wait_for
from tests.support.ports import free_port, wait_until
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY

#: Kopf's startup scan of CRDs is refused on purpose (the chart grants no CRD rights); it is the
#: only 403 an operator with enough rights may log.
CRD_SCAN = "customresourcedefinitions"


def policy(name, *, bucket, endpoint):
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {"name": name},
        "spec": {
            "database": {
                "engine": "postgresql", "host": "127.0.0.1", "port": 1, "database": "shop",
                "credentialsSecretRef": {"name": "db-login"}, "tls": {"mode": "disable"},
            },
            "schedule": {"cron": "0 3 * * *"},
            "retention": {"keepLast": 2},
            "encryption": {"keyRingSecretRef": {"name": f"{name}-keyring"}},
            "storage": {
                "bucket": bucket, "prefix": "chart", "endpoint": endpoint, "region": REGION,
                "forcePathStyle": True, "credentialsSecretRef": {"name": "s3-login"},
            },
            "verification": {"level": "integrity"},
            "objectives": {"rpo": "26h"},
            "jobTemplate": {"backoffLimit": 0},
        },
    }  # fmt: skip


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def serving(port):
    try:
        return "strongroom_build_info" in scrape(port)
    except OSError:
        return False


def condition(obj, kind):
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == kind), None)


def operator_log(cluster, release):
    selector = f"app.kubernetes.io/instance={release.name},app.kubernetes.io/component=operator"
    pods = list_objects(cluster, "pods", namespace=release.namespace, selector=selector)
    return "".join(
        cluster.kubelet.log_path(release.namespace, p["metadata"]["name"], "operator").read_text()
        for p in pods
    )


@pytest.fixture
def shop(cluster, namespace_factory, s3_server, bucket):
    """A store namespace with the Secrets a policy refers to and a real bucket."""
    name = namespace_factory("shop")
    given_secret(
        cluster, "db-login", {"username": "backup", "password": "not-used"}, namespace=name
    )
    given_secret(
        cluster,
        "s3-login",
        {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY},
        namespace=name,
    )
    return name


@pytest.fixture
def operator_pod(install, namespace):
    """The chart installed cluster-wide; its operator pod serves /metrics on a free port."""
    port = free_port()
    release = install(namespace, f"metrics.port={port}")
    wait_until(lambda: serving(port), timeout=90, what="the chart's operator pod serving /metrics")
    return release, port


def test_the_operator_pod_reconciles_a_policy_with_the_charts_rbac_alone(
    cluster, operator_pod, shop, s3_server, bucket
):
    release, port = operator_pod

    apply(cluster, policy("orders", bucket=bucket, endpoint=s3_server.endpoint_url), namespace=shop)

    obj = wait_for(
        cluster, "backuppolicy", "orders", lambda o: condition(o, "Ready") is not None,
        namespace=shop, timeout=60, what="a Ready condition written by the operator pod",
    )  # fmt: skip
    assert condition(obj, "Ready")["status"] == "True", condition(obj, "Ready")
    assert get(cluster, "secret", "orders-keyring", namespace=shop) is not None  # secrets: create
    assert f'namespace="{shop}",policy="orders"' in scrape(port)
    forbidden = [
        line for line in operator_log(cluster, release).splitlines() if "forbidden" in line
    ]
    assert all(CRD_SCAN in line for line in forbidden), forbidden


def test_without_jobs_create_a_backup_cannot_start_and_the_operator_says_why(
    cluster, operator_pod, shop, s3_server, bucket
):
    release, _ = operator_pod
    role = json.loads(cluster.kubectl("get", "clusterrole", release.fullname, "-o", "json").stdout)
    for rule in role["rules"]:
        if rule["resources"] == ["jobs"]:
            rule["verbs"] = [verb for verb in rule["verbs"] if verb != "create"]
    cluster.kubectl("replace", "-f", "-", input=json.dumps(role))
    apply(cluster, policy("orders", bucket=bucket, endpoint=s3_server.endpoint_url), namespace=shop)
    wait_for(
        cluster, "backuppolicy", "orders", lambda o: condition(o, "Ready") is not None,
        namespace=shop, timeout=60, what="the policy reconciled",
    )  # fmt: skip

    created = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "strongroom"), "backup-now", "orders", "-n", shop,
         "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr

    def refusal_reported():
        backups = list_objects(cluster, "backups", namespace=shop)
        policy_obj = get(cluster, "backuppolicy", "orders", namespace=shop) or {}
        ready = condition(policy_obj, "Ready") or {}
        return any(b.get("status", {}).get("phase") == "Failed" for b in backups) or (
            ready.get("status") == "False" and "forbidden" in ready.get("message", "").lower()
        )

    wait_until(refusal_reported, timeout=90, what="the Backup Failed or the policy Ready=False")
    assert list_objects(cluster, "jobs", namespace=shop) == []
    assert 'cannot create resource \\"jobs\\"' in operator_log(cluster, release)


def test_the_chart_operator_takes_a_real_backup_under_its_own_rbac(
    cluster, operator_pod, namespace_factory, s3_server, bucket, pg_store
):
    # Given the chart installed cluster-wide, and a store namespace with a real database's login
    shop = namespace_factory("shop")
    conn = pg_store.connection
    given_secret(
        cluster,
        "db-login",
        {"username": conn.user, "password": conn.password_file.read_text().strip()},
        namespace=shop,
    )
    given_secret(
        cluster,
        "s3-login",
        {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY},
        namespace=shop,
    )
    manifest = policy("orders", bucket=bucket, endpoint=s3_server.endpoint_url)
    manifest["spec"]["database"] |= {
        "host": conn.host,
        "port": conn.port,
        "database": conn.database,
    }
    apply(cluster, manifest, namespace=shop)
    wait_for(
        cluster, "backuppolicy", "orders",
        lambda o: (condition(o, "Ready") or {}).get("status") == "True",
        namespace=shop, timeout=60, what="the policy Ready under the chart's RBAC",
    )  # fmt: skip

    # When a person asks for a backup now
    created = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "strongroom"), "backup-now", "orders", "-n", shop,
         "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr

    # Then the chart's operator runs it to success and the encrypted objects are in the bucket
    def finished():
        done = [
            b for b in list_objects(cluster, "backups", namespace=shop)
            if b.get("status", {}).get("phase") in {"Succeeded", "Failed"}
        ]  # fmt: skip
        return done[0] if done else None

    wait_until(lambda: finished() is not None, timeout=180, what="the Backup to finish")
    backup = finished()
    assert backup["status"]["phase"] == "Succeeded", backup["status"]
    keys = [
        item["Key"]
        for item in s3_server.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    ]
    assert any(k.endswith("/data.sr") for k in keys), keys
    assert any(k.endswith("/manifest.json") for k in keys), keys
