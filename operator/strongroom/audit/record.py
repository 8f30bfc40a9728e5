"""One audit record: typed, frozen, and refused on construction if it could carry a secret.

Why a validator rather than care at each call site: the audit trail is copied to log
aggregators and object stores that auditors read, so a single ``details={"token": ...}`` would
leak forever. :class:`AuditRecord` therefore refuses (with :class:`~strongroom.errors.ConfigError`
naming the field, never the value) any detail key that names a secret (password, secret,
token, credential, key material, DEK/KEK) and any string that looks like key material: a long
hexadecimal run, a long mixed-case base64 run, or a PEM block. Details are small scalars and
must not be personal data; e-mail addresses are refused there as the one kind we can recognise.

Kubernetes names are lower-case, so object names, reasons and regions never trip the base64
rule; a SHA-256 digest does trip the hex rule and stays out of audit records on purpose (the
Backup status holds it).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from strongroom.errors import ConfigError

#: The actor recorded when no person or ServiceAccount is known: the operator itself.
OPERATOR_ACTOR: Final = "strongroom-operator"
#: The logger audit lines go to; route it to the audit log pipeline by name.
AUDIT_LOGGER: Final = "strongroom.audit"

_MAX_DETAILS: Final = 16
_MAX_TEXT: Final = 1024
_MAX_DETAIL_TEXT: Final = 256

Scalar = str | int | float | bool | None

_SECRET_KEY_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|credential|private|"
    r"key[_-]?(material|bytes|data)|api[_-]?key|^(key|dek|kek)$|(^|[_-])(dek|kek)($|[_-])",
    re.IGNORECASE,
)
_HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


class AuditAction(StrEnum):
    """What was done; a fixed set so auditors can filter on it."""

    BACKUP = "backup"
    VERIFICATION = "verification"
    RESTORE = "restore"
    RETENTION_DELETE = "retention-delete"
    KEY_CREATE = "key-create"
    KEY_ROTATE = "key-rotate"
    KEY_REWRAP = "key-rewrap"
    KEY_RETIRE = "key-retire"
    KEY_DESTROY = "key-destroy"
    ERASURE_REPLAY = "erasure-replay"
    SHRED = "shred"


class AuditResult(StrEnum):
    """How the operation ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"
    #: An intent, written before anything is deleted; a later record says how it ended.
    STARTED = "started"


def looks_secret(text: str) -> bool:
    """Return whether ``text`` contains something shaped like key material."""
    if "-----BEGIN" in text or _HEX_RUN.search(text):
        return True
    for run in _B64_RUN.findall(text):
        letters = run.rstrip("=")
        if (
            any(c.isupper() for c in letters)
            and any(c.islower() for c in letters)
            and any(c.isdigit() for c in letters)
        ):
            return True
    return False


def _refuse(field_name: str, why: str) -> ConfigError:
    return ConfigError(
        f"audit record field {field_name} {why}; audit records never carry secrets or "
        "personal data — record ids and versions instead",
        reason="AuditRecordRefused",
    )


def _check_text(field_name: str, text: str, limit: int = _MAX_TEXT) -> None:
    if len(text) > limit:
        raise _refuse(field_name, f"is longer than {limit} characters")
    if looks_secret(text):
        raise _refuse(field_name, "looks like key material (a long hex/base64 run or PEM)")


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    """One audited operation.

    Attributes:
        time: When it ended (timezone-aware; stored as UTC).
        actor: User or ServiceAccount that asked for it, else :data:`OPERATOR_ACTOR`.
        action: What was done.
        namespace: Namespace of the policy.
        policy: Name of the BackupPolicy.
        result: ``succeeded``, ``failed`` or ``refused``.
        reason: CamelCase machine reason or a short sentence (no secrets, no row data).
        backup: Name of the Backup concerned, if any.
        key_id: Key ring or KMS key id (an id, never key bytes).
        key_version: Key version concerned.
        region: Storage or KMS region concerned (residency evidence).
        duration_seconds: How long the operation took.
        details: A few non-personal scalars (sizes, counts, levels).
    """

    time: datetime
    actor: str
    action: AuditAction
    namespace: str
    policy: str
    result: AuditResult
    reason: str = ""
    backup: str | None = None
    key_id: str | None = None
    key_version: int | None = None
    region: str | None = None
    duration_seconds: float | None = None
    details: Mapping[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Normalise time and enums, and refuse anything that could be a secret."""
        if self.time.tzinfo is None:
            raise _refuse("time", "is a naive datetime; pass a timezone-aware one")
        object.__setattr__(self, "time", self.time.astimezone(UTC))
        object.__setattr__(self, "action", AuditAction(self.action))
        object.__setattr__(self, "result", AuditResult(self.result))
        for name in ("actor", "namespace", "policy"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise _refuse(name, "must be a non-empty string")
        for name in ("actor", "namespace", "policy", "reason", "backup", "key_id", "region"):
            value = getattr(self, name)
            if value is not None:
                _check_text(name, str(value))
        if self.key_version is not None and (
            isinstance(self.key_version, bool) or not isinstance(self.key_version, int)
        ):
            raise _refuse("key_version", "must be an integer version number")
        self._check_details()
        object.__setattr__(self, "details", dict(self.details))

    def _check_details(self) -> None:
        if len(self.details) > _MAX_DETAILS:
            raise _refuse("details", f"has more than {_MAX_DETAILS} entries")
        for key, value in self.details.items():
            where = f"details.{key}"
            if not isinstance(key, str) or _SECRET_KEY_NAME.search(key):
                raise _refuse(where, "is named like a secret (password, token, key material…)")
            if value is not None and not isinstance(value, str | int | float | bool):
                raise _refuse(where, "must be a scalar (string, number, boolean or null)")
            if isinstance(value, str):
                _check_text(where, value, _MAX_DETAIL_TEXT)
                if _EMAIL.search(value):
                    raise _refuse(where, "looks like an e-mail address (personal data)")

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict (camelCase keys, RFC 3339 UTC time)."""
        body: dict[str, Any] = {
            "time": format_time(self.time),
            "actor": self.actor,
            "action": self.action.value,
            "namespace": self.namespace,
            "policy": self.policy,
            "backup": self.backup,
            "keyId": self.key_id,
            "keyVersion": self.key_version,
            "region": self.region,
            "result": self.result.value,
            "reason": self.reason,
            "durationSeconds": self.duration_seconds,
            "details": dict(self.details),
        }
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AuditRecord:
        """Return the record :meth:`to_json` produced (validated again)."""
        return cls(
            time=datetime.fromisoformat(str(body["time"])),
            actor=str(body["actor"]),
            action=AuditAction(body["action"]),
            namespace=str(body["namespace"]),
            policy=str(body["policy"]),
            backup=body.get("backup"),
            key_id=body.get("keyId"),
            key_version=body.get("keyVersion"),
            region=body.get("region"),
            result=AuditResult(body["result"]),
            reason=str(body.get("reason") or ""),
            duration_seconds=body.get("durationSeconds"),
            details=dict(body.get("details") or {}),
        )

    def to_line(self) -> str:
        """Return the record as one compact JSON line with sorted keys."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


def format_time(moment: datetime) -> str:
    """Return ``moment`` as RFC 3339 UTC with microseconds (``2026-11-23T09:00:00.000000Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def emit(record: AuditRecord, logger: logging.Logger | None = None) -> str:
    """Write ``record`` as ONE JSON line to the ``strongroom.audit`` logger; return the line."""
    line = record.to_line()
    (logger or logging.getLogger(AUDIT_LOGGER)).info(line)
    return line
