"""The ``Restore`` resource: bring one backup back into a target database.

Restoring overwrites data, so the spec says so explicitly: ``allowOverwrite`` must be true
before the operator touches a target that already holds tables. The source is either a named
Backup, or "the newest verified backup of a policy" — never both, never neither (CEL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import ConfigDict, Field, model_validator

from strongroom.api.backup import EquivalenceMethod
from strongroom.api.common import (
    NAME_MAX,
    BackupPhase,
    Condition,
    Engine,
    LocalObjectRef,
    SpecModel,
    StatusModel,
)
from strongroom.api.policy import DatabaseCredentialsRef, TLSSpec

SOURCE_MESSAGE: Final = (
    "spec: set exactly one source: backupRef.name, or policyRef.name with latestVerified: true"
)
LATEST_MESSAGE: Final = "spec.latestVerified: needs policyRef.name (whose backups to choose from)"
#: How many per-entry erasure counts a Restore's status shows.
MAX_SHOWN_ENTRIES: Final = 100


class RestoreTarget(SpecModel):
    """The database a backup is restored into."""

    engine: Engine | None = Field(
        default=None, description="Engine of the target; defaults to the backup's engine."
    )
    host: str = Field(min_length=1, max_length=NAME_MAX, description="Host of the target server.")
    port: int | None = Field(
        default=None, ge=1, le=65535, description="TCP port; defaults by engine (5432, 3306)."
    )
    database: str = Field(
        min_length=1, max_length=NAME_MAX, description="Database to restore into."
    )
    credentials_secret_ref: DatabaseCredentialsRef = Field(
        description="Secret with the target's user name and password."
    )
    tls: TLSSpec = Field(
        default_factory=TLSSpec,
        description="TLS settings for the target connection.",
        json_schema_extra={"default": {}},
    )


class RestoreSpec(SpecModel):
    """Which backup to restore, where, and whether overwriting is allowed."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.backupRef) != (has(self.policyRef) && "
                    "has(self.latestVerified) && self.latestVerified)",
                    "message": SOURCE_MESSAGE,
                },
                {
                    "rule": "!has(self.latestVerified) || !self.latestVerified "
                    "|| has(self.policyRef)",
                    "message": LATEST_MESSAGE,
                },
                {
                    "rule": "self == oldSelf",
                    "message": "spec: a Restore's spec is immutable; create a new Restore",
                },
            ]
        }
    )

    backup_ref: LocalObjectRef | None = Field(
        default=None, description="The Backup to restore (same namespace)."
    )
    policy_ref: LocalObjectRef | None = Field(
        default=None, description="Restore the newest verified backup of this policy."
    )
    latest_verified: bool | None = Field(
        default=None,
        description="With policyRef: choose the newest backup whose verification passed.",
    )
    target: RestoreTarget = Field(description="Where to restore.")
    allow_overwrite: bool = Field(
        default=False,
        description="Must be true to restore into a database that already holds tables.",
    )
    replay_erasure_ledger: bool = Field(
        default=True,
        description="After restoring, replay every ErasureLedger that lists the backup's policy "
        "(spec.policyRefs), so erased people stay erased. Turning it off is recorded in the "
        "audit trail.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RestoreSpec:
        if self.latest_verified and self.policy_ref is None:
            raise ValueError(LATEST_MESSAGE)
        by_policy = self.policy_ref is not None and bool(self.latest_verified)
        if (self.backup_ref is not None) == by_policy:
            raise ValueError(SOURCE_MESSAGE)
        return self


class ErasureReplayEntry(StatusModel):
    """How many rows one ledger entry removed from the restored database."""

    id: str = Field(description="The ledger entry's erasure request id.")
    rows: int = Field(ge=0, description="Rows deleted by the entry's deletes together.")


class ErasureReplay(StatusModel):
    """The erasure ledger replay that followed the restore."""

    ledgers: list[str] = Field(
        default_factory=list, max_length=64, description="ErasureLedgers replayed."
    )
    result: str = Field(description="Replayed, Skipped (replayErasureLedger false) or Failed.")
    entries: int = Field(default=0, ge=0, description="Ledger entries replayed.")
    rows_deleted: int = Field(default=0, ge=0, description="Rows deleted by all entries.")
    per_entry: list[ErasureReplayEntry] | None = Field(
        default=None,
        max_length=MAX_SHOWN_ENTRIES,
        description=f"Rows per entry (the first {MAX_SHOWN_ENTRIES}).",
    )
    time: datetime | None = Field(default=None, description="When the replay finished.")


class RestoreStatus(StatusModel):
    """Observed state of the restore."""

    phase: BackupPhase | None = Field(
        default=None, description="Pending, Running, Succeeded or Failed."
    )
    progress: str | None = Field(
        default=None,
        description="Where the restore is now (resolving, waiting for the pod, restoring, done).",
    )
    requested_by: str | None = Field(
        default=None,
        description="Who asked: the strongroom.dev/requested-by annotation (set by `strongroom "
        "restore`), else the field manager that created the Restore.",
    )
    erasure: ErasureReplay | None = Field(
        default=None, description="The erasure ledger replay after the restore."
    )
    start_time: datetime | None = Field(default=None, description="When the restore started.")
    completion_time: datetime | None = Field(default=None, description="When it finished.")
    backup_name: str | None = Field(default=None, description="The Backup actually restored.")
    job_name: str | None = Field(default=None, description="Name of the restore Job.")
    duration_seconds: float | None = Field(default=None, description="How long the restore took.")
    equivalence: EquivalenceMethod | None = Field(
        default=None,
        description="What the check against the dump-time fingerprints compared: content (row "
        "counts and content hashes) or rowCounts (counts only: the backup's hashes are not "
        "comparable). Unset when the target was not empty before the restore (nothing to compare "
        "against) or the restore did not succeed.",
    )
    equivalence_reason: str | None = Field(
        default=None,
        description="Why only row counts were compared (the fingerprint method or the dump "
        "tool versions differ from the backup's).",
    )
    reason: str | None = Field(default=None, description="CamelCase reason of the outcome.")
    message: str | None = Field(default=None, description="Human sentence about the outcome.")
    conditions: list[Condition] | None = Field(
        default=None,
        max_length=16,
        description="Ready and Succeeded conditions.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    observed_generation: int | None = Field(
        default=None, description="metadata.generation the status was computed from."
    )
