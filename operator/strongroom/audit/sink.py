"""Durable audit records: append-only JSON objects beside the backups, and reading them back.

Why the bucket: the audit trail must outlive the operator, the cluster and its log retention,
and it belongs with the evidence it describes. Each record is its own small object written with
a conditional create (``If-None-Match: *``), so nothing is ever overwritten: a second write of
the same key is refused with ``StorageError(reason="ObjectExists")``. Keys sort by time within
a day::

    {prefix}/audit/{namespace}/{policy}/{YYYY}/{MM}/{DD}/{time}-{action}-{hash}.json

``hash`` is the first 12 hex digits of the SHA-256 of the record's canonical JSON, so two
different records in the same microsecond get different keys, and re-sending the identical
record (a retry after a lost answer) meets its own object rather than writing a duplicate.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from strongroom.audit.record import AuditRecord, emit
from strongroom.errors import ConfigError, StorageError
from strongroom.storage.base import ObjectStore

_log = logging.getLogger(__name__)
_HASH_DIGITS = 12
_SEGMENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


class AuditSink(Protocol):
    """Somewhere audit records are kept durably."""

    def write(self, record: AuditRecord, *, exist_ok: bool = False) -> str:
        """Store ``record``; return where. An existing object is never replaced."""
        ...


def _segment(name: str, what: str) -> str:
    if not name or not set(name) <= _SEGMENT_CHARS or name in {".", ".."}:
        raise ConfigError(
            f"audit {what} {name!r} is not a Kubernetes name; it cannot be used in an object key"
        )
    return name


def _root(prefix: str) -> str:
    parts = [p for p in prefix.strip("/").split("/") if p]
    return "/".join([*parts, "audit"])


def audit_key(prefix: str, record: AuditRecord) -> str:
    """Return the object key of ``record`` under ``prefix`` (see the module docstring)."""
    moment = record.time.astimezone(UTC)
    digest = hashlib.sha256(record.to_line().encode()).hexdigest()[:_HASH_DIGITS]
    stamp = moment.strftime("%Y%m%dT%H%M%S.%fZ")
    return (
        f"{_root(prefix)}/{_segment(record.namespace, 'namespace')}/"
        f"{_segment(record.policy, 'policy')}/{moment:%Y/%m/%d}/"
        f"{stamp}-{record.action.value}-{digest}.json"
    )


class S3AuditSink:
    """:class:`AuditSink` writing one append-only object per record into an object store."""

    def __init__(self, store: ObjectStore, prefix: str = "") -> None:
        """Keep records in ``store`` under ``{prefix}/audit/``."""
        self.store = store
        self.prefix = prefix

    def write(self, record: AuditRecord, *, exist_ok: bool = False) -> str:
        """Create the record's object and return its key.

        Raises ``StorageError`` (reason ``ObjectExists``) when the key is taken. With
        ``exist_ok`` a key already holding exactly this record counts as written (a retry after
        a lost answer or a crash); different content under the key is still refused.
        """
        key = audit_key(self.prefix, record)
        data = (record.to_line() + "\n").encode()
        try:
            self.store.put_bytes(key, data, if_none_match=True)
        except StorageError as exc:
            if not (
                exist_ok and exc.reason == "ObjectExists" and self.store.get_bytes(key) == data
            ):
                raise
        return key

    def write_all(self, records: Iterable[AuditRecord]) -> list[str]:
        """Write several records, one object each; returns their keys in order."""
        return [self.write(record) for record in records]


def _scope(prefix: str, namespace: str | None, policy: str | None) -> str:
    if policy is not None and namespace is None:
        raise ConfigError("read_trail: give namespace together with policy")
    scope = _root(prefix) + "/"
    if namespace is not None:
        scope += _segment(namespace, "namespace") + "/"
        if policy is not None:
            scope += _segment(policy, "policy") + "/"
    return scope


def _load(store: ObjectStore, key: str) -> AuditRecord:
    try:
        return AuditRecord.from_json(json.loads(store.get_bytes(key)))
    except (ValueError, KeyError, TypeError, ConfigError) as exc:
        raise StorageError(
            f"audit record s3://{store.bucket}/{key} cannot be read "
            f"({type(exc).__name__}); inspect or restore that object",
            reason="BadAuditRecord",
            retryable=False,
        ) from None


def read_trail(
    store: ObjectStore,
    prefix: str = "",
    *,
    namespace: str | None = None,
    policy: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditRecord]:
    """Return the stored records, oldest first, filtered by scope and time range.

    Args:
        store: The bucket the records were written to.
        prefix: The same prefix the sink used.
        namespace: Only this namespace (required when ``policy`` is given).
        policy: Only this policy.
        since: Only records at or after this time (inclusive).
        until: Only records before this time (exclusive).

    Raises:
        ConfigError: ``policy`` without ``namespace``, or a naive time bound.
        StorageError: A stored record cannot be read (``BadAuditRecord``): evidence is never
            skipped silently.
    """
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise ConfigError("read_trail: since/until must be timezone-aware datetimes")
    found: list[tuple[datetime, str, AuditRecord]] = []
    for info in store.list(_scope(prefix, namespace, policy)):
        if not info.key.endswith(".json"):
            continue
        record = _load(store, info.key)
        if since is not None and record.time < since:
            continue
        if until is not None and record.time >= until:
            continue
        found.append((record.time, info.key, record))
    found.sort(key=lambda item: (item[0], item[1]))
    return [record for _, _, record in found]


def record_audit(record: AuditRecord, sink: AuditSink | None = None) -> str | None:
    """Emit ``record`` as a log line, then store it durably in ``sink`` (when given).

    The log line comes first and always. A sink failure is logged as a warning (with the
    record's scope, never its content beyond the log line already written) and ``None`` is
    returned, so an object-store outage never blocks a backup or a key operation; the next
    write of the same record with ``exist_ok`` fills the gap. Returns the stored key.
    """
    emit(record)
    if sink is None:
        return None
    try:
        return sink.write(record, exist_ok=True)
    except StorageError as exc:
        _log.warning(
            "audit record %s of %s/%s not stored durably: %s",
            record.action.value,
            record.namespace,
            record.policy,
            exc,
        )
        return None
