"""The ``BackupPolicy`` resource: the contract for keeping one database safe.

Each section (database, schedule, retention, encryption, storage, verification, objectives,
jobTemplate) is its own frozen model, so the planner and the manifest builder take exactly the
part they need. Cross-field rules live twice on purpose and say the same thing: as CEL
``x-kubernetes-validations`` (so the API server refuses bad input with a message naming the
field and the fix) and as pydantic validators (so Python callers get the same refusal). The
models accept exactly what the CRD accepts; what neither can know (a time zone missing from the
tz database, a cron day that never comes, an RPO shorter than the schedule interval) is a
planner finding that the controller reports as ``Ready=False`` (see ``planner.checks``).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from strongroom.api.common import (
    DEFAULT_PORTS,
    NAME_MAX,
    Condition,
    DeletionPolicy,
    Duration,
    Engine,
    LocalObjectRef,
    SecretKeyRef,
    SpecModel,
    StatusModel,
    VerificationLevel,
)

# One cron field: comma-separated atoms like `*`, `5`, `1-5`, `*/15`, `MON-FRI`, `JAN`.
# No backslashes, so the same text is a valid RE2 regex inside a CEL string literal.
_ATOM: Final = "([*]|[0-9]+|[A-Za-z]{3})(-([0-9]+|[A-Za-z]{3}))?(/[0-9]+)?"
_FIELD: Final = f"{_ATOM}(,{_ATOM})*"
CRON_MACROS: Final = ("@hourly", "@daily", "@weekly", "@monthly", "@yearly")
RANDOM_MACROS: Final = ("@hourly-random", "@daily-random", "@weekly-random")
CRON_PATTERN: Final = (
    "^(@(hourly|daily|weekly|monthly|yearly)|@(hourly|daily|weekly)-random"
    f"|{_FIELD}( +{_FIELD}){{4}})$"
)
# IANA zone shape: `UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`.
TIME_ZONE_PATTERN: Final = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$"
_CRON_RE: Final = re.compile(CRON_PATTERN)
_TZ_RE: Final = re.compile(TIME_ZONE_PATTERN)

CRON_MESSAGE: Final = (
    "must be a 5-field cron expression (minute hour day-of-month month day-of-week, "
    'for example "0 3 * * *") or one of @hourly, @daily, @weekly, @monthly, @yearly, '
    "@hourly-random, @daily-random, @weekly-random"
)
TIME_ZONE_MESSAGE: Final = (
    'spec.schedule.timeZone: must be an IANA time zone name such as "UTC" or "Europe/Berlin"'
)
RETENTION_MESSAGE: Final = (
    "spec.retention: keeps nothing; set keepLast or one of hourly/daily/weekly/monthly/yearly "
    "to at least 1"
)
RPO_MESSAGE: Final = 'spec.objectives.rpo: must be at least one minute (for example "15m" or "1h")'
KEY_MISSING_MESSAGE: Final = (
    "spec.encryption: no key is set, and encryption cannot be turned off; set "
    "keyRingSecretRef.name (a Secret holding the key ring) or kmsKeyId (an AWS KMS key)"
)
KEY_BOTH_MESSAGE: Final = (
    "spec.encryption: keyRingSecretRef and kmsKeyId are both set; choose one key source "
    "and remove the other"
)
KMS_REGION_MESSAGE: Final = "spec.encryption.kmsRegion: only meaningful with kmsKeyId; remove it"
STORAGE_REGION_MESSAGE: Final = (
    "spec.storage.region: not in spec.storage.allowedRegions; use an allowed region or "
    "extend the list"
)
KMS_RESIDENCY_MESSAGE: Final = (
    "spec.encryption.kmsRegion: not in spec.storage.allowedRegions; use a KMS key in an "
    "allowed region"
)
VERIFY_BOTH_MESSAGE: Final = (
    "spec.verification: schedule and everyNthBackup are both set; choose one"
)
ASSERTIONS_LEVEL_MESSAGE: Final = (
    "spec.verification.assertions: need a restored database; set level to restorability "
    "or equivalence"
)
SCRATCH_BOTH_MESSAGE: Final = "spec.verification.scratch: set image or serverSecretRef, not both"
TLS_CA_MESSAGE: Final = (
    "spec.database.tls.caSecretRef: a CA is not used when mode is disable; set mode to "
    "verify-full or remove caSecretRef"
)


def _rule(rule: str, message: str, field_path: str | None = None) -> dict[str, Any]:
    """Return one ``x-kubernetes-validations`` entry for ``json_schema_extra``.

    ``field_path`` (relative, like ``.rpo``) makes the API server report the error on that
    field rather than on the object carrying the rule.
    """
    entry = {"rule": rule, "message": message}
    if field_path is not None:
        entry["fieldPath"] = field_path
    return {"x-kubernetes-validations": [entry]}


def _rules(*pairs: tuple[str, str]) -> dict[str, Any]:
    """Return several ``x-kubernetes-validations`` entries for ``json_schema_extra``."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in pairs]}


