"""The job file (``AgentJob``) a backup or verify Job reads, built from the policy spec.

It holds file *paths* (where ``manifests.jobs`` mounts the Secrets) and the wrapped data-key
entries, never a secret. It lives in the controller because ``AgentJob`` belongs to the agent
layer, which the manifest builder may not import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from strongroom.agent.config import (
    AgentJob,
    DatabaseConnection,
    Identity,
    Role,
    ScratchTarget,
    StorageSpec,
    VerifyLevel,
    VerifySpec,
)
from strongroom.api.common import VerificationLevel
from strongroom.api.policy import BackupPolicySpec, TLSMode
from strongroom.crypto.wrapping import WrappedKey
from strongroom.manifests import jobs


def storage_section(spec: BackupPolicySpec) -> StorageSpec:
    """Return the job file's storage section: bucket, prefix, endpoint, credential files."""
    storage = spec.storage
    with_keys = storage.credentials_secret_ref is not None
    return StorageSpec(
        bucket=storage.bucket,
        prefix=storage.prefix,
        endpoint=storage.endpoint,
        region=storage.region,
        access_key_id_file=Path(jobs.S3_ACCESS_KEY_FILE) if with_keys else None,
        secret_access_key_file=Path(jobs.S3_SECRET_KEY_FILE) if with_keys else None,
        ca_bundle_file=Path(jobs.S3_CA_FILE) if storage.ca_bundle_secret_ref else None,
        force_path_style=storage.force_path_style,
    )


def backup_job_file(
    *,
    spec: BackupPolicySpec,
    namespace: str,
    policy: str,
    backup: str,
    user: str,
    wrapped: tuple[WrappedKey, ...],
    retention_deadline: datetime | None = None,
) -> str:
    """Return the JSON job file of a backup run."""
    db = spec.database
    tls = db.tls
    job = AgentJob(
        role=Role.BACKUP,
        engine=db.engine.value,
        database=DatabaseConnection(
            host=db.host,
            port=db.effective_port,
            database=db.database,
            user=user,
            password_file=Path(jobs.DB_PASSWORD_FILE),
            tls=tls.mode.value,
            ca_file=Path(jobs.DB_CA_FILE)
            if tls.mode is not TLSMode.DISABLE and tls.ca_secret_ref is not None
            else None,
        ),
        storage=storage_section(spec),
        identity=Identity(namespace=namespace, policy=policy, backup=backup),
        dek_file=Path(jobs.DEK_FILE),
        wrapped_keys=[w.to_dict() for w in wrapped],
        retention_deadline=retention_deadline,
        result_file=Path(jobs.TERMINATION_LOG),
    )
    return job.to_json()


@dataclass(frozen=True)
class ScratchLogin:
    """Where a verification restores: a scratch server login (its password is a mounted file)."""

    host: str
    port: int
    user: str
    admin_database: str
    database: str


def verify_job_file(
    *,
    spec: BackupPolicySpec,
    namespace: str,
    policy: str,
    backup: str,
    level: VerificationLevel,
    scratch: ScratchLogin | None = None,
) -> str:
    """Return the JSON job file of a verification run (integrity needs no scratch server)."""
    target = None
    if scratch is not None:
        target = ScratchTarget(
            connection=DatabaseConnection(
                host=scratch.host,
                port=scratch.port,
                database=scratch.admin_database,
                user=scratch.user,
                password_file=Path(jobs.SCRATCH_DIR) / "password",
                tls="disable",
            ),
            database=scratch.database,
        )
    job = AgentJob(
        role=Role.VERIFY,
        engine=spec.database.engine.value,
        storage=storage_section(spec),
        identity=Identity(namespace=namespace, policy=policy, backup=backup),
        dek_file=Path(jobs.DEK_FILE),
        verify=VerifySpec(level=VerifyLevel(level.value), scratch=target),
        result_file=Path(jobs.TERMINATION_LOG),
    )
    return job.to_json()
