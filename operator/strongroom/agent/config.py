"""The job file: everything one agent run needs, written by the operator as JSON into the Job.

The operator's manifest builder imports :class:`AgentJob` to write the file; the agent reads
it with :func:`load_job`. So this module imports only pydantic and the standard library — no
boto3, no database drivers, no engines.

The file holds no secret: passwords, S3 credentials and the data key are *paths* to files
mounted from Secrets. The key-encryption key never enters the pod; the operator wraps the
per-backup data key (DEK) itself and passes the wrapped entries for the manifest.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from strongroom.api.erasure import ErasureEntry
from strongroom.errors import ConfigError

_NAME = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Role(StrEnum):
    """What the agent does in this Job."""

    BACKUP = "backup"
    VERIFY = "verify"
    RESTORE = "restore"


class VerifyLevel(StrEnum):
    """How far verification goes; each level includes the ones before it."""

    INTEGRITY = "integrity"
    RESTORABILITY = "restorability"
    EQUIVALENCE = "equivalence"


class DatabaseConnection(_Model):
    """How to reach a database server and log in; the password is a file path."""

    host: str = Field(min_length=1, description="Server host name or address.")
    port: int = Field(ge=1, le=65535, description="Server TCP port.")
    database: str = Field(
        min_length=1, description="Database (PostgreSQL) or schema (MariaDB/MySQL) name."
    )
    user: str = Field(min_length=1, description="Login role or user.")
    password_file: Path | None = Field(
        default=None,
        description="File holding only the password (a mounted Secret key); omit for "
        "password-less logins.",
    )
    tls: Literal["disable", "require", "verify-full"] = Field(
        default="verify-full",
        description="Transport security: verify-full checks the CA and host name.",
    )
    ca_file: Path | None = Field(
        default=None, description="CA bundle for verify-full; the system store when omitted."
    )


class StorageSpec(_Model):
    """Where backups live: one bucket and key prefix of an S3-compatible store."""

    bucket: str = Field(min_length=3, max_length=63, description="Bucket name.")
    prefix: str = Field(
        default="strongroom",
        description="Key prefix; objects are {prefix}/{namespace}/{policy}/{backup}/data.sr "
        "and manifest.json.",
    )
    endpoint: str | None = Field(
        default=None, description="https:// URL of an S3-compatible endpoint; omit for AWS."
    )
    region: str = Field(default="us-east-1", description="Region requests are signed for.")
    credentials_file: Path | None = Field(
        default=None,
        description="AWS-style credentials ini file ([default] aws_access_key_id, "
        "aws_secret_access_key); omit to use the pod identity (for example IRSA).",
    )
    credentials_profile: str = Field(
        default="default", description="Section of credentialsFile to read."
    )
    access_key_id_file: Path | None = Field(
        default=None, description="File holding only the access key id (with secretAccessKeyFile)."
    )
    secret_access_key_file: Path | None = Field(
        default=None, description="File holding only the secret access key."
    )
    ca_bundle_file: Path | None = Field(
        default=None, description="PEM CA bundle trusted for the endpoint instead of the system's."
    )
    force_path_style: bool = Field(
        default=False, description="Path-style addressing (MinIO, Ceph RGW, moto)."
    )
    max_attempts: int = Field(
        default=5, ge=1, le=20, description="botocore attempts per request (backoff + jitter)."
    )
    part_attempts: int = Field(
        default=4, ge=1, le=20, description="Our own attempts per part after botocore's retries."
    )
    retry_base_seconds: float = Field(
        default=0.5, gt=0, le=60, description="First delay of our own retries; doubles each time."
    )

    @model_validator(mode="after")
    def _key_files_come_in_pairs(self) -> Self:
        if (self.access_key_id_file is None) != (self.secret_access_key_file is None):
            raise ValueError("accessKeyIdFile and secretAccessKeyFile must be given together")
        if self.credentials_file is not None and self.access_key_id_file is not None:
            raise ValueError("give either credentialsFile or the two key files, not both")
        return self


class Identity(_Model):
    """Which backup this run is about; also names the objects in the bucket."""

    namespace: _NAME = Field(description="Namespace of the BackupPolicy.")
    policy: _NAME = Field(description="Name of the BackupPolicy.")
    backup: _NAME = Field(description="Name of the Backup (one run).")


class Assertion(_Model):
    """A custom check run in the scratch database after a verification restore."""

    name: str = Field(min_length=1, max_length=63, description="Name reported in the result.")
    sql: str = Field(min_length=1, description="A query returning one value (first row, column).")
    expect: str = Field(description="The value, as text, the query must return.")


class ScratchTarget(_Model):
    """The isolated server where verification restores, and the database it creates there."""

    connection: DatabaseConnection = Field(
        description="Login on the scratch server with the right to create and drop databases."
    )
    database: _NAME = Field(
        description="Name of the scratch database; created empty and dropped after the check."
    )
    wait_seconds: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="How long to wait for the server's Unix socket to appear (a sidecar that is "
        "still starting); 0 for a server that is already up.",
    )


class VerifySpec(_Model):
    """What a verify run checks."""

    level: VerifyLevel = Field(
        default=VerifyLevel.EQUIVALENCE,
        description="integrity, restorability (restore into scratch) or equivalence "
        "(fingerprints after restore equal those at dump time).",
    )
    scratch: ScratchTarget | None = Field(
        default=None, description="Required for restorability and equivalence."
    )
    assertions: list[Assertion] = Field(
        default_factory=list, description="Optional SQL checks run after the restore."
    )

    @model_validator(mode="after")
    def _scratch_for_restoring_levels(self) -> Self:
        if self.level is not VerifyLevel.INTEGRITY and self.scratch is None:
            raise ValueError(f"verify.scratch is required for level {self.level.value}")
        if self.assertions and self.scratch is None:
            raise ValueError("verify.assertions need verify.scratch to run in")
        return self


class RestoreSpec(_Model):
    """Where a restore run writes."""

    target: DatabaseConnection = Field(description="The database to restore into.")
    allow_overwrite: bool = Field(
        default=False,
        description="Restore even when the target already holds tables (explicit confirmation).",
    )
    erasures: list[ErasureEntry] = Field(
        default_factory=list,
        description="Erasure ledger entries replayed into the target after the restore, in "
        "order (deletes by key; the values are personal data, so this file lives in a Secret).",
    )


class AgentJob(_Model):
    """One agent run, as the operator writes it into the Job (JSON, camelCase keys)."""

    role: Role = Field(description="backup, verify or restore.")
    engine: str = Field(min_length=1, description="Database engine: postgresql or mysql/mariadb.")
    database: DatabaseConnection | None = Field(
        default=None, description="The source database (required for backup)."
    )
    storage: StorageSpec = Field(description="Bucket and prefix of the backup objects.")
    identity: Identity = Field(description="Namespace, policy and backup names.")
    dek_file: Path = Field(
        description="File holding this backup's 32-byte data key (raw, from a per-Job Secret)."
    )
    wrapped_keys: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Wrapped data-key entries made by the operator, written unchanged into the "
        "manifest (backup only).",
    )
    retention_deadline: datetime | None = Field(
        default=None,
        description="When retention will delete this backup; recorded in the manifest.",
    )
    expected_size: int | None = Field(
        default=None, ge=0, description="Estimated dump size in bytes, to choose the S3 part size."
    )
    verify: VerifySpec | None = Field(default=None, description="Required for role verify.")
    restore: RestoreSpec | None = Field(default=None, description="Required for role restore.")
    result_file: Path = Field(
        default=Path("/dev/termination-log"),
        description="Where the compact JSON result goes (the pod's termination message).",
    )

    @model_validator(mode="after")
    def _role_sections(self) -> Self:
        if self.role is Role.BACKUP:
            if self.database is None:
                raise ValueError("database is required for role backup")
            if not self.wrapped_keys:
                raise ValueError("wrappedKeys must hold at least one entry for role backup")
        if self.role is Role.VERIFY and self.verify is None:
            raise ValueError("verify is required for role verify")
        if self.role is Role.RESTORE and self.restore is None:
            raise ValueError("restore is required for role restore")
        return self

    def to_json(self) -> str:
        """Serialise with camelCase keys, as the operator writes the file."""
        return self.model_dump_json(by_alias=True, exclude_none=True)


def load_job(path: Path) -> AgentJob:
    """Read and validate a job file.

    Raises:
        ConfigError: The file is missing, not JSON, or a field is wrong; the message names the
            field path (``storage.bucket``) and what is wrong with it.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"job file {path} cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"job file {path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_job(raw, source=str(path))


def parse_job(raw: object, *, source: str = "job") -> AgentJob:
    """Validate already-decoded JSON; errors name every wrong field (values are never echoed)."""
    try:
        return AgentJob.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{where}: {error['msg']}")
        raise ConfigError(f"{source} is invalid: " + "; ".join(problems)) from None
