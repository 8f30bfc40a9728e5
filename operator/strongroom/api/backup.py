"""The ``Backup`` resource: one run of one policy, and its deterministic name.

A Backup sits between the schedule and the Job (CloudNativePG and K8up do the same): the
controller creates one per schedule slot under a name computed from the policy and the slot,
so a repeated timer tick or an operator restart meets ``409 AlreadyExists`` instead of making
a duplicate (RELIABILITY.md F1, F7). The spec is immutable once created.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final, Literal

from pydantic import ConfigDict, Field

from strongroom.api.common import (
    BackupPhase,
    Condition,
    LocalObjectRef,
    SpecModel,
    StatusModel,
    VerificationLevel,
)

NAME_LIMIT: Final = 63
_HASH_LEN: Final = 8
_NOT_DNS: Final = re.compile("[^a-z0-9-]+")


class Trigger(StrEnum):
    """Why a backup ran."""

    SCHEDULE = "schedule"
    MANUAL = "manual"


class VerificationResult(StrEnum):
    """Outcome of a verification run."""

    PASSED = "Passed"
    FAILED = "Failed"


class EquivalenceMethod(StrEnum):
    """What an equivalence check compared after the restore.

    ``content``: row counts and content hashes per table. ``rowCounts``: row counts only,
    because the backup's hashes are not comparable with the agent's (an older fingerprint
    method or other dump tool versions; ``fingerprints.hashes_not_comparable``). An agent
    image upgrade can cause that, so it is reported rather than left to a log line.
    """

    CONTENT = "content"
    ROW_COUNTS = "rowCounts"


class BackupSpec(SpecModel):
    """Which policy and which slot this backup belongs to; immutable once created."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self == oldSelf",
                    "message": "spec: a Backup's spec is immutable; create a new Backup instead",
                }
            ]
        }
    )

    policy_ref: LocalObjectRef = Field(description="The BackupPolicy this backup belongs to.")
    scheduled_time: datetime = Field(
        description="The schedule slot (UTC) this backup is for; for manual runs, the request time."
    )
    trigger: Trigger = Field(
        default=Trigger.SCHEDULE,
        description="schedule (created by the operator for a slot) or manual (backup-now).",
    )


class BackupVerification(StatusModel):
    """Result of the newest verification of this backup."""

    level: VerificationLevel = Field(description="Level that was checked.")
    result: VerificationResult = Field(description="Passed or Failed.")
    time: datetime | None = Field(default=None, description="When the verification finished.")
    rto_seconds: float | None = Field(
        default=None, description="Measured restore time in seconds (restorability and above)."
    )
    reason: str = Field(default="", description="CamelCase machine reason for the result.")
    message: str = Field(default="", description="What was found, for example a table mismatch.")
    scratch: str | None = Field(
        default=None,
        description="Where the backup was restored: the sidecar image, or the named server's "
        "Secret (restorability and above).",
    )
    equivalence: EquivalenceMethod | None = Field(
        default=None,
        description="What the equivalence check compared: content (row counts and content "
        "hashes) or rowCounts (counts only: the backup's hashes are not comparable). Unset "
        "below level equivalence.",
    )
    equivalence_reason: str | None = Field(
        default=None,
        description="Why only row counts were compared (the fingerprint method or the dump "
        "tool versions differ from the backup's).",
    )
    assertions_checked: int | None = Field(
        default=None, description="Custom assertions run against the restored database."
    )
    assertions_failed: list[str] | None = Field(
        default=None,
        description="Names (and expected values) of the custom assertions that did not hold; "
        "never the value read.",
    )


class BackupStatus(StatusModel):
    """Observed state of the run, written by the operator from the Job's report."""

    phase: BackupPhase | None = Field(
        default=None, description="Pending, Running, Succeeded or Failed."
    )
    start_time: datetime | None = Field(default=None, description="When the dump started.")
    completion_time: datetime | None = Field(
        default=None, description="When data and manifest were both written."
    )
    job_name: str | None = Field(default=None, description="Name of the backup Job.")
    data_key: str | None = Field(
        default=None, description="Object key of the encrypted data in the bucket."
    )
    manifest_key: str | None = Field(
        default=None, description="Object key of the manifest (wrapped data key, sizes, sha256)."
    )
    size_bytes: int | None = Field(default=None, description="Size of the stored ciphertext.")
    plaintext_bytes: int | None = Field(default=None, description="Size of the uncompressed dump.")
    sha256: str | None = Field(default=None, description="SHA-256 of the stored ciphertext.")
    key_id: str | None = Field(default=None, description="Key ring or KMS key that wraps the DEK.")
    key_version: int | None = Field(
        default=None, description="Key version that wraps the data key now."
    )
    tables: int | None = Field(default=None, description="Number of tables dumped.")
    fingerprints_digest: str | None = Field(
        default=None, description="SHA-256 over all table fingerprints recorded at dump time."
    )
    verification: BackupVerification | None = Field(
        default=None, description="Newest verification of this backup."
    )
    verified_at: datetime | None = Field(
        default=None, description="When this backup last passed verification."
    )
    corrupt: bool | None = Field(
        default=None,
        description="True once verification found the object altered or unrestorable.",
    )
    conditions: list[Condition] | None = Field(
        default=None,
        max_length=16,
        description="BackupSucceeded and Verified conditions.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    observed_generation: int | None = Field(
        default=None, description="metadata.generation the status was computed from."
    )
    retention_deadline: datetime | None = Field(
        default=None, description="When retention will delete this backup at the latest."
    )
    retention_reason: str | None = Field(
        default=None, description="Why retention keeps this backup (for example RetentionDaily)."
    )
    failure_reason: str | None = Field(
        default=None, description="CamelCase reason of a failure (Failed phase)."
    )
    message: str | None = Field(default=None, description="Human sentence about the run.")


def _prefix(policy: str, room: int) -> str:
    """Return ``policy`` as a DNS label of at most ``room`` characters, hashed when cut."""
    clean = _NOT_DNS.sub("-", policy.lower()).strip("-") or "policy"
    if len(clean) <= room and clean == policy:
        return clean
    digest = hashlib.sha256(policy.encode()).hexdigest()[:_HASH_LEN]
    head = clean[: room - _HASH_LEN - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def backup_name(
    policy: str, slot: datetime, trigger: Trigger | Literal["schedule", "manual"] = "schedule"
) -> str:
    """Return the deterministic name of the Backup for ``policy`` at ``slot``.

    ``<policy>-<YYYYMMDDHHMM>`` for scheduled runs and ``<policy>-manual-<YYYYMMDDHHMMSS>`` for
    manual ones, with the slot in UTC. The result is a DNS-1123 label of at most 63 characters;
    a long or non-DNS policy name is cut and suffixed with 8 hex digits of its SHA-256, so two
    long names never meet. Same inputs, same name: that is the duplicate guard.

    Raises:
        ValueError: ``slot`` is naive (no time zone), so its UTC value is unknown.
    """
    if slot.tzinfo is None or slot.utcoffset() is None:
        raise ValueError("backup_name: slot must be time-zone aware (UTC recommended)")
    utc = slot.astimezone(UTC)
    if Trigger(trigger) is Trigger.MANUAL:
        suffix = "manual-" + utc.strftime("%Y%m%d%H%M%S")
    else:
        suffix = utc.strftime("%Y%m%d%H%M")
    return f"{_prefix(policy, NAME_LIMIT - len(suffix) - 1)}-{suffix}"
