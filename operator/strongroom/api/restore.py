"""The ``Restore`` resource: bring one backup back into a target database.

Restoring overwrites data, so the spec says so explicitly: ``allowOverwrite`` must be true
before the operator touches a target that already holds tables. The source is either a named
Backup, or "the newest verified backup of a policy" — never both, never neither (CEL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import ConfigDict, Field, model_validator

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
        description="After restoring, re-apply recorded erasures so erased people stay erased.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RestoreSpec:
        if self.latest_verified and self.policy_ref is None:
            raise ValueError(LATEST_MESSAGE)
        by_policy = self.policy_ref is not None and bool(self.latest_verified)
        if (self.backup_ref is not None) == by_policy:
            raise ValueError(SOURCE_MESSAGE)
        return self


class RestoreStatus(StatusModel):
    """Observed state of the restore."""

    phase: BackupPhase | None = Field(
        default=None, description="Pending, Running, Succeeded or Failed."
    )
    start_time: datetime | None = Field(default=None, description="When the restore started.")
    completion_time: datetime | None = Field(default=None, description="When it finished.")
    backup_name: str | None = Field(default=None, description="The Backup actually restored.")
    job_name: str | None = Field(default=None, description="Name of the restore Job.")
    duration_seconds: float | None = Field(default=None, description="How long the restore took.")
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
