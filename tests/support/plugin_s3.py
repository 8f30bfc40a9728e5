"""Pytest fixtures for the local S3/KMS endpoint (registered in tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.s3 import REGION, S3Server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One moto S3/KMS server per test session."""
    server = S3Server(log_dir=tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket per test, in the test region."""
    name = f"strongroom-test-{uuid.uuid4().hex[:12]}"
    client: Any = s3_server.client()
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name
