"""A Restore becomes exactly one restore Job (named after it, owned by it) with only the backup's
data key and the ledger's erasures in its Secret; repeated looks never start a second one;
its result, erasure replay, Events and audit records are written once it ends; an unusable
source is refused before any Job exists."""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from tests.unit.controller.world import NS, POLICY, World, succeeded

from strongroom.agent.report import AgentResult
from strongroom.api.backup import EquivalenceMethod
from strongroom.api.restore import RestoreStatus
from strongroom.controller.restores import ERASURE_LEDGERS, reconcile_restore
from strongroom.kube.base import BACKUPS, JOBS, RESTORES, SECRETS
from strongroom.manifests.labels import REQUESTED_BY

BACKUP = "orders-202603021000"
RESTORE = "orders-back"


async def backed_up() -> World:
    world = World()
    world.policy(verification={"level": "integrity"})
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job(f"{BACKUP}-backup", succeeded(BACKUP))
    await world.tick(force=True)
    world.kube.put(
        SECRETS,
        NS,
        {
            "metadata": {"name": "target-login"},
            "data": {
                "username": base64.b64encode(b"restorer").decode(),
                "password": base64.b64encode(b"pw").decode(),
            },
        },
    )
    return world


def restore_body(world: World, **source: Any) -> dict[str, Any]:
    spec = {
        **(source or {"backupRef": {"name": BACKUP}}),
        "target": {
            "host": "db-new",
            "database": "shop_restored",
            "credentialsSecretRef": {"name": "target-login"},
            "tls": {"mode": "disable"},
        },
    }
    return world.kube.put(
        RESTORES,
        NS,
        {
            "metadata": {"name": RESTORE, "annotations": {REQUESTED_BY: "alice@example.com"}},
            "spec": spec,
        },
    )


def current(world: World) -> dict[str, Any]:
    return dict(world.kube.objects[(RESTORES.plural, NS, RESTORE)])


def given_ledger(world: World) -> None:
    world.kube.put(
        ERASURE_LEDGERS,
        NS,
        {
            "metadata": {"name": "gdpr"},
            "spec": {
                "policyRefs": [{"name": POLICY}],
                "entries": [
                    {
                        "id": "REQ-1",
                        "deletes": [
                            {"table": "orders", "column": "customer_id", "values": ["42"]},
                            {"table": "customers", "column": "id", "values": ["42"]},
                        ],
                    },
                    {
                        "id": "REQ-2",
                        "deletes": [{"table": "customers", "column": "id", "values": ["7"]}],
                    },
                ],
            },
        },
    )


async def test_one_job_with_the_data_key_and_the_erasures_however_often_it_is_looked_at() -> None:
    world = await backed_up()
    given_ledger(world)
    restore_body(world)
    for _ in range(3):
        await reconcile_restore(world.rt, current(world))
    jobs = [j for j in world.jobs() if j["metadata"]["name"] == f"{RESTORE}-restore"]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["spec"]["backoffLimit"] == 0
    assert job["metadata"]["ownerReferences"][0]["kind"] == "Restore"
    assert job["metadata"]["labels"]["strongroom.dev/backup"] == BACKUP
    secret = world.kube.objects[(SECRETS.plural, NS, f"{RESTORE}-restore-key")]
    job_file = json.loads(base64.b64decode(secret["data"]["job.json"]))
    assert job_file["role"] == "restore"
    assert job_file["identity"]["backup"] == BACKUP
    assert job_file["restore"]["target"]["user"] == "restorer"
    assert job_file["restore"]["allowOverwrite"] is False
    assert [e["id"] for e in job_file["restore"]["erasures"]] == ["REQ-1", "REQ-2"]
    assert len(base64.b64decode(secret["data"]["dek"])) == 32
    status = current(world)["status"]
    assert status["phase"] == "Running"
    assert status["backupName"] == BACKUP
    assert status["requestedBy"] == "alice@example.com"
    assert world.kube.event_reasons().count("RestoreStarted") == 1


