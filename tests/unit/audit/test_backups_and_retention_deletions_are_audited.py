"""Every finished backup run and every retention deletion leaves one audit record in the bucket.

The records are read back with :func:`read_trail` from the same in-memory bucket the backups go
to, as an auditor would; who asked for an on-demand backup comes from its annotation.
"""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.test_retention_deletes_objects_before_the_backup import run_slots
from tests.unit.controller.world import NS, POLICY, World, failed, succeeded

from strongroom.api.backup import Trigger
from strongroom.audit.record import OPERATOR_ACTOR, AuditAction, AuditResult
from strongroom.audit.sink import read_trail
from strongroom.controller.backups import PolicyRef, finish_if_done, requester
from strongroom.controller.readiness import parse_spec
from strongroom.kube.base import BACKUPS
from strongroom.manifests.backups import build_backup
from strongroom.manifests.labels import REQUESTED_BY


async def test_runs_and_retention_deletions_are_recorded_in_order() -> None:
    # Given a policy keeping two backups, when three runs succeed and retention runs
    world = World()
    world.policy(retention={"keepLast": 2})
    first, second, third = await run_slots(world, 3)
    await world.tick(force=True)

    # Then the trail in the bucket holds three backups and one deletion (its intent, then its
    # completion), oldest first
    trail = read_trail(world.store, "prod", namespace=NS, policy=POLICY)
    assert [(r.action, r.result, r.backup) for r in trail] == [
        (AuditAction.BACKUP, AuditResult.SUCCEEDED, first),
        (AuditAction.BACKUP, AuditResult.SUCCEEDED, second),
        (AuditAction.BACKUP, AuditResult.SUCCEEDED, third),
        (AuditAction.RETENTION_DELETE, AuditResult.STARTED, first),
        (AuditAction.RETENTION_DELETE, AuditResult.SUCCEEDED, first),
    ]
    backup = trail[0]
    assert backup.result is AuditResult.SUCCEEDED
    assert backup.actor == OPERATOR_ACTOR
    assert backup.key_id is not None
    assert backup.key_version == 1
    assert backup.region == "eu-central-1"
    assert backup.duration_seconds == 3.5
    assert backup.details == {
        "trigger": "schedule", "actorSource": "operator", "sizeBytes": 1234, "tables": 7,
    }  # fmt: skip
    intent, deletion = trail[-2:]
    assert intent.details == {"dataExists": True, "manifestExists": True}
    assert deletion.reason.startswith("retention:")
    assert deletion.details == {"dataDeleted": True, "manifestShredded": True}
    assert deletion.key_id == backup.key_id


async def test_a_failed_run_is_recorded_as_failed_with_its_reason() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)
    (backup,) = world.backups()
    name = backup["metadata"]["name"]
    world.now += timedelta(seconds=20)
    world.finish_job(f"{name}-backup", failed("DatabaseUnreachable"), complete=False)
    await world.tick(force=True)
    (record,) = read_trail(world.store, "prod", namespace=NS, policy=POLICY)
    assert (record.action, record.result, record.reason) == (
        AuditAction.BACKUP, AuditResult.FAILED, "DatabaseUnreachable",
    )  # fmt: skip


async def test_an_on_demand_backup_names_who_asked_for_it() -> None:
    # Given a manual Backup annotated by ``strongroom backup-now``
    world = World()
    world.policy()
    manual = build_backup(
        policy=POLICY, namespace=NS, name="orders-manual", slot=world.now, trigger=Trigger.MANUAL
    )
    manual["metadata"]["annotations"] = {REQUESTED_BY: "system:serviceaccount:ci:release"}
    world.kube.put(BACKUPS, NS, manual)
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job("orders-manual-backup", failed("DumpFailed"), complete=False)
    await world.tick(force=True)

    # Then its record names that account, and says where the name came from
    records = [
        r for r in read_trail(world.store, "prod", namespace=NS) if r.backup == "orders-manual"
    ]
    assert [(r.actor, r.details["actorSource"]) for r in records] == [
        ("system:serviceaccount:ci:release", "annotation")
    ]


def test_a_missing_or_malformed_requester_falls_back_to_the_operator() -> None:
    def annotated(value: str) -> dict[str, object]:
        return {"metadata": {"annotations": {REQUESTED_BY: value}}}

    assert requester({"metadata": {}}) == (OPERATOR_ACTOR, "operator")
    assert requester(annotated("alice")) == ("alice", "annotation")
    assert requester(annotated("x" * 300)) == (OPERATOR_ACTOR, "unreadable-annotation")
    assert requester(annotated("ab" * 20)) == (OPERATOR_ACTOR, "unreadable-annotation")
    assert requester(annotated("bob\nfake line")) == (OPERATOR_ACTOR, "unreadable-annotation")


async def test_a_run_finished_again_after_a_crash_is_recorded_once() -> None:
    # Given a run whose Job finished, finished once by the operator
    world = World()
    world.policy()
    await world.tick(force=True)
    (running,) = world.backups()
    name = running["metadata"]["name"]
    world.now += timedelta(seconds=20)
    world.finish_job(f"{name}-backup", succeeded(name))
    policy = PolicyRef(NS, POLICY, parse_spec(world.body()), world.body())
    jobs = {j["metadata"]["name"]: j for j in world.jobs()}
    await finish_if_done(world.rt, policy, running, jobs)

    # When a restarted operator finishes it again from the Backup as it was (still Running:
    # it crashed before the status write landed)
    world.now += timedelta(seconds=10)
    await finish_if_done(world.rt, policy, running, jobs)

    # Then the bucket holds the run's record once
    records = read_trail(world.store, "prod", namespace=NS, policy=POLICY)
    assert [(r.action, r.backup) for r in records] == [(AuditAction.BACKUP, name)]
