"""boto3 clients for people's tools (``strongroom decrypt``): the default AWS credential chain.

Kept beside the S3 adapter because this package is the one place (with ``crypto.kms``) that
imports boto3. Inside Job pods the agent never uses these: it reads credentials from files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


def kms_client(*, region: str | None = None, endpoint_url: str | None = None) -> KMSClient:
    """A KMS client using the environment, profile or instance credentials of the caller."""
    return boto3.session.Session(region_name=region).client(
        "kms",
        endpoint_url=endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 5}),
    )
