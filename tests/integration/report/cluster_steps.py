"""Given-steps for report stories on the real API server: policies, Backups, Services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply


def iso(moment: datetime) -> str:
    """RFC 3339 as the API server writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def patch_status(cluster: LocalCluster, kind: str, name: str, namespace: str, status: Any) -> None:
    """Merge-patch the status subresource, as the operator would."""
    cluster.kubectl(
        "patch", kind, name, "-n", namespace, "--subresource=status", "--type=merge",
        "-p", json.dumps({"status": status}),
    )  # fmt: skip


def given_policy(
    cluster: LocalCluster, namespace: str, name: str, *, host: str, key_created: datetime
) -> None:
    """A valid BackupPolicy whose status carries the key ring summary the operator writes."""
    apply(
        cluster,
        {
            "apiVersion": "strongroom.dev/v1alpha1",
            "kind": "BackupPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "database": {
                    "engine": "postgresql",
                    "host": host,
                    "database": "shop",
                    "credentialsSecretRef": {"name": "db"},
                },
                "schedule": {"cron": "0 3 * * *", "timeZone": "UTC"},
                "retention": {"keepLast": 3, "daily": 7, "maxAge": "30d"},
                "encryption": {
                    "keyRingSecretRef": {"name": f"{name}-ring"},
                    "rotationPeriod": "90d",
                },
                "storage": {"bucket": "backups", "region": "eu-central-1", "prefix": "prod"},
                "verification": {"maxAge": "7d"},
                "objectives": {"rpo": "26h", "rto": "1h"},
            },
        },
        namespace=namespace,
    )
    patch_status(
        cluster,
        "backuppolicy",
        name,
        namespace,
        {
            "keyRing": {
                "keyId": f"{name}-ring",
                "primaryVersion": 2,
                "primaryCreated": iso(key_created),
                "versionsInUse": [2],
            }
        },
    )


def given_backup(
    cluster: LocalCluster,
    namespace: str,
    policy: str,
    slot: datetime,
    *,
    phase: str = "Succeeded",
    verified: str | None = None,
    rto_seconds: float = 80.0,
) -> str:
    """A Backup of ``policy`` at ``slot`` whose status is written through the status subresource."""
    name = f"{policy}-{slot:%Y%m%d%H%M}"
    apply(
        cluster,
        {
            "apiVersion": "strongroom.dev/v1alpha1",
            "kind": "Backup",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"strongroom.dev/policy": policy},
            },
            "spec": {"policyRef": {"name": policy}, "scheduledTime": iso(slot)},
        },
        namespace=namespace,
    )
    status: dict[str, Any] = {
        "phase": phase,
        "startTime": iso(slot + timedelta(seconds=5)),
        "completionTime": iso(slot + timedelta(minutes=10)),
        "keyVersion": 2,
    }
    if verified is not None:
        status["verification"] = {
            "level": "equivalence",
            "result": verified,
            "time": iso(slot + timedelta(hours=1)),
            "rtoSeconds": rto_seconds,
        }
    patch_status(cluster, "backup", name, namespace, status)
    return name


def given_service(cluster: LocalCluster, namespace: str, name: str, port: int) -> None:
    """A plain ClusterIP Service on ``port`` (no database behind it is needed to be found)."""
    apply(
        cluster,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"port": port, "targetPort": port}], "selector": {"app": name}},
        },
        namespace=namespace,
    )
