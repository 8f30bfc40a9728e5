"""The audit trail: who did what to which policy, backup or key, and with what result.

Auditors ask for evidence that backups ran, were verified, were deleted on time and that keys
were rotated. Every such operation becomes one :class:`AuditRecord`: written as one JSON log
line (:func:`emit`) and, durably, as an append-only object beside the backups
(:class:`S3AuditSink`), readable back with :func:`read_trail`. A record is validated on
construction so it can never carry a secret (see :mod:`strongroom.audit.record`).
"""

from strongroom.audit.record import (
    OPERATOR_ACTOR,
    AuditAction,
    AuditRecord,
    AuditResult,
    emit,
)
from strongroom.audit.sink import AuditSink, S3AuditSink, audit_key, read_trail, record_audit

__all__ = [
    "OPERATOR_ACTOR",
    "AuditAction",
    "AuditRecord",
    "AuditResult",
    "AuditSink",
    "S3AuditSink",
    "audit_key",
    "emit",
    "read_trail",
    "record_audit",
]
