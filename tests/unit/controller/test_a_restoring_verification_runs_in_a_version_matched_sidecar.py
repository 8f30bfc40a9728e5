"""Without a named scratch server, a restoring verification gets a sidecar of the source's
version (read from the manifest), the agent gets its socket and the policy's assertions, and
every finished verification is recorded on the Backup and as an audit record."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from tests.unit.controller.world import NS, POLICY, World, succeeded

from strongroom.agent.report import AgentResult
from strongroom.api.backup import EquivalenceMethod
from strongroom.audit.record import AuditAction
from strongroom.audit.sink import read_trail
from strongroom.kube.base import SECRETS
from strongroom.manifests.jobs import SCRATCH_SOCKET_DIR

NAME = "orders-202603021000"
IMAGE = "docker.io/library/postgres:16"  # the world's manifests record server version 16
ASSERTION = {"name": "has-orders", "sql": "SELECT count(*) > 0 FROM orders", "expect": "true"}


async def backed_up(**scratch: Any) -> World:
    world = World()
    world.policy(
        verification={"level": "equivalence", "assertions": [ASSERTION], "scratch": scratch}
    )
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    await world.tick(force=True)
    return world


def verify_job(world: World) -> dict[str, Any]:
    return next(j for j in world.jobs() if j["metadata"]["name"] == f"{NAME}-verify")


async def test_the_sidecar_matches_the_manifests_server_version_and_the_agent_gets_its_socket() -> (
    None
):
    world = await backed_up()
    pod = verify_job(world)["spec"]["template"]["spec"]
    [sidecar] = pod["initContainers"]
    assert sidecar["image"] == IMAGE
    assert sidecar["restartPolicy"] == "Always"
    secret = world.kube.objects[(SECRETS.plural, NS, f"{NAME}-verify-key")]
    scratch = json.loads(base64.b64decode(secret["data"]["job.json"]))["verify"]["scratch"]
    assert scratch["connection"]["host"] == SCRATCH_SOCKET_DIR
    assert "passwordFile" not in scratch["connection"]
    assert scratch["waitSeconds"] > 0
    job_file = json.loads(base64.b64decode(secret["data"]["job.json"]))
    assert job_file["verify"]["assertions"] == [ASSERTION]
    assert world.kube.event_reasons().count("VerificationSidecar") == 1


async def test_a_configured_image_wins_and_a_named_server_needs_no_sidecar() -> None:
    world = await backed_up(image="registry.example/pg:16.4")
    assert verify_job(world)["spec"]["template"]["spec"]["initContainers"][0]["image"] == (
        "registry.example/pg:16.4"
    )
    named = World()
    login = {"host": "scratch.shop.svc", "port": "5432", "username": "v", "password": "pw"}
    named.kube.put(
        SECRETS,
        NS,
        {
            "metadata": {"name": "scratch-server"},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in login.items()},
        },
    )
    named.policy(
        verification={
            "level": "restorability",
            "scratch": {"serverSecretRef": {"name": "scratch-server"}},
        }
    )
    await named.tick(force=True)
    named.now += timedelta(seconds=20)
    named.finish_job(f"{NAME}-backup", succeeded(NAME))
    await named.tick(force=True)
    assert "initContainers" not in verify_job(named)["spec"]["template"]["spec"]


async def test_a_passed_run_records_rto_sidecar_and_assertions_and_is_audited() -> None:
    world = await backed_up()
    world.now += timedelta(seconds=10)
    result = AgentResult(
        role="verify", outcome="succeeded", level_reached="equivalence", restore_seconds=2.5,
        total_seconds=4.0, message="verified", equivalence=EquivalenceMethod.CONTENT,
    )  # fmt: skip
    world.finish_job(f"{NAME}-verify", result)
    await world.tick(force=True)
    backup = next(b for b in world.backups() if b["metadata"]["name"] == NAME)
    verification = backup["status"]["verification"]
    assert verification["result"] == "Passed"
    assert verification["rtoSeconds"] == 2.5
    assert verification["scratch"] == IMAGE
    assert verification["assertionsChecked"] == 1
    assert not verification.get("assertionsFailed")
    [record] = [
        r
        for r in read_trail(world.store, "prod", namespace=NS, policy=POLICY)
        if r.action is AuditAction.VERIFICATION
    ]
    assert record.result.value == "succeeded"
    assert record.backup == NAME
    assert record.duration_seconds == 4.0
    assert record.details["level"] == "equivalence"
    assert record.details["rtoSeconds"] == 2.5
    assert record.details["equivalence"] == "content"


async def test_a_failed_assertion_fails_the_run_by_name_without_marking_it_corrupt() -> None:
    world = await backed_up()
    world.now += timedelta(seconds=10)
    failed = ["has-orders (expected 'true')"]
    result = AgentResult(
        role="verify", outcome="failed", level_reached="equivalence", restore_seconds=2.5,
        reason="AssertionFailed", message="1 custom assertion(s) failed: " + failed[0],
        assertions_failed=failed,
    )  # fmt: skip
    world.finish_job(f"{NAME}-verify", result, complete=False)
    await world.tick(force=True)
    backup = next(b for b in world.backups() if b["metadata"]["name"] == NAME)
    verification = backup["status"]["verification"]
    assert verification["result"] == "Failed"
    assert verification["reason"] == "AssertionFailed"
    assert verification["assertionsFailed"] == failed
    assert "corrupt" not in backup["status"]
    assert world.condition("Verified")["status"] == "False"
    [record] = [
        r
        for r in read_trail(world.store, "prod", namespace=NS, policy=POLICY)
        if r.action is AuditAction.VERIFICATION
    ]
    assert record.result.value == "failed"
    assert record.reason == "AssertionFailed"