class TLSMode(StrEnum):
    """How the connection to the database is protected."""

    DISABLE = "disable"
    REQUIRE = "require"
    VERIFY_FULL = "verify-full"


class DatabaseCredentialsRef(SpecModel):
    """The Secret holding the database login."""

    name: str = Field(
        min_length=1, max_length=NAME_MAX, description="Name of the Secret (same namespace)."
    )
    username_key: str = Field(
        default="username", max_length=NAME_MAX, description="Key holding the user name."
    )
    password_key: str = Field(
        default="password", max_length=NAME_MAX, description="Key holding the password."
    )


class TLSSpec(SpecModel):
    """TLS to the database server."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            "!(self.mode == 'disable' && has(self.caSecretRef))", TLS_CA_MESSAGE
        )
    )

    mode: TLSMode = Field(
        default=TLSMode.VERIFY_FULL,
        description=(
            "disable: plain text; require: encrypted, certificate not checked; verify-full: "
            "encrypted and the server certificate and host name are verified (default)."
        ),
    )
    ca_secret_ref: SecretKeyRef | None = Field(
        default=None,
        description=(
            "Secret key holding the PEM CA bundle that signs the server certificate; without "
            "it the system trust store is used."
        ),
    )

    @model_validator(mode="after")
    def _ca_needs_tls(self) -> TLSSpec:
        if self.mode is TLSMode.DISABLE and self.ca_secret_ref is not None:
            raise ValueError(TLS_CA_MESSAGE)
        return self


class DatabaseSpec(SpecModel):
    """Which database to back up and how to reach it."""

    engine: Engine = Field(description="postgresql, or mysql (also used for MariaDB).")
    host: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        description="Host name or IP address of the database server (for example a Service).",
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="TCP port; defaults to 5432 for postgresql and 3306 for mysql.",
    )
    database: str = Field(
        min_length=1, max_length=NAME_MAX, description="Name of the database to dump."
    )
    user: str | None = Field(
        default=None,
        max_length=NAME_MAX,
        description="User name; when absent it is read from credentialsSecretRef.usernameKey.",
    )
    credentials_secret_ref: DatabaseCredentialsRef = Field(
        description="Secret with the user name and password; mounted as a file, never an env var."
    )
    tls: TLSSpec = Field(
        default_factory=TLSSpec,
        description="TLS settings for the database connection.",
        json_schema_extra={"default": {}},
    )

    @property
    def effective_port(self) -> int:
        """Return the port, or the engine's default port when none is set."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.engine]


class ScheduleSpec(SpecModel):
    """When backups run."""

    cron: str = Field(
        max_length=100,
        description=(
            "Cron expression in the policy's time zone: 5 fields (minute hour day-of-month "
            "month day-of-week), or @hourly, @daily, @weekly, @monthly, @yearly; "
            "@hourly-random, @daily-random and @weekly-random pick a fixed minute/hour/day "
            "from a hash of namespace and name, to spread load (see status.effectiveSchedule)."
        ),
        json_schema_extra=_rule(
            f"self.matches('{CRON_PATTERN}')", f"spec.schedule.cron: {CRON_MESSAGE}"
        ),
    )
    time_zone: str = Field(
        default="UTC",
        max_length=64,
        description=(
            "IANA time zone the cron expression is read in (for example Europe/Berlin). "
            "Daylight-saving changes never skip or double a slot (see docs/architecture.md)."
        ),
        json_schema_extra=_rule(f"self.matches('{TIME_ZONE_PATTERN}')", TIME_ZONE_MESSAGE),
    )
    starting_deadline: Duration = Field(
        default=Duration("1h"),
        description=(
            "How late a missed slot may still start (after an outage or while another run was "
            "in progress); older missed slots are skipped and reported. Only the newest missed "
            "slot ever runs."
        ),
    )

    @model_validator(mode="after")
    def _shapes(self) -> ScheduleSpec:
        if not _CRON_RE.match(self.cron):
            raise ValueError(f"spec.schedule.cron: {CRON_MESSAGE}")
        if not _TZ_RE.match(self.time_zone):
            raise ValueError(TIME_ZONE_MESSAGE)
        return self


