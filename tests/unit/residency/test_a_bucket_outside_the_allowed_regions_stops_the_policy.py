"""The controller refuses a bucket (really) or a KMS key outside the allowed regions.

The in-memory bucket reports its own location, as GetBucketLocation would; the allowed regions
come from the policy, the operator's cluster-wide default, or both (the narrower wins).
"""

from __future__ import annotations

import pytest
from tests.unit.controller.world import NS, POLICY, World, policy_spec

from strongroom.config import OperatorConfig
from strongroom.errors import ConfigError
from strongroom.metrics import OperatorMetrics
from strongroom.planner.residency import allowed_regions, kms_key_region
from strongroom.storage.fake import InMemoryObjectStore


def storage(**extra: object) -> dict[str, object]:
    """The world's storage section with ``extra`` fields."""
    return {**policy_spec()["storage"], **extra}


async def test_a_bucket_really_elsewhere_is_refused_before_any_job() -> None:
    # Given a policy allowing only eu-central-1 whose bucket really lives in us-west-2
    world = World(store=InMemoryObjectStore("backups", region="us-west-2"))
    world.policy(storage=storage(allowedRegions=["eu-central-1"]))

    # When the operator looks at it, then it is not ready, says why, and starts nothing
    with pytest.raises(ConfigError) as raised:
        await world.tick(force=True)
    assert raised.value.reason == "RegionNotAllowed"
    ready = world.condition("Ready")
    assert (ready["status"], ready["reason"]) == ("False", "RegionNotAllowed")
    assert "really in us-west-2" in ready["message"]
    assert "spec.storage.allowedRegions" in ready["message"]
    refusals = [e.message for _, e in world.kube.events if e.reason == "PolicyNotReady"]
    assert [m.split(":")[0] for m in refusals] == ["RegionNotAllowed"]
    assert world.jobs() == []
    assert world.metrics.resident[(NS, POLICY)] is False


async def test_a_resident_bucket_is_exported_as_resident() -> None:
    world = World()
    world.policy(storage=storage(allowedRegions=["eu-central-1", "eu-west-1"]))
    outcome = await world.tick(force=True)
    assert outcome.ready
    assert world.metrics.resident[(NS, POLICY)] is True


async def test_the_cluster_wide_default_applies_to_policies_without_their_own() -> None:
    # Given an operator allowing only us-east-1 and a policy with no list of its own
    world = World()
    world.rt.config = OperatorConfig(allowed_regions=["us-east-1"])
    world.policy()
    with pytest.raises(ConfigError) as raised:
        await world.tick(force=True)
    assert raised.value.reason == "RegionNotAllowed"
    assert "residency.allowedRegions" in world.condition("Ready")["message"]


async def test_a_kms_key_outside_the_allowed_regions_is_refused() -> None:
    world = World()
    arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    world.policy(storage=storage(allowedRegions=["eu-central-1"]), encryption={"kmsKeyId": arn})
    with pytest.raises(ConfigError) as raised:
        await world.tick(force=True)
    assert raised.value.reason == "KMSRegionNotAllowed"
    assert "KMS key is in us-west-2" in world.condition("Ready")["message"]


def test_a_policy_may_narrow_the_cluster_list_never_widen_it() -> None:
    assert allowed_regions(None, []) is None
    assert allowed_regions(None, ["eu-west-1"]) == ["eu-west-1"]
    assert allowed_regions(["eu-west-1", "us-east-1"], ["eu-west-1"]) == ["eu-west-1"]
    assert allowed_regions(["us-east-1"], ["eu-west-1"]) == []
    assert allowed_regions(["us-east-1"], []) == ["us-east-1"]


def test_the_kms_key_region_comes_from_its_arn_first() -> None:
    arn = "arn:aws:kms:ap-south-1:111122223333:alias/backups"
    assert kms_key_region(arn, "eu-west-1", "eu-central-1") == "ap-south-1"
    assert kms_key_region("alias/backups", "eu-west-1", "eu-central-1") == "eu-west-1"
    assert kms_key_region("alias/backups", None, "eu-central-1") == "eu-central-1"
    assert kms_key_region(None, None, "eu-central-1") is None


def test_the_residency_gauge_is_exported_and_forgotten_with_the_policy() -> None:
    metrics = OperatorMetrics()
    metrics.observe_residency(NS, POLICY, False)
    metrics.observe_residency(NS, "billing", None)
    text = metrics.render().decode()
    assert f'strongroom_policy_resident{{namespace="{NS}",policy="{POLICY}"}} 0.0' in text
    assert f'strongroom_policy_resident{{namespace="{NS}",policy="billing"}} NaN' in text
    metrics.forget_policy(NS, POLICY)
    left = [
        line
        for line in metrics.render().decode().splitlines()
        if line.startswith("strongroom_policy_resident{")
    ]
    assert left == [f'strongroom_policy_resident{{namespace="{NS}",policy="billing"}} NaN']


def test_the_charts_residency_and_coverage_variables_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRONGROOM_ALLOWED_REGIONS", "eu-central-1, eu-west-1")
    monkeypatch.setenv("STRONGROOM_COVERAGE_INTERVAL", "0")
    config = OperatorConfig()
    assert config.allowed_regions == ["eu-central-1", "eu-west-1"]
    assert config.coverage_interval == 0
    monkeypatch.setenv("STRONGROOM_ALLOWED_REGIONS", "")
    assert OperatorConfig().allowed_regions == []
