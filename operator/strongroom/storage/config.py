"""How to reach one bucket: endpoint, region, TLS trust, credentials files and retry bounds.

A plain frozen dataclass with no boto3 import, so the agent's job model and the CLI can build
one cheaply; :class:`strongroom.storage.s3.S3ObjectStore` turns it into a boto3 client.

Credentials come from files, never from environment variables, inside the agent: either an
AWS-style credentials file (``[default]`` with ``aws_access_key_id`` and
``aws_secret_access_key``, optionally ``aws_session_token``) or two one-line files (access key
id, secret access key), as a Kubernetes Secret mounts them. With neither, boto3's default chain
is used — right for a person at a terminal (``strongroom decrypt``) and for pod identities such
as IRSA, which carry no secret in the environment.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from strongroom.errors import ConfigError


@dataclass(frozen=True)
class Credentials:
    """A static S3 access key; ``repr`` never shows the secret."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key=<hidden>)"


@dataclass(frozen=True)
class StorageConfig:
    """Settings for one bucket on an S3-compatible endpoint.

    Attributes:
        bucket: Bucket name.
        region: Region to sign requests for (``eu-central-1``); the bucket's real location is
            read separately with ``bucket_region()``.
        endpoint_url: ``https://…`` of an S3-compatible endpoint; ``None`` means AWS.
        credentials_file: AWS-style credentials ini file (see module docstring).
        credentials_profile: Section of ``credentials_file`` to read; default ``default``.
        access_key_id_file: File holding only the access key id (with ``secret_access_key_file``).
        secret_access_key_file: File holding only the secret access key.
        ca_bundle_file: PEM bundle of CAs to trust for the endpoint instead of the system store.
        force_path_style: Address the bucket as ``endpoint/bucket/key`` (MinIO, Ceph, moto).
        retry_mode: botocore retry mode, ``standard`` or ``adaptive`` (client-side throttling).
        max_attempts: botocore attempts per request, including the first (backoff with jitter).
        part_attempts: Our own attempts per part on top of botocore's, for longer 5xx bursts and
            connection resets; each waits an exponentially growing, jittered delay.
        retry_base_seconds: First delay of our own retries; doubles per attempt.
        retry_max_seconds: Largest single delay of our own retries.
        connect_timeout: Seconds to establish a connection.
        read_timeout: Seconds to wait for a response byte.
    """

    bucket: str
    region: str = "us-east-1"
    endpoint_url: str | None = None
    credentials_file: Path | None = None
    credentials_profile: str = "default"
    access_key_id_file: Path | None = None
    secret_access_key_file: Path | None = None
    ca_bundle_file: Path | None = None
    force_path_style: bool = False
    retry_mode: str = "standard"
    max_attempts: int = 5
    part_attempts: int = 4
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 8.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0

    def credentials(self) -> Credentials | None:
        """Read the static credentials from their file(s); ``None`` means boto3's default chain.

        Raises:
            ConfigError: A file is missing or lacks a key; the message names the file and key.
        """
        if self.access_key_id_file is not None or self.secret_access_key_file is not None:
            if self.access_key_id_file is None or self.secret_access_key_file is None:
                raise ConfigError(
                    "storage credentials: give both accessKeyIdFile and secretAccessKeyFile"
                )
            return Credentials(
                access_key_id=_read_one_line(self.access_key_id_file),
                secret_access_key=_read_one_line(self.secret_access_key_file),
            )
        if self.credentials_file is None:
            return None
        parser = configparser.ConfigParser()
        try:
            with self.credentials_file.open(encoding="utf-8") as handle:
                parser.read_file(handle)
        except OSError as exc:
            raise ConfigError(
                f"storage credentials file {self.credentials_file} cannot be read "
                f"({exc.strerror}); mount the credentials Secret there"
            ) from None
        except configparser.Error:
            raise ConfigError(
                f"storage credentials file {self.credentials_file} is not an AWS-style ini file "
                "with [default] aws_access_key_id / aws_secret_access_key"
            ) from None
        section = self.credentials_profile
        if not parser.has_section(section):
            raise ConfigError(
                f"storage credentials file {self.credentials_file} has no [{section}] section"
            )
        values = parser[section]
        for name in ("aws_access_key_id", "aws_secret_access_key"):
            if not values.get(name, "").strip():
                raise ConfigError(
                    f"storage credentials file {self.credentials_file} [{section}] lacks {name}"
                )
        token = values.get("aws_session_token", "").strip() or None
        return Credentials(
            access_key_id=values["aws_access_key_id"].strip(),
            secret_access_key=values["aws_secret_access_key"].strip(),
            session_token=token,
        )


def _read_one_line(path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"storage credentials file {path} cannot be read ({exc.strerror})"
        ) from None
    if not value:
        raise ConfigError(f"storage credentials file {path} is empty")
    return value
