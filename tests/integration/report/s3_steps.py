"""Given-steps for report stories on the real S3 endpoint: a store, a bucket in any region."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

from strongroom.storage.config import StorageConfig
from strongroom.storage.s3 import S3ObjectStore


def credentials_file(directory: Path) -> Path:
    """Write the test endpoint's access key as an AWS-style credentials file."""
    path = directory / "s3-credentials"
    path.write_text(
        f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n",
        encoding="utf-8",
    )
    return path


def store_for(
    server: S3Server, bucket: str, directory: Path, region: str = REGION
) -> S3ObjectStore:
    """An S3ObjectStore on ``bucket`` of the test endpoint, signing for ``region``."""
    return S3ObjectStore(
        StorageConfig(
            bucket=bucket,
            region=region,
            endpoint_url=server.endpoint_url,
            credentials_file=credentials_file(directory),
            force_path_style=True,
            max_attempts=2,
            part_attempts=1,
        )
    )


def given_bucket_in(server: S3Server, region: str | None) -> str:
    """Create a bucket really located in ``region`` (``None``: us-east-1, no constraint)."""
    import boto3  # noqa: PLC0415 - keep boto3 out of the module's import time

    name = f"strongroom-residency-{uuid.uuid4().hex[:10]}"
    # The endpoint, like AWS, wants the request signed for the region the bucket goes to.
    client: Any = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=region or "us-east-1",
    )
    if region is None:
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name
