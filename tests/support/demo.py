"""``make demo``: the whole of Strongroom on this machine, with no Docker and no cloud.

It starts what a platform team would have — a Kubernetes control plane (with the process
kubelet running Job pods as local processes), a store's PostgreSQL database filled with
generated customers and orders, and an S3 endpoint — then runs the operator, applies the
sample policy with kubectl and shows the first encrypted backup landing in S3, its
verification down to the table fingerprints, the compliant status, and an on-demand key
rotation (``strongroom keys rotate``) whose re-wrap leaves every manifest opening with the new
primary key alone.

``--exit`` stops everything after the first verified backup (the e2e suite runs the demo that
way); without it the demo keeps running and prints the commands to look around with.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from base64 import b64decode
from pathlib import Path
from typing import Any

import yaml

from strongroom.crypto.keyring import KeyRing, KeyRingWrapper
from strongroom.crypto.manifest import Manifest, open_manifest
from tests.support.cluster import REPO_ROOT, LocalCluster, find_binaries
from tests.support.kube_steps import apply, create_namespace, given_secret, list_objects
from tests.support.operator import OperatorProcess
from tests.support.plugin_cluster import default_images
from tests.support.postgres import PostgresServer
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from tests.support.storegen import generate

POLICY = "shop-db"
BUCKET = "shop-backups"


def say(text: str) -> None:
    """Print a step heading a person can follow."""
    print(f"\n==> {text}", flush=True)


def policy_manifest(pg: PostgresServer, endpoint: str) -> dict[str, Any]:
    """The sample policy: every minute, keep 3, verify to equivalence, RPO 5 minutes."""
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {"name": POLICY},
        "spec": {
            "database": {
                "engine": "postgresql",
                "host": pg.host,
                "port": pg.port,
                "database": "shop",
                "credentialsSecretRef": {"name": "shop-db-login"},
                "tls": {"mode": "disable"},
            },
            "schedule": {"cron": "* * * * *", "startingDeadline": "5m"},
            "retention": {"keepLast": 3, "daily": 7},
            "encryption": {
                "keyRingSecretRef": {"name": "shop-db-keyring"},
                "rotationPeriod": "90d",
            },
            "storage": {
                "bucket": BUCKET,
                "prefix": "demo",
                "endpoint": endpoint,
                "region": REGION,
                "forcePathStyle": True,
                "credentialsSecretRef": {"name": "shop-s3-login"},
            },
            "verification": {
                "level": "equivalence",
                "everyNthBackup": 1,
                "scratch": {"serverSecretRef": {"name": "shop-scratch-server"}},
            },
            "objectives": {"rpo": "5m"},
            "jobTemplate": {"backoffLimit": 1},
        },
    }


def wait(predicate: Any, *, timeout: float, what: str) -> Any:
    """Poll until ``predicate()`` is truthy; exit with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    raise SystemExit(f"demo: {what} did not happen within {timeout:.0f}s")


def first_verified_backup(cluster: LocalCluster, namespace: str) -> dict[str, Any] | None:
    """The policy's first Backup whose verification passed, if any."""
    for backup in list_objects(cluster, "backups", namespace=namespace):
        verification = (backup.get("status") or {}).get("verification") or {}
        if verification.get("result") == "Passed":
            return backup
        if (backup.get("status") or {}).get("phase") == "Failed":
            message = (backup.get("status") or {}).get("message", "")
            raise SystemExit(f"demo: backup {backup['metadata']['name']} failed: {message}")
    return None


def strongroom(cluster: LocalCluster, *argv: str) -> str:
    """Run the ``strongroom`` CLI as a person would; exit the demo if it fails."""
    done = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "strongroom"), *argv,
         "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"demo: strongroom {' '.join(argv)} failed: {done.stderr}")
    return done.stdout


def show_key_rotation(cluster: LocalCluster, namespace: str, client: Any) -> None:
    """Rotate on demand, wait for the re-wrap, and prove each manifest opens with the new key."""
    say(f"strongroom keys rotate {POLICY} -n {namespace} --wait   (an on-demand key rotation)")
    print(indent(strongroom(cluster, "keys", "rotate", POLICY, "-n", namespace, "--wait")))

    def rewrapped() -> list[dict[str, Any]]:
        done = [
            b
            for b in list_objects(cluster, "backups", namespace=namespace)
            if (b.get("status") or {}).get("phase") == "Succeeded"
        ]
        return done if done and all(b["status"].get("keyVersion") == 2 for b in done) else []

    say("The operator re-wraps every retained manifest to v2 (add new wrap, verify, drop old)")
    for backup in wait(rewrapped, timeout=120, what="the re-wrap to key version 2"):
        status = backup["status"]
        print(f"    {backup['metadata']['name']}: key {status['keyId']} v{status['keyVersion']}")
    secret = json.loads(
        cluster.kubectl("get", "secret", f"{POLICY}-keyring", "-n", namespace, "-o", "json").stdout
    )
    ring = KeyRing.from_secret_data({k: b64decode(v) for k, v in secret["data"].items()})
    only_primary = KeyRingWrapper(KeyRing(ring.key_id, (ring.primary(),)))
    say(f"Each manifest opens with the new primary v{ring.primary().version} alone")
    for backup in rewrapped() or []:
        key = backup["status"]["manifestKey"]
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        manifest = Manifest.from_json(body)
        open_manifest(manifest, [only_primary])
        wraps = ", ".join(w.label for w in manifest.wrapped_keys)
        print(f"    s3://{BUCKET}/{key}: wrapped by {wraps}; opens")
    say(f"strongroom keys list {POLICY} -n {namespace}")
    print(indent(strongroom(cluster, "keys", "list", POLICY, "-n", namespace)))


