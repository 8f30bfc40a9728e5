"""Residency is judged on where the bucket really is, not on what the policy declares."""

from __future__ import annotations

import pytest

from strongroom.planner.residency import ResidencyReason, check_residency, normalise_region

EU = ["eu-central-1", "eu-west-1"]


def test_a_bucket_in_an_allowed_region_as_declared_is_resident() -> None:
    verdict = check_residency(EU, "eu-central-1", "eu-central-1")
    assert verdict.status == "True"
    assert verdict.allowed
    assert verdict.reason is ResidencyReason.RESIDENT
    assert verdict.effective_region == "eu-central-1"


def test_a_bucket_really_outside_is_refused_even_when_an_allowed_region_is_declared() -> None:
    verdict = check_residency(EU, "eu-central-1", "us-west-2")
    assert verdict.status == "False"
    assert not verdict.allowed
    assert verdict.reasons == (
        ResidencyReason.REGION_NOT_ALLOWED,
        ResidencyReason.BUCKET_REGION_MISMATCH,
    )
    assert "us-west-2" in verdict.message
    assert "spec.storage.region" in verdict.message
    assert verdict.effective_region == "us-west-2"


@pytest.mark.parametrize("location", [None, ""])
def test_s3_reports_us_east_1_as_an_empty_location(location: str | None) -> None:
    assert normalise_region(location) == "us-east-1"
    verdict = check_residency(EU, "eu-west-1", location)
    assert verdict.status == "False"
    assert verdict.effective_region == "us-east-1"
    assert check_residency(["us-east-1"], "us-east-1", location).status == "True"


def test_legacy_eu_location_is_eu_west_1() -> None:
    assert check_residency(EU, "eu-west-1", "EU").status == "True"


def test_a_mismatch_inside_the_allowed_regions_is_still_refused() -> None:
    # The declared region signs requests and is what people read: it must be the truth.
    verdict = check_residency(EU, "eu-central-1", "eu-west-1")
    assert verdict.status == "False"
    assert verdict.reasons == (ResidencyReason.BUCKET_REGION_MISMATCH,)


def test_a_kms_key_outside_the_allowed_regions_is_refused() -> None:
    verdict = check_residency(EU, "eu-central-1", "eu-central-1", kms_region="us-east-1")
    assert verdict.status == "False"
    assert verdict.reasons == (ResidencyReason.KMS_REGION_NOT_ALLOWED,)
    assert check_residency(EU, "eu-central-1", "eu-central-1", "eu-west-1").status == "True"


def test_without_allowed_regions_only_the_mismatch_matters() -> None:
    assert check_residency(None, "ap-south-1", "ap-south-1").reason is (
        ResidencyReason.NO_RESTRICTION
    )
    assert check_residency(None, "ap-south-1", "eu-west-1").status == "False"


def test_an_unreadable_location_is_unknown_unless_the_declared_region_is_refused() -> None:
    unknown = check_residency(EU, "eu-central-1", None, location_known=False)
    assert unknown.status == "Unknown"
    assert unknown.allowed
    assert unknown.reason is ResidencyReason.BUCKET_REGION_UNKNOWN
    refused = check_residency(["eu-west-1"], "eu-central-1", None, location_known=False)
    assert refused.status == "False"
