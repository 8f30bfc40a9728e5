"""Given/When/Then steps for the scheduled-backup stories.

Everything is real: the session's API server and Job controller, the operator as a child
process, Job pods run by the process kubelet, PostgreSQL/MariaDB and the S3 endpoint over HTTP.
Steps speak kubectl where a person would, and read S3 with boto3 where an auditor would.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from tests.support.cluster import REPO_ROOT, LocalCluster
from tests.support.kube_steps import apply, given_secret, has_condition, list_objects, wait_for
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

from strongroom.engines.base import Connection

POLICY_LABEL = "strongroom.dev/policy"
#: A schedule that never comes due in a test run: backups come from ``backup-now`` only.
ON_DEMAND = {"cron": "0 0 1 1 *", "startingDeadline": "5m"}


def given_strongroom_crds(cluster: LocalCluster) -> None:
    """Apply crds/ and wait until every kind is served."""
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(REPO_ROOT / "crds"))
    cluster.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/backuppolicies.strongroom.dev", "crd/backups.strongroom.dev",
        "crd/restores.strongroom.dev", "crd/erasureledgers.strongroom.dev",
    )  # fmt: skip


def given_database_login(
    cluster: LocalCluster, namespace: str, conn: Connection, *, name: str = "db-login"
) -> None:
    """A Secret with the database user and password, as a platform team would create it."""
    assert conn.password_file is not None
    password = conn.password_file.read_text().strip()
    given_secret(cluster, name, {"username": conn.user, "password": password}, namespace=namespace)


def given_s3_login(cluster: LocalCluster, namespace: str, *, name: str = "s3-login") -> None:
    """A Secret with the bucket's access key."""
    given_secret(
        cluster,
        name,
        {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY},
        namespace=namespace,
    )


def policy_manifest(
    name: str,
    *,
    engine: str,
    conn: Connection,
    bucket: str,
    endpoint: str,
    keep_last: int = 2,
    **spec: Any,
) -> dict[str, Any]:
    """A per-minute BackupPolicy for ``conn`` into ``bucket``; ``spec`` overrides sections."""
    body: dict[str, Any] = {
        "database": {
            "engine": engine,
            "host": conn.host,
            "port": conn.port,
            "database": conn.database,
            "credentialsSecretRef": {"name": "db-login"},
            "tls": {"mode": "disable"},
        },
        "schedule": {"cron": "* * * * *", "startingDeadline": "5m"},
        "retention": {"keepLast": keep_last},
        "encryption": {"keyRingSecretRef": {"name": f"{name}-keyring"}},
        "storage": {
            "bucket": bucket,
            "prefix": "e2e",
            "endpoint": endpoint,
            "region": REGION,
            "forcePathStyle": True,
            "credentialsSecretRef": {"name": "s3-login"},
        },
        "verification": {"level": "integrity"},
        "objectives": {"rpo": "5m"},
        "jobTemplate": {"backoffLimit": 0},
    }
    body.update(spec)
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {"name": name},
        "spec": body,
    }


def when_policy_applied(cluster: LocalCluster, namespace: str, manifest: dict[str, Any]) -> None:
    """``kubectl apply`` the policy."""
    apply(cluster, manifest, namespace=namespace)


def backups_of(cluster: LocalCluster, namespace: str, policy: str) -> list[dict[str, Any]]:
    """The policy's Backup objects, oldest slot first."""
    items = list_objects(
        cluster, "backups", namespace=namespace, selector=f"{POLICY_LABEL}={policy}"
    )
    return sorted(items, key=lambda b: (b["spec"]["scheduledTime"], b["metadata"]["name"]))


def phase(backup: dict[str, Any]) -> str | None:
    """The Backup's phase."""
    return (backup.get("status") or {}).get("phase")


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, every: float = 1.0
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s")


def then_backups_finish(
    cluster: LocalCluster, namespace: str, policy: str, *, count: int = 1, timeout: float = 150
) -> list[dict[str, Any]]:
    """Wait until ``count`` Backups of the policy have finished; return the finished ones."""

    def finished() -> list[dict[str, Any]]:
        done = [
            b for b in backups_of(cluster, namespace, policy) if phase(b) in {"Succeeded", "Failed"}
        ]
        return done if len(done) >= count else []

    result: list[dict[str, Any]] = wait_until(
        finished, timeout=timeout, what=f"{count} finished Backup(s) of {policy}"
    )
    return result


def then_policy_condition(
    cluster: LocalCluster,
    namespace: str,
    policy: str,
    condition: str,
    status: str,
    *,
    reason: str | None = None,
    timeout: float = 60,
) -> dict[str, Any]:
    """Wait until the policy has ``condition`` with ``status`` (and ``reason``)."""

    def holds(obj: dict[str, Any]) -> bool:
        found = [
            c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == condition
        ]
        return (
            bool(found)
            and has_condition(obj, condition, status)
            and (reason is None or found[0].get("reason") == reason)
        )

    return wait_for(
        cluster, "backuppolicy", policy, holds, namespace=namespace, timeout=timeout,
        what=f"{condition}={status}" + (f" ({reason})" if reason else ""),
    )  # fmt: skip


def event_reasons(cluster: LocalCluster, namespace: str, name: str) -> list[str]:
    """Reasons of the Events about the object ``name``."""
    out = cluster.kubectl(
        "get", "events", "-n", namespace, "-o", "json",
        f"--field-selector=involvedObject.name={name}",
    ).stdout  # fmt: skip
    return [e.get("reason", "") for e in json.loads(out)["items"]]


