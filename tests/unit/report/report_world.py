"""BackupPolicy and Backup bodies as the API server lists them, for report stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """RFC 3339 as the API server writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_body(
    name: str = "orders",
    namespace: str = "shop",
    *,
    key_created: datetime | None = NOW - timedelta(days=10),
    **spec_changes: Any,
) -> dict[str, Any]:
    """A valid policy (daily, keepLast 3, maxAge 30d, RPO 26h, RTO 1h) with a key ring status."""
    spec: dict[str, Any] = {
        "database": {
            "engine": "postgresql",
            "host": "shop-db.shop.svc",
            "database": "shop",
            "credentialsSecretRef": {"name": "db"},
        },
        "schedule": {"cron": "0 3 * * *", "timeZone": "UTC"},
        "retention": {"keepLast": 3, "daily": 7, "maxAge": "30d"},
        "encryption": {"keyRingSecretRef": {"name": "ring"}, "rotationPeriod": "90d"},
        "storage": {"bucket": "backups", "region": "eu-central-1", "prefix": "prod"},
        "verification": {"maxAge": "7d"},
        "objectives": {"rpo": "26h", "rto": "1h"},
    }
    spec.update(spec_changes)
    status: dict[str, Any] = {}
    if key_created is not None:
        status["keyRing"] = {
            "keyId": f"{name}-ring",
            "primaryVersion": 3,
            "primaryCreated": iso(key_created),
            "versionsInUse": [2, 3],
        }
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": iso(NOW - timedelta(days=100)),
        },
        "spec": spec,
        "status": status,
    }


def backup_body(
    slot: datetime,
    *,
    policy: str = "orders",
    namespace: str = "shop",
    phase: str | None = "Succeeded",
    verified: str | None = None,
    level: str = "equivalence",
    rto_seconds: float | None = 95.0,
    deadline: datetime | None = None,
    failure_reason: str | None = None,
    corrupt: bool = False,
) -> dict[str, Any]:
    """A Backup of ``policy`` at ``slot`` with the status the operator would write."""
    status: dict[str, Any] = {}
    if phase is not None:
        status["phase"] = phase
        status["startTime"] = iso(slot + timedelta(seconds=5))
        if phase in {"Succeeded", "Failed"}:
            status["completionTime"] = iso(slot + timedelta(minutes=10))
    if verified is not None:
        status["verification"] = {
            "level": level,
            "result": verified,
            "time": iso(slot + timedelta(hours=1)),
            "rtoSeconds": rto_seconds,
        }
    if deadline is not None:
        status["retentionDeadline"] = iso(deadline)
    if failure_reason is not None:
        status["failureReason"] = failure_reason
    if corrupt:
        status["corrupt"] = True
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "Backup",
        "metadata": {"name": f"{policy}-{slot:%Y%m%d%H%M}", "namespace": namespace},
        "spec": {"policyRef": {"name": policy}, "scheduledTime": iso(slot)},
        "status": status,
    }


def healthy_backups(policy: str = "orders", namespace: str = "shop") -> list[dict[str, Any]]:
    """Three nightly backups; the newest is from 6 hours ago and was verified."""
    last = NOW - timedelta(hours=6)
    return [
        backup_body(last - timedelta(days=2), policy=policy, namespace=namespace),
        backup_body(last - timedelta(days=1), policy=policy, namespace=namespace),
        backup_body(last, policy=policy, namespace=namespace, verified="Passed"),
    ]
