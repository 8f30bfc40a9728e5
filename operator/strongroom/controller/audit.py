"""Audit records from the controller: one call per audited operation.

Every backup, verification, restore, retention deletion, key operation and erasure replay
calls :func:`audit` once it has ended. The record becomes a JSON line on the
``strongroom.audit`` logger at once and an append-only object beside the backups
(``{storage.prefix}/audit/...``, see :mod:`strongroom.audit.sink`), because Kubernetes Events
expire within hours. The Event side of the trail is the operation's own Event (``BackupSucceeded``,
``KeyRotated`` …), posted by the caller as before. An audit record that cannot be stored is
logged and never blocks the operation; a record refused for secret-looking content is a bug
and is logged as an error (without the content) rather than raised into the reconcile —
except with ``durable=True``, for records that must exist before (or before finishing) an
operation that cannot be undone (retention deletes customers' data): then both raise, and the
caller stops and retries on its next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime

from strongroom.audit.record import (
    OPERATOR_ACTOR,
    AuditAction,
    AuditRecord,
    AuditResult,
    Scalar,
    emit,
)
from strongroom.audit.sink import S3AuditSink, record_audit
from strongroom.controller.runtime import Runtime
from strongroom.errors import ConfigError, StorageError
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)


async def audit(
    rt: Runtime,
    *,
    namespace: str,
    policy: str,
    store: ObjectStore | None,
    prefix: str,
    action: AuditAction,
    result: AuditResult,
    reason: str = "",
    backup: str | None = None,
    key_id: str | None = None,
    key_version: int | None = None,
    region: str | None = None,
    duration_seconds: float | None = None,
    actor: str = OPERATOR_ACTOR,
    details: Mapping[str, Scalar] | None = None,
    time: datetime | None = None,
    durable: bool = False,
) -> AuditRecord | None:
    """Record one audited operation (log line, then the bucket when ``store`` is given).

    ``prefix`` is the policy's ``spec.storage.prefix``; ``time`` defaults to the runtime's
    clock. Returns the record, or ``None`` when it was refused as unsafe to write.

    With ``durable`` the record must reach the bucket: a refusal raises ``ConfigError``, a store
    failure (or no store) raises ``StorageError``, and a retry meets its own object.
    """
    try:
        record = AuditRecord(
            time=time or rt.clock(),
            actor=actor,
            action=action,
            namespace=namespace,
            policy=policy,
            result=result,
            reason=reason,
            backup=backup,
            key_id=key_id,
            key_version=key_version,
            region=region,
            duration_seconds=duration_seconds,
            details=dict(details or {}),
        )
    except ConfigError as exc:
        _log.error("audit record of %s for %s/%s refused: %s", action, namespace, policy, exc)
        if durable:
            raise
        return None
    sink = S3AuditSink(store, prefix) if store is not None else None
    if durable:
        if sink is None:
            raise StorageError(
                f"no bucket to store the {action} audit record of {namespace}/{policy}"
            )
        emit(record)
        await asyncio.to_thread(sink.write, record, exist_ok=True)
        return record
    await asyncio.to_thread(record_audit, record, sink)
    return record