_KEEPS: Final = ("keepLast", "hourly", "daily", "weekly", "monthly", "yearly")


class RetentionSpec(SpecModel):
    """Which backups are kept: grandfather-father-son buckets, as restic and K8up do."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            " || ".join(f"(has(self.{k}) && self.{k} > 0)" for k in _KEEPS), RETENTION_MESSAGE
        )
    )

    keep_last: int | None = Field(
        default=None, ge=0, description="Keep the newest N successful backups."
    )
    hourly: int | None = Field(
        default=None, ge=0, description="Keep the newest backup of each of the last N hours."
    )
    daily: int | None = Field(
        default=None, ge=0, description="Keep the newest backup of each of the last N days."
    )
    weekly: int | None = Field(
        default=None,
        ge=0,
        description="Keep the newest backup of each of the last N ISO weeks.",
    )
    monthly: int | None = Field(
        default=None, ge=0, description="Keep the newest backup of each of the last N months."
    )
    yearly: int | None = Field(
        default=None, ge=0, description="Keep the newest backup of each of the last N years."
    )
    max_age: Duration | None = Field(
        default=None,
        description=(
            "Delete backups older than this even if a rule above keeps them (storage "
            "limitation); the newest verified good backup is still never deleted."
        ),
    )

    @model_validator(mode="after")
    def _keeps_something(self) -> RetentionSpec:
        counts = (self.keep_last, self.hourly, self.daily, self.weekly, self.monthly, self.yearly)
        if not any(c for c in counts):
            raise ValueError(RETENTION_MESSAGE)
        return self


class EncryptionSpec(SpecModel):
    """Where the key-encryption key lives. Encryption is always on and cannot be turned off."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            ("has(self.keyRingSecretRef) || has(self.kmsKeyId)", KEY_MISSING_MESSAGE),
            ("!(has(self.keyRingSecretRef) && has(self.kmsKeyId))", KEY_BOTH_MESSAGE),
            ("!has(self.kmsRegion) || has(self.kmsKeyId)", KMS_REGION_MESSAGE),
        )
    )

    key_ring_secret_ref: LocalObjectRef | None = Field(
        default=None,
        description=(
            "Secret holding the key ring (key-encryption keys, one per version); the operator "
            "reads it, Job pods never see it."
        ),
    )
    kms_key_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description="AWS KMS key id or ARN that wraps each backup's data key.",
    )
    kms_region: str | None = Field(
        default=None, max_length=64, description="AWS region of the KMS key."
    )
    rotation_period: Duration = Field(
        default=Duration("90d"),
        description=(
            "Maximum age of the primary key version; an older one is rotated (a new version "
            "is made primary and retained manifests are re-wrapped)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _cannot_turn_off(cls, data: Any) -> Any:
        if isinstance(data, EncryptionSpec):
            return data
        if not isinstance(data, dict) or "enabled" in data or "mode" in data:
            raise ValueError(KEY_MISSING_MESSAGE)
        return data

    @model_validator(mode="after")
    def _one_key_source(self) -> EncryptionSpec:
        if self.key_ring_secret_ref is None and self.kms_key_id is None:
            raise ValueError(KEY_MISSING_MESSAGE)
        if self.key_ring_secret_ref is not None and self.kms_key_id is not None:
            raise ValueError(KEY_BOTH_MESSAGE)
        if self.kms_region is not None and self.kms_key_id is None:
            raise ValueError(KMS_REGION_MESSAGE)
        return self


class StorageCredentialsRef(SpecModel):
    """The Secret holding the S3 access key."""

    name: str = Field(
        min_length=1, max_length=NAME_MAX, description="Name of the Secret (same namespace)."
    )
    access_key_id_key: str = Field(
        default="accessKeyId", max_length=NAME_MAX, description="Key holding the access key id."
    )
    secret_access_key_key: str = Field(
        default="secretAccessKey",
        max_length=NAME_MAX,
        description="Key holding the secret access key.",
    )


class StorageSpec(SpecModel):
    """The S3-compatible bucket that holds the encrypted backups."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            "!has(self.allowedRegions) || self.region in self.allowedRegions",
            STORAGE_REGION_MESSAGE,
            ".region",
        )
    )

    bucket: str = Field(
        min_length=3,
        max_length=63,
        pattern="^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        description="Bucket name.",
    )
    prefix: str = Field(
        default="",
        max_length=512,
        description="Key prefix in the bucket; backups go under <prefix>/<namespace>/<policy>/.",
    )
    endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern="^https?://[^ ]+$",
        description="S3 endpoint URL for non-AWS stores (MinIO, Ceph); AWS when absent.",
    )
    region: str = Field(
        min_length=1, max_length=64, description="Region of the bucket (for example eu-central-1)."
    )
    force_path_style: bool = Field(
        default=False,
        description="Address the bucket in the URL path rather than the host name (MinIO).",
    )
    credentials_secret_ref: StorageCredentialsRef | None = Field(
        default=None,
        description="Secret with the access key; when absent the default AWS credential chain.",
    )
    ca_bundle_secret_ref: SecretKeyRef | None = Field(
        default=None, description="Secret key holding a PEM CA bundle for a private endpoint."
    )
    allowed_regions: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        default=None,
        max_length=64,
        description=(
            "Data residency: the only regions backups and KMS keys may be in; region and "
            "encryption.kmsRegion must be listed."
        ),
    )

    @model_validator(mode="after")
    def _resident(self) -> StorageSpec:
        if self.allowed_regions is not None and self.region not in self.allowed_regions:
            raise ValueError(STORAGE_REGION_MESSAGE)
        return self


class Assertion(SpecModel):
    """A query run against the restored database; its single value must equal ``expect``."""

    name: str = Field(min_length=1, max_length=63, description="Short name reported in the result.")
    sql: str = Field(
        min_length=1,
        max_length=4096,
        description="Read-only SQL returning one row with one column.",
    )
    expect: str = Field(
        max_length=1024, description='Expected value, compared as text (for example "true").'
    )


class ScratchSpec(SpecModel):
    """Where a backup is restored to be verified; never the protected database."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            "!(has(self.image) && has(self.serverSecretRef))", SCRATCH_BOTH_MESSAGE
        )
    )

    image: str | None = Field(
        default=None,
        max_length=512,
        description=(
            "Database image run as a socket-only sidecar of the verify Job when no "
            "serverSecretRef is set (default: the official image of the source's kind and "
            "major version, from the backup's manifest)."
        ),
    )
    server_secret_ref: LocalObjectRef | None = Field(
        default=None,
        description=(
            "Secret with host, port, username and password of an existing scratch server to "
            "restore into instead of a sidecar."
        ),
    )

    @model_validator(mode="after")
    def _one_target(self) -> ScratchSpec:
        if self.image is not None and self.server_secret_ref is not None:
            raise ValueError(SCRATCH_BOTH_MESSAGE)
        return self