def event_messages(cluster: LocalCluster, namespace: str) -> list[str]:
    """Every Event message in the namespace."""
    out = cluster.kubectl("get", "events", "-n", namespace, "-o", "json").stdout
    return [f"{e.get('reason')}: {e.get('message')}" for e in json.loads(out)["items"]]


def s3_keys(s3: S3Server, bucket: str, prefix: str = "") -> list[str]:
    """Every object key in ``bucket`` under ``prefix``."""
    client: Any = s3.client()
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def s3_get(s3: S3Server, bucket: str, key: str) -> bytes:
    """One object's bytes."""
    client: Any = s3.client()
    return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def printed_columns(cluster: LocalCluster, namespace: str, policy: str) -> dict[str, str]:
    """``kubectl get backuppolicies`` as a person sees it: header → value."""
    out = cluster.kubectl("get", "backuppolicies", policy, "-n", namespace, "-o", "wide").stdout
    header, row = out.strip().splitlines()[:2]
    starts = [
        i
        for i, ch in enumerate(header)
        if ch != " " and (i == 0 or (header[i - 1] == " " and header[i - 2 : i] == "  "))
    ]
    starts = [
        0,
        *[i for i in range(1, len(header)) if header[i] != " " and header[i - 2 : i] == "  "],
    ]
    names = [header[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    values = [row[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
    return dict(zip(names, values, strict=True))


def when_backup_now(cluster: LocalCluster, namespace: str, policy: str) -> str:
    """Run ``strongroom backup-now --wait`` as a person would; return its output."""
    result = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "strongroom"), "backup-now", policy, "-n", namespace,
         "--kubeconfig", str(cluster.kubeconfig), "--wait", "--timeout", "120"],
        capture_output=True, text=True, check=False, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def backup_name(output: str) -> str:
    """The Backup name from ``strongroom backup-now`` output (``Backup ns/name created.``)."""
    assert "Succeeded" in output, output
    return output.split()[1].split("/")[1]


def when_policy_patched(
    cluster: LocalCluster, namespace: str, policy: str, spec: dict[str, Any]
) -> None:
    """``kubectl patch --type merge`` the policy's spec, as a person changing one setting."""
    cluster.kubectl(
        "patch", "backuppolicy", policy, "-n", namespace, "--type", "merge",
        "-p", json.dumps({"spec": spec}),
    )  # fmt: skip


def then_verification_recorded(
    cluster: LocalCluster, namespace: str, policy: str, backup: str, *, timeout: float = 120
) -> dict[str, Any]:
    """Wait until the operator has recorded a verification result on ``backup``; return it."""

    def recorded() -> dict[str, Any] | None:
        for item in backups_of(cluster, namespace, policy):
            if item["metadata"]["name"] == backup:
                verification = (item.get("status") or {}).get("verification") or {}
                return item if verification.get("result") else None
        return None

    found: dict[str, Any] = wait_until(
        recorded, timeout=timeout, what=f"a verification result on Backup {backup}"
    )
    return found


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels…}`` in a /metrics exposition (None: absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        shown = line[len(name) + 1 : line.rindex("}")]
        if all(f'{key}="{value}"' in shown for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def when_stored_object_changed(
    s3: S3Server, bucket: str, key: str, change: Callable[[bytes], bytes]
) -> None:
    """Rewrite one stored object behind the operator's back (bit rot, a truncation, tampering)."""
    client: Any = s3.client()
    client.put_object(Bucket=bucket, Key=key, Body=change(s3_get(s3, bucket, key)))


def the_store(request: pytest.FixtureRequest, engine: str) -> StoreDatabase:
    """The generated store database of ``engine`` (stories run once per engine)."""
    store: StoreDatabase = request.getfixturevalue(
        "pg_store" if engine == "postgresql" else "maria_store"
    )
    return store


def given_a_policy(
    cluster: LocalCluster,
    namespace: str,
    name: str,
    store: StoreDatabase,
    s3: S3Server,
    bucket: str,
    **spec: Any,
) -> None:
    """The database and bucket logins and the per-minute policy ``name`` backing ``store`` up
    into ``bucket``; ``spec`` overrides sections (see :func:`policy_manifest`)."""
    given_database_login(cluster, namespace, store.connection)
    given_s3_login(cluster, namespace)
    when_policy_applied(
        cluster, namespace,
        policy_manifest(name, engine=store.engine, conn=store.connection, bucket=bucket,
                        endpoint=s3.endpoint_url, **spec),
    )  # fmt: skip


def given_an_on_demand_policy(
    cluster: LocalCluster,
    namespace: str,
    store: StoreDatabase,
    s3: S3Server,
    bucket: str,
    *,
    keep_last: int = 2,
    verification: dict[str, Any] | None = None,
    name: str = "orders",
) -> None:
    """Logins and a policy for ``store`` whose schedule is far away: backups come from
    ``strongroom backup-now`` only, so a story decides when each one runs."""
    given_a_policy(
        cluster, namespace, name, store, s3, bucket, keep_last=keep_last, schedule=ON_DEMAND,
        objectives={"rpo": "400d"}, verification=verification or {"level": "integrity"},
    )  # fmt: skip