async def test_a_finished_job_becomes_the_result_with_the_erasure_replay_recorded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = await backed_up()
    given_ledger(world)
    restore_body(world)
    await reconcile_restore(world.rt, current(world))
    world.now += timedelta(seconds=30)
    result = AgentResult(
        role="restore", outcome="succeeded", reason="Restored", message="restored",
        total_seconds=12.5, level_reached="equivalence", erasure_entries=2, erasure_rows=4,
        erasure_counts=[3, 1], equivalence=EquivalenceMethod.ROW_COUNTS,
    )  # fmt: skip
    world.finish_job(f"{RESTORE}-restore", result)
    with caplog.at_level(logging.INFO, logger="strongroom.audit"):
        await reconcile_restore(world.rt, current(world))
        await reconcile_restore(world.rt, current(world))  # finished: left alone
    status = current(world)["status"]
    assert status["phase"] == "Succeeded"
    assert status["durationSeconds"] == 12.5
    assert status["conditions"][0]["type"] == "Succeeded"
    assert status["conditions"][0]["status"] == "True"
    assert status["erasure"]["result"] == "Replayed"
    assert status["erasure"]["rowsDeleted"] == 4
    assert status["erasure"]["perEntry"] == [{"id": "REQ-1", "rows": 3}, {"id": "REQ-2", "rows": 1}]
    reasons = world.kube.event_reasons()
    assert reasons.count("RestoreSucceeded") == 1
    assert reasons.count("ErasureReplayed") == 1
    assert (SECRETS.plural, NS, f"{RESTORE}-restore-key") not in world.kube.objects
    ledger = world.kube.objects[(ERASURE_LEDGERS.plural, NS, "gdpr")]
    assert ledger["status"]["lastReplayRestore"] == RESTORE
    audited = [json.loads(r.getMessage()) for r in caplog.records if r.name == "strongroom.audit"]
    actions = [(a["action"], a["result"], a["actor"]) for a in audited]
    assert actions == [
        ("restore", "succeeded", "alice@example.com"),
        ("erasure-replay", "succeeded", "alice@example.com"),
    ]
    assert audited[0]["details"]["equivalence"] == "rowCounts"  # what the restore compared
    assert "42" not in json.dumps(audited)  # key values are personal data


@pytest.mark.parametrize(
    ("method", "why"),
    [
        (EquivalenceMethod.CONTENT, None),
        (EquivalenceMethod.ROW_COUNTS, "fingerprint method v1 differs from the agent's v2"),
        (None, None),  # an overwritten target: nothing to compare with
    ],
)
async def test_the_status_says_what_the_equivalence_check_compared(
    method: EquivalenceMethod | None, why: str | None
) -> None:
    world = await backed_up()
    restore_body(world)
    await reconcile_restore(world.rt, current(world))
    result = AgentResult(
        role="restore", outcome="succeeded", reason="Restored", message="restored",
        level_reached="equivalence" if method else "restorability",
        equivalence=method, equivalence_reason=why,
    )  # fmt: skip
    world.finish_job(f"{RESTORE}-restore", result)
    await reconcile_restore(world.rt, current(world))
    status = current(world)["status"]
    assert status["phase"] == "Succeeded"
    assert status.get("equivalence") == (method.value if method else None)
    assert status.get("equivalenceReason") == why
    assert RestoreStatus.model_validate(status).equivalence is method


async def test_a_non_empty_target_refused_by_the_agent_is_a_refusal() -> None:
    world = await backed_up()
    restore_body(world)
    await reconcile_restore(world.rt, current(world))
    refused = AgentResult(
        role="restore", outcome="failed", reason="TargetNotEmpty",
        message="restore target restorer@db-new:5432/shop_restored is not empty",
    )  # fmt: skip
    world.finish_job(f"{RESTORE}-restore", refused, complete=False)
    await reconcile_restore(world.rt, current(world))
    status = current(world)["status"]
    assert status["phase"] == "Failed"
    assert status["reason"] == "TargetNotEmpty"
    assert status["conditions"][0]["status"] == "False"
    assert "RestoreRefused" in world.kube.event_reasons()


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ({"backupRef": {"name": "orders-gone"}}, "BackupNotFound"),
        ({"policyRef": {"name": POLICY}, "latestVerified": True}, "NoVerifiedBackup"),
    ],
)
async def test_an_unusable_source_is_refused_before_any_job(
    source: dict[str, Any], reason: str
) -> None:
    world = await backed_up()
    restore_body(world, **source)
    await reconcile_restore(world.rt, current(world))
    status = current(world)["status"]
    assert status["phase"] == "Failed"
    assert status["reason"] == reason
    assert status["message"].startswith("spec.")
    assert not [j for j in world.jobs() if j["metadata"]["name"] == f"{RESTORE}-restore"]
    assert "RestoreRefused" in world.kube.event_reasons()


async def test_latest_verified_restores_the_newest_backup_whose_verification_passed() -> None:
    world = await backed_up()
    backup = world.kube.objects[(BACKUPS.plural, NS, BACKUP)]
    backup["status"]["verification"] = {
        "level": "integrity", "result": "Passed", "time": "2026-03-02T10:05:00Z"
    }  # fmt: skip
    restore_body(world, policyRef={"name": POLICY}, latestVerified=True)
    await reconcile_restore(world.rt, current(world))
    assert current(world)["status"]["backupName"] == BACKUP
    assert (JOBS.plural, NS, f"{RESTORE}-restore") in world.kube.objects
