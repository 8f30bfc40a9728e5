"""Residency reads the bucket's real location from the S3 endpoint; the declared region loses."""

from __future__ import annotations

from pathlib import Path

from s3_steps import given_bucket_in, store_for
from tests.support.s3 import S3Server

from strongroom.planner.residency import ResidencyReason, check_residency

ALLOWED = ["eu-central-1", "eu-west-1"]


def test_a_us_bucket_declared_as_eu_is_refused(s3_server: S3Server, tmp_path: Path) -> None:
    # Given a bucket really created in us-west-2, and a policy declaring eu-central-1
    bucket = given_bucket_in(s3_server, "us-west-2")
    store = store_for(s3_server, bucket, tmp_path, region="eu-central-1")

    # When residency is checked with the location the endpoint reports
    location = store.bucket_region()
    verdict = check_residency(ALLOWED, "eu-central-1", location)

    # Then the real location decides, and the verdict says so
    assert location == "us-west-2"
    assert verdict.status == "False"
    assert ResidencyReason.REGION_NOT_ALLOWED in verdict.reasons
    assert ResidencyReason.BUCKET_REGION_MISMATCH in verdict.reasons
    assert verdict.effective_region == "us-west-2"


def test_a_us_east_1_bucket_with_no_location_constraint_is_recognised(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = given_bucket_in(s3_server, None)
    store = store_for(s3_server, bucket, tmp_path, region="us-east-1")
    assert check_residency(ALLOWED, "eu-west-1", store.bucket_region()).status == "False"
    assert check_residency(["us-east-1"], "us-east-1", store.bucket_region()).status == "True"


def test_an_eu_bucket_as_declared_is_resident(
    s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    store = store_for(s3_server, bucket, tmp_path)
    verdict = check_residency(ALLOWED, "eu-central-1", store.bucket_region())
    assert verdict.status == "True"
    assert verdict.reason is ResidencyReason.RESIDENT