class VerificationSpec(SpecModel):
    """How often and how deeply backups are proven restorable."""

    model_config = ConfigDict(
        json_schema_extra=_rules(
            ("!(has(self.schedule) && has(self.everyNthBackup))", VERIFY_BOTH_MESSAGE),
            (
                "!has(self.assertions) || size(self.assertions) == 0 || self.level != 'integrity'",
                ASSERTIONS_LEVEL_MESSAGE,
            ),
        )
    )

    schedule: str | None = Field(
        default=None,
        max_length=100,
        description=(
            "Cron expression (policy time zone) for verification runs. With neither schedule "
            "nor everyNthBackup, a verification is due once the newest is half of maxAge old."
        ),
        json_schema_extra=_rule(
            f"self.matches('{CRON_PATTERN}')", f"spec.verification.schedule: {CRON_MESSAGE}"
        ),
    )
    every_nth_backup: int | None = Field(
        default=None, ge=1, description="Verify after every N successful backups."
    )
    level: VerificationLevel = Field(
        default=VerificationLevel.EQUIVALENCE,
        description="integrity, restorability or equivalence (default; the strongest).",
    )
    scratch: ScratchSpec = Field(
        default_factory=ScratchSpec,
        description="The scratch database a backup is restored into for verification.",
        json_schema_extra={"default": {}},
    )
    assertions: list[Assertion] | None = Field(
        default=None,
        max_length=32,
        description="Extra checks run against the restored database (restorability or above).",
    )
    max_age: Duration = Field(
        default=Duration("7d"),
        description="How recent the newest passed verification must be for the policy to comply.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> VerificationSpec:
        if self.schedule is not None and self.every_nth_backup is not None:
            raise ValueError(VERIFY_BOTH_MESSAGE)
        if self.schedule is not None and not _CRON_RE.match(self.schedule):
            raise ValueError(f"spec.verification.schedule: {CRON_MESSAGE}")
        if self.assertions and self.level is VerificationLevel.INTEGRITY:
            raise ValueError(ASSERTIONS_LEVEL_MESSAGE)
        return self


_RPO_TOO_SHORT: Final = re.compile("^(0*[0-5]?[0-9]s|0+[mhdw])$")


class ObjectivesSpec(SpecModel):
    """Recovery objectives the compliance checks measure against."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            "!self.rpo.matches('^(0*[0-5]?[0-9]s|0+[mhdw])$')", RPO_MESSAGE, ".rpo"
        )
    )

    rpo: Duration = Field(
        description=(
            "Recovery point objective: the newest successful backup must never be older than "
            "this. It must not be shorter than the schedule interval (checked by the operator: "
            "Ready=False, reason RPOShorterThanSchedule)."
        )
    )
    rto: Duration | None = Field(
        default=None,
        description="Recovery time objective: the restore time measured by verification must fit.",
    )

    @model_validator(mode="after")
    def _rpo_at_least_a_minute(self) -> ObjectivesSpec:
        if _RPO_TOO_SHORT.match(self.rpo):
            raise ValueError(RPO_MESSAGE)
        return self


class ResourceRequirements(SpecModel):
    """CPU and memory for the Job's container (Kubernetes quantities)."""

    limits: dict[str, int | str] | None = Field(
        default=None, description='Upper bounds, for example {"memory": "512Mi"}.'
    )
    requests: dict[str, int | str] | None = Field(
        default=None, description='Reserved amounts, for example {"cpu": "250m"}.'
    )


class Toleration(SpecModel):
    """A Kubernetes toleration for the Job's pods."""

    key: str | None = Field(default=None, description="Taint key; empty matches all keys.")
    operator: Literal["Exists", "Equal"] | None = Field(
        default=None, description="Exists or Equal (default Equal)."
    )
    value: str | None = Field(default=None, description="Taint value for Equal.")
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = Field(
        default=None, description="Taint effect to tolerate; empty matches all effects."
    )
    toleration_seconds: int | None = Field(
        default=None, description="For NoExecute: how long the pod stays bound after the taint."
    )


class JobTemplateSpec(SpecModel):
    """Overrides for the Jobs the operator runs for this policy (backup, verify, restore)."""

    resources: ResourceRequirements | None = Field(
        default=None, description="Container resources for the Job pods."
    )
    node_selector: dict[str, str] | None = Field(
        default=None, description="Node labels the Job pods must be scheduled on."
    )
    tolerations: list[Toleration] | None = Field(
        default=None, max_length=32, description="Taints the Job pods tolerate."
    )
    priority_class_name: str | None = Field(
        default=None, max_length=NAME_MAX, description="PriorityClass of the Job pods."
    )
    active_deadline_seconds: int | None = Field(
        default=None, ge=1, description="Kill a Job that runs longer than this many seconds."
    )
    backoff_limit: int | None = Field(
        default=None,
        ge=0,
        le=20,
        description="Retries of a failed pod (evictions do not count, see podFailurePolicy).",
    )


class BackupPolicySpec(SpecModel):
    """Desired state: which database to back up, when, how long to keep, how to encrypt."""

    model_config = ConfigDict(
        json_schema_extra=_rule(
            "!has(self.storage.allowedRegions) || !has(self.encryption.kmsRegion) "
            "|| self.encryption.kmsRegion in self.storage.allowedRegions",
            KMS_RESIDENCY_MESSAGE,
            ".encryption.kmsRegion",
        )
    )

    database: DatabaseSpec = Field(description="The database to protect and how to reach it.")
    schedule: ScheduleSpec = Field(description="When backups run.")
    retention: RetentionSpec = Field(description="Which backups are kept (GFS buckets, maxAge).")
    encryption: EncryptionSpec = Field(
        description="Key source and rotation; always on, there is no way to switch it off."
    )
    storage: StorageSpec = Field(description="Where encrypted backups are stored (S3).")
    verification: VerificationSpec = Field(
        default_factory=VerificationSpec,
        description="How backups are proven restorable.",
        json_schema_extra={"default": {}},
    )
    objectives: ObjectivesSpec = Field(description="RPO and RTO that compliance is measured by.")
    suspend: bool = Field(
        default=False,
        description="Stop creating new backups; retention, verification status and compliance "
        "are still reported.",
    )
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.RETAIN,
        description=(
            "Retain (default): deleting the policy keeps its Backups and stored objects. "
            "Delete: they are deleted with it."
        ),
    )
    job_template: JobTemplateSpec | None = Field(
        default=None, description="Resources, placement and limits for the Jobs."
    )

    @model_validator(mode="after")
    def _kms_resident(self) -> BackupPolicySpec:
        allowed = self.storage.allowed_regions
        region = self.encryption.kms_region
        if allowed is not None and region is not None and region not in allowed:
            raise ValueError(KMS_RESIDENCY_MESSAGE)
        return self


