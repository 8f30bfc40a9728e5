"""Keys rotate when the primary is older than rotationPeriod; manifests are re-wrapped to the
primary; a version retires only when no backup references it and it is not primary (F4, F12)."""

from __future__ import annotations

from dataclasses import replace

from planner_world import at, backup, given_policy, observed, ring

from strongroom.api import BackupPhase
from strongroom.planner import (
    Action,
    DestroyKeyVersion,
    Observed,
    Reason,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
    plan,
)
from strongroom.planner.rotation import (
    DESTROY_ANNOTATION,
    ROTATE_ANNOTATION,
    plan_rotation,
    references,
    requested_destruction,
    requested_rotation,
)

NOW = at("2026-06-30 12:00")
POLICY = given_policy(retention={"keepLast": 10})


def key_actions(world: Observed) -> list[Action]:
    return [
        a
        for a in plan(POLICY, world, NOW).actions
        if isinstance(a, RotateKey | RewrapBackup | RetireKeyVersion | DestroyKeyVersion)
    ]


def test_a_young_key_is_left_alone() -> None:
    assert (
        key_actions(observed(backup("2026-06-30 03:00"), key_ring=ring("2026-06-01 00:00"))) == []
    )


def test_a_key_older_than_the_rotation_period_rotates_first() -> None:
    world = observed(backup("2026-06-30 03:00"), key_ring=ring("2026-03-01 00:00"))
    assert key_actions(world) == [RotateKey(Reason.KEY_ROTATION_DUE)]


def test_after_rotation_manifests_not_wrapped_by_the_primary_are_rewrapped_newest_first() -> None:
    world = observed(
        backup("2026-06-28 03:00", key_version=1),
        backup("2026-06-29 03:00", key_version=1),
        backup("2026-06-30 03:00", key_version=2),
        backup("2026-06-30 11:00", key_version=None, phase=BackupPhase.RUNNING),
        key_ring=ring("2026-06-29 12:00", primary=2, versions=(1, 2)),
    )
    assert key_actions(world) == [
        RewrapBackup("orders-202606290300", 1, Reason.MANIFEST_NOT_PRIMARY),
        RewrapBackup("orders-202606280300", 1, Reason.MANIFEST_NOT_PRIMARY),
    ]


def test_a_version_no_backup_references_retires() -> None:
    world = observed(
        backup("2026-06-30 03:00", key_version=2),
        key_ring=ring("2026-06-29 12:00", primary=2, versions=(1, 2)),
    )
    assert key_actions(world) == [RetireKeyVersion(1, Reason.KEY_VERSION_UNREFERENCED)]


def test_the_primary_never_retires_even_when_unreferenced() -> None:
    world = observed(key_ring=ring("2026-06-29 12:00", primary=3, versions=(3,)))
    assert key_actions(world) == []


def test_an_unknown_key_version_on_a_good_backup_blocks_every_retirement() -> None:
    world = observed(
        backup("2026-06-30 03:00", key_version=2),
        backup("2026-06-29 03:00", key_version=None),
        key_ring=ring("2026-06-29 12:00", primary=2, versions=(1, 2)),
    )
    assert key_actions(world) == []


def test_a_backup_being_deleted_still_holds_its_version_until_it_is_gone() -> None:
    old = backup("2026-06-01 03:00", key_version=1)
    actions = plan_rotation(
        POLICY,
        ring("2026-06-29 12:00", primary=2, versions=(1, 2)),
        (old,),
        NOW,
        deleting=frozenset({old.name}),
    )
    assert actions == ()


def test_kms_keys_are_not_rotated_by_the_operator() -> None:
    policy = given_policy(
        encryption={"kmsKeyId": "arn:aws:kms:eu-central-1:1:key/k", "keyRingSecretRef": None}
    )
    result = plan(policy, observed(backup("2026-06-30 03:00")), NOW)
    assert [a for a in result.actions if isinstance(a, RotateKey)] == []


def test_references_list_the_backups_each_version_wraps() -> None:
    backups = (
        backup("2026-06-29 03:00", key_version=1),
        backup("2026-06-30 03:00", key_version=2),
        backup("2026-06-28 03:00", key_version=1),
        backup("2026-06-30 11:00", key_version=None, phase=BackupPhase.RUNNING),
    )
    assert references(backups) == {
        1: ("orders-202606280300", "orders-202606290300"),
        2: ("orders-202606300300",),
    }


def test_a_requested_rotation_replaces_the_named_primary_once() -> None:
    asked = replace(ring("2026-06-29 12:00", primary=2, versions=(1, 2)), rotate_requested_from=2)
    assert key_actions(observed(key_ring=asked)) == [RotateKey(Reason.KEY_ROTATION_REQUESTED)]
    done = replace(asked, primary_version=3, versions=(1, 2, 3))
    assert RotateKey(Reason.KEY_ROTATION_REQUESTED) not in key_actions(observed(key_ring=done))


def test_a_retired_version_is_not_retired_again() -> None:
    world = observed(
        backup("2026-06-30 03:00", key_version=2),
        key_ring=replace(ring("2026-06-29 12:00", primary=2, versions=(1, 2)), retired=(1,)),
    )
    assert key_actions(world) == []


def test_destruction_waits_for_retirement_and_for_no_backup_to_need_the_version() -> None:
    base = ring("2026-06-29 12:00", primary=3, versions=(1, 2, 3))
    asked = replace(base, destroy_requested=(1, 2), retired=(1, 2))
    world = observed(backup("2026-06-30 03:00", key_version=3), key_ring=asked)
    assert key_actions(world) == [
        DestroyKeyVersion(1, Reason.KEY_DESTRUCTION_REQUESTED),
        DestroyKeyVersion(2, Reason.KEY_DESTRUCTION_REQUESTED),
    ]
    not_yet_retired = replace(asked, retired=())
    assert DestroyKeyVersion(1, Reason.KEY_DESTRUCTION_REQUESTED) not in key_actions(
        observed(backup("2026-06-30 03:00", key_version=3), key_ring=not_yet_retired)
    )
    gone = replace(asked, destroyed=(1, 2))
    assert key_actions(observed(key_ring=gone)) == []


def test_key_requests_are_read_from_annotations_and_nonsense_is_ignored() -> None:
    assert requested_rotation({ROTATE_ANNOTATION: " 4 "}) == 4
    assert requested_rotation({ROTATE_ANNOTATION: "latest"}) is None
    assert requested_destruction({DESTROY_ANNOTATION: "3,1, x,1"}) == (1, 3)
    assert requested_destruction({}) == ()


def test_no_version_retires_while_a_run_is_in_flight() -> None:
    world = observed(
        backup("2026-06-30 03:00", key_version=2),
        backup("2026-06-30 11:00", key_version=None, phase=None),
        key_ring=ring("2026-06-29 12:00", primary=2, versions=(1, 2)),
    )
    assert key_actions(world) == []
