"""The job file (``AgentJob``) a backup, verify or restore Job reads, built from the policy spec.

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
    Assertion,
    DatabaseConnection,
    Identity,
    RestoreSpec,
    Role,
    ScratchTarget,
    StorageSpec,
    VerifyLevel,
    VerifySpec,
)
from strongroom.api.common import DEFAULT_PORTS, Engine, VerificationLevel
from strongroom.api.erasure import ErasureEntry
from strongroom.api.policy import BackupPolicySpec, TLSMode
from strongroom.api.restore import RestoreTarget
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
    """Where a verification restores.

    A named scratch server (its password is a mounted file) or the pod's sidecar (a Unix
    socket, no password, waited for).
    """

    host: str
    port: int
    user: str
    admin_database: str
    database: str
    with_password: bool = True
    wait_seconds: int = 0


def sidecar_login(
    sidecar: jobs.ScratchSidecar, *, database: str, wait_seconds: int
) -> ScratchLogin:
    """The agent's login on the pod's scratch sidecar: its socket, the image's superuser."""
    layout = sidecar.layout
    return ScratchLogin(
        host=layout.agent_host,
        port=layout.port,
        user=layout.user,
        admin_database="postgres" if sidecar.engine is Engine.POSTGRESQL else "mysql",
        database=database,
        with_password=False,
        wait_seconds=wait_seconds,
    )


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
                password_file=Path(jobs.SCRATCH_DIR) / "password"
                if scratch.with_password
                else None,
                tls="disable",
            ),
            database=scratch.database,
            wait_seconds=scratch.wait_seconds,
        )
    job = AgentJob(
        role=Role.VERIFY,
        engine=spec.database.engine.value,
        storage=storage_section(spec),
        identity=Identity(namespace=namespace, policy=policy, backup=backup),
        dek_file=Path(jobs.DEK_FILE),
        verify=VerifySpec(
            level=VerifyLevel(level.value),
            scratch=target,
            assertions=[
                Assertion(name=a.name, sql=a.sql, expect=a.expect)
                for a in (spec.verification.assertions or [])
            ]
            if target is not None
            else [],
        ),
        result_file=Path(jobs.TERMINATION_LOG),
    )
    return job.to_json()


@dataclass(frozen=True)
class RestoreWork:
    """What a restore Job is told: the source backup, the target login, the erasures."""

    backup: str
    target: RestoreTarget
    engine: Engine
    user: str
    allow_overwrite: bool
    erasures: tuple[ErasureEntry, ...] = ()


def restore_job_file(
    *, spec: BackupPolicySpec, namespace: str, policy: str, work: RestoreWork
) -> str:
    """Return the JSON job file of a restore run (it holds erasure key values: Secret only)."""
    target = work.target
    tls = target.tls
    job = AgentJob(
        role=Role.RESTORE,
        engine=work.engine.value,
        storage=storage_section(spec),
        identity=Identity(namespace=namespace, policy=policy, backup=work.backup),
        dek_file=Path(jobs.DEK_FILE),
        restore=RestoreSpec(
            target=DatabaseConnection(
                host=target.host,
                port=target.port or DEFAULT_PORTS[work.engine],
                database=target.database,
                user=work.user,
                password_file=Path(jobs.TARGET_PASSWORD_FILE),
                tls=tls.mode.value,
                ca_file=Path(jobs.TARGET_CA_FILE)
                if tls.mode is not TLSMode.DISABLE and tls.ca_secret_ref is not None
                else None,
            ),
            allow_overwrite=work.allow_overwrite,
            erasures=list(work.erasures),
        ),
        result_file=Path(jobs.TERMINATION_LOG),
    )
    return job.to_json()