CheckStatusValue = Literal["True", "False", "Unknown"]


class BackupRef(StatusModel):
    """A named backup and its time."""

    name: str = Field(description="Name of the Backup resource.")
    time: datetime | None = Field(default=None, description="When it completed (or started).")


class VerifiedRef(StatusModel):
    """The newest passed verification."""

    name: str = Field(description="Name of the verified Backup.")
    time: datetime | None = Field(default=None, description="When the verification finished.")
    level: VerificationLevel | None = Field(default=None, description="Level that passed.")
    rto_seconds: float | None = Field(
        default=None, description="Measured restore time in seconds (the observed RTO)."
    )


class KeyRingStatus(StatusModel):
    """Summary of the key ring; ids and versions only, never key bytes."""

    key_id: str | None = Field(default=None, description="Identifier of the key ring or KMS key.")
    primary_version: int | None = Field(default=None, description="Version that wraps new backups.")
    primary_created: datetime | None = Field(
        default=None, description="When the primary version was created (key age)."
    )
    versions_in_use: list[int] | None = Field(
        default=None, max_length=64, description="Versions still referenced by retained backups."
    )


class CheckStatus(StatusModel):
    """The verdict of one compliance check."""

    status: CheckStatusValue = Field(description="True (compliant), False or Unknown.")
    reason: str = Field(default="", description="CamelCase machine reason.")
    message: str = Field(default="", description="Human sentence explaining the verdict.")


