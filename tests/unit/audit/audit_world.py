"""Given-helpers for audit stories: a valid record in a few words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.audit import AuditAction, AuditRecord, AuditResult

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(minutes: int = 0, **changes: Any) -> AuditRecord:
    """A succeeded backup record of shop/orders, ``minutes`` after T0, with ``changes``."""
    fields: dict[str, Any] = {
        "time": T0 + timedelta(minutes=minutes),
        "actor": "strongroom-operator",
        "action": AuditAction.BACKUP,
        "namespace": "shop",
        "policy": "orders",
        "backup": "orders-202611230900",
        "key_id": "orders-ring",
        "key_version": 2,
        "region": "eu-central-1",
        "result": AuditResult.SUCCEEDED,
        "reason": "BackupSucceeded",
        "duration_seconds": 42.5,
        "details": {"sizeBytes": 1234, "level": "integrity"},
    }
    fields.update(changes)
    return AuditRecord(**fields)
