"""Turning a validated :class:`~strongroom.agent.config.AgentJob` into live parts.

Heavy imports (boto3, engines) happen here, not in :mod:`strongroom.agent.config`, so the
operator can import the job model without them.
"""

from __future__ import annotations

from pathlib import Path

from strongroom.agent.config import AgentJob, DatabaseConnection, Identity, StorageSpec
from strongroom.engines.base import Connection, TLSMode
from strongroom.errors import ConfigError
from strongroom.storage.config import StorageConfig

#: A data key is 256 bits.
DEK_BYTES = 32
#: Name of the data and manifest objects inside a backup's folder.
DATA_OBJECT = "data.sr"
MANIFEST_OBJECT = "manifest.json"


def read_dek(path: Path) -> bytes:
    """Read this run's data key (32 raw bytes) from its file.

    Raises:
        ConfigError: The file is missing or does not hold exactly 32 bytes (never shows them).
    """
    try:
        dek = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"data key file {path} cannot be read ({exc.strerror}); the per-Job key Secret "
            "must be mounted there",
            reason="DataKeyUnavailable",
        ) from None
    if len(dek) != DEK_BYTES:
        raise ConfigError(
            f"data key file {path} holds {len(dek)} bytes, not {DEK_BYTES}",
            reason="DataKeyUnavailable",
        )
    return dek


def connection(spec: DatabaseConnection, *, database: str | None = None) -> Connection:
    """The engines' :class:`Connection` for a job's connection section."""
    return Connection(
        host=spec.host,
        port=spec.port,
        database=database or spec.database,
        user=spec.user,
        password_file=spec.password_file,
        tls=TLSMode(spec.tls),
        ca_file=spec.ca_file,
    )


def storage_config(spec: StorageSpec) -> StorageConfig:
    """The storage adapter's settings for a job's storage section."""
    return StorageConfig(
        bucket=spec.bucket,
        region=spec.region,
        endpoint_url=spec.endpoint,
        credentials_file=spec.credentials_file,
        credentials_profile=spec.credentials_profile,
        access_key_id_file=spec.access_key_id_file,
        secret_access_key_file=spec.secret_access_key_file,
        ca_bundle_file=spec.ca_bundle_file,
        force_path_style=spec.force_path_style,
        max_attempts=spec.max_attempts,
        part_attempts=spec.part_attempts,
        retry_base_seconds=spec.retry_base_seconds,
    )


def backup_folder(prefix: str, identity: Identity) -> str:
    """``{prefix}/{namespace}/{policy}/{backup}`` — the same layout as ``crypto.object_keys``."""
    parts = (prefix.strip("/"), identity.namespace, identity.policy, identity.backup)
    return "/".join(p for p in parts if p)


def object_keys(job: AgentJob) -> tuple[str, str]:
    """(data key, manifest key) of the job's backup."""
    folder = backup_folder(job.storage.prefix, job.identity)
    return f"{folder}/{DATA_OBJECT}", f"{folder}/{MANIFEST_OBJECT}"