class ComplianceChecks(StatusModel):
    """One verdict per compliance check; a fixed, bounded set."""

    rpo: CheckStatus | None = Field(
        default=None, description="Newest successful backup within the RPO."
    )
    retention: CheckStatus | None = Field(
        default=None, description="Nothing is kept past retention.maxAge."
    )
    encryption: CheckStatus | None = Field(
        default=None, description="Primary key younger than encryption.rotationPeriod."
    )
    verification: CheckStatus | None = Field(
        default=None,
        description="A passed verification within verification.maxAge, and the newest not failed.",
    )


class BackupPolicyStatus(StatusModel):
    """Observed state, written by the operator only."""

    conditions: list[Condition] | None = Field(
        default=None,
        max_length=16,
        description="Ready, Compliant, BackupSucceeded, Verified and KeyRotated conditions.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    observed_generation: int | None = Field(
        default=None, description="metadata.generation the status was computed from."
    )
    last_schedule_time: datetime | None = Field(
        default=None, description="Slot time of the newest scheduled Backup created."
    )
    next_schedule_time: datetime | None = Field(default=None, description="Next slot time.")
    last_check_time: datetime | None = Field(
        default=None, description="When the operator last evaluated the policy."
    )
    effective_schedule: str | None = Field(
        default=None, description="The cron expression in use, with -random macros resolved."
    )
    last_backup: BackupRef | None = Field(default=None, description="Newest Backup created.")
    last_successful_backup: BackupRef | None = Field(
        default=None, description="Newest Backup that succeeded."
    )
    last_verified: VerifiedRef | None = Field(
        default=None, description="Newest passed verification."
    )
    key_ring: KeyRingStatus | None = Field(default=None, description="Key ring summary.")
    retained_backups: int | None = Field(
        default=None, description="Number of Backups retention keeps."
    )
    compliant: CheckStatusValue | None = Field(
        default=None, description="True when every compliance check passes (printer column)."
    )
    compliance_checks: ComplianceChecks | None = Field(
        default=None, description="Verdict and reason per compliance check."
    )
