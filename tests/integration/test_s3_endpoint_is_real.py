"""The S3 fixture is a real HTTP endpoint: an object put over the wire comes back."""

from __future__ import annotations

from typing import Any

from tests.support.s3 import S3Server


def test_an_object_round_trips_over_http(s3_server: S3Server, bucket: str) -> None:
    client: Any = s3_server.client()
    client.put_object(Bucket=bucket, Key="hello.txt", Body=b"strongroom")
    assert client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"strongroom"
    location = client.get_bucket_location(Bucket=bucket)["LocationConstraint"]
    assert location == "eu-central-1"