def indent(text: str) -> str:
    """Indent command output under its heading."""
    return "\n".join(f"    {line}" for line in text.rstrip().splitlines())


def run(workdir: Path, *, keep_running: bool) -> int:
    """Bring everything up, show the first verified backup, and optionally stay up."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)

    say("Starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager)")
    cluster = LocalCluster(
        workdir / "cluster", find_binaries(), kubelet=True, images=default_images()
    )
    cluster.start()
    pg = PostgresServer(workdir / "postgres")
    s3 = S3Server(log_dir=workdir / "s3")
    operator: OperatorProcess | None = None
    try:
        say("Starting the store's PostgreSQL and filling it with customers, orders and payments")
        pg.start()
        pg.create_database("shop")
        counts = generate(pg.admin_connection("shop"), "postgresql", size="8MB")
        print(f"    {counts}")

        say(f"Starting a local S3 endpoint and creating the bucket {BUCKET}")
        s3.start()
        client: Any = s3.client()
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )

        say("Installing the CRDs and starting the operator")
        cluster.kubectl("apply", "--server-side", "-f", str(REPO_ROOT / "crds"))
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
        operator = OperatorProcess(cluster, workdir / "operator")
        operator.start()

        namespace = create_namespace(cluster, prefix="shop", pod_security="restricted")
        password = pg.password_file.read_text().strip()
        login = pg.admin_connection("shop").user
        given_secret(
            cluster, "shop-db-login", {"username": login, "password": password}, namespace=namespace
        )
        given_secret(
            cluster,
            "shop-s3-login",
            {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY},
            namespace=namespace,
        )
        given_secret(
            cluster,
            "shop-scratch-server",
            {"host": pg.host, "port": str(pg.port), "username": login, "password": password},
            namespace=namespace,
        )
        say(f"kubectl apply -f <policy {POLICY}> -n {namespace}")
        manifest = policy_manifest(pg, s3.endpoint_url)
        print(yaml.safe_dump(manifest, sort_keys=False))
        apply(cluster, manifest, namespace=namespace)

        say("Waiting for the first scheduled backup and its verification (up to 4 minutes)")
        backup = wait(
            lambda: first_verified_backup(cluster, namespace),
            timeout=240,
            what="a verified backup",
        )
        status = backup["status"]
        verification = status["verification"]
        print(
            f"    backup {backup['metadata']['name']}: {status.get('sizeBytes')} bytes encrypted,"
        )
        key = f"{status.get('keyId')} v{status.get('keyVersion')}"
        print(f"    key {key}, sha256 {status.get('sha256')}")
        print(
            f"    verified at level {verification.get('level')}: {verification.get('result')},"
            f" restore took {verification.get('rtoSeconds')} s (the observed RTO)"
        )

        say(
            "What is in the bucket (the data object is ciphertext; the manifest holds wrapped keys)"
        )
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            print(f"    s3://{BUCKET}/{item['Key']}  {item['Size']} bytes")

        say(f"kubectl get backuppolicies,backups -n {namespace}")
        wait(
            lambda: (
                cluster.kubectl(
                    "get",
                    "backuppolicy",
                    POLICY,
                    "-n",
                    namespace,
                    "-o",
                    "jsonpath={.status.compliant}",
                ).stdout.strip()
                == "True"
            ),
            timeout=90,
            what="the policy to report Compliant",
        )
        print(cluster.kubectl("get", "backuppolicies,backups", "-n", namespace).stdout)

        say("The operator's metrics for this policy")
        for line in operator.metrics().splitlines():
            ours = f'policy="{POLICY}"' in line and not line.startswith("#")
            if ours and ("timestamp" in line or "compliant" in line):
                print(f"    {line}")

        show_key_rotation(cluster, namespace, client)

        if keep_running:
            say("Everything is running. In another shell:")
            print(f"    export KUBECONFIG={cluster.kubeconfig}")
            print(f"    export PATH={cluster.bin_dir}:$PATH")
            print(f"    kubectl get strongroom -n {namespace}")
            print(f"    kubectl describe backuppolicy {POLICY} -n {namespace}")
            print(
                f"    curl -s http://127.0.0.1:{operator.metrics_port}/metrics | grep strongroom_"
            )
            print("Press Ctrl-C to stop and clean up.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        say("Demo finished: a verified, encrypted backup, a compliant policy, a key rotation")
        return 0
    finally:
        if operator is not None:
            operator.stop()
        s3.stop()
        pg.close()
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the demo."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--exit", action="store_true", help="stop after the first verified backup")
    parser.add_argument(
        "--workdir", type=Path, default=REPO_ROOT / ".demo", help="where state and logs go"
    )
    args = parser.parse_args(argv)
    keep = not args.exit and sys.stdin.isatty() and not os.environ.get("CI")
    return run(args.workdir, keep_running=keep)


if __name__ == "__main__":
    raise SystemExit(main())
