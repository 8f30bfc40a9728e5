"""``strongroom keys``: rotate and destroy only annotate the policy (the operator does the work
and records who asked); list shows states and no material; export never overwrites a file."""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

import pytest
from tests.unit.controller.world import NS, POLICY, World

from strongroom.cli import keys as cli
from strongroom.crypto.keyring import KeyRing, KeyState
from strongroom.kube.base import BACKUP_POLICIES, SECRETS
from strongroom.planner.rotation import (
    DESTROY_ANNOTATION,
    REQUESTED_BY_ANNOTATION,
    ROTATE_ANNOTATION,
)


async def ready() -> World:
    world = World()
    world.policy(schedule={"cron": "0 0 1 1 *"}, objectives={"rpo": "400d"})
    await world.tick(force=True)  # creates the key ring
    return world


def args(**extra: object) -> argparse.Namespace:
    return argparse.Namespace(policy=POLICY, namespace=NS, wait=False, timeout=1.0, **extra)


def asked(world: World) -> dict[str, str]:
    meta = world.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]["metadata"]
    return dict(meta.get("annotations") or {})


def ring(world: World) -> KeyRing:
    secret = world.kube.objects[(SECRETS.plural, NS, "orders-keyring")]
    return KeyRing.from_secret_data({k: base64.b64decode(v) for k, v in secret["data"].items()})


async def test_rotate_names_the_primary_to_replace_and_the_operator_does_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await ready()

    async def carol(kube: object) -> str:
        return "carol"  # what the API server's SelfSubjectReview would answer

    monkeypatch.setattr("strongroom.cli.session.whoami", carol)
    before = dict(world.kube.objects[(SECRETS.plural, NS, "orders-keyring")]["data"])
    assert await cli._rotate(world.kube, args(), world.body()) == cli.EXIT_OK
    assert asked(world) == {ROTATE_ANNOTATION: "1", REQUESTED_BY_ANNOTATION: "carol"}
    assert world.kube.objects[(SECRETS.plural, NS, "orders-keyring")]["data"] == before
    await world.tick(force=True)
    assert ring(world).primary().version == 2


async def test_destroy_refuses_the_primary_and_adds_to_the_requested_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await ready()
    monkeypatch.setenv("USER", "dave")  # no SelfSubjectReview answer: the login name

    async def nobody(kube: object) -> None:
        return None

    monkeypatch.setattr("strongroom.cli.session.whoami", nobody)
    assert await cli._destroy(world.kube, args(version=1), world.body()) == cli.EXIT_USAGE
    assert DESTROY_ANNOTATION not in asked(world)
    world.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]["metadata"]["annotations"] = {
        ROTATE_ANNOTATION: "1"
    }
    await world.tick(force=True)  # v2 primary
    await world.tick(force=True)  # v1 unreferenced: retired
    assert ring(world).get(1).state is KeyState.RETIRED  # type: ignore[union-attr]
    assert await cli._destroy(world.kube, args(version=1), world.body()) == cli.EXIT_OK
    assert asked(world)[DESTROY_ANNOTATION] == "1"
    assert asked(world)[REQUESTED_BY_ANNOTATION] == "dave"
    await world.tick(force=True)
    assert ring(world).get(1).state is KeyState.DESTROYED  # type: ignore[union-attr]


async def test_list_prints_versions_and_states_never_material(
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = await ready()
    assert await cli._list(world.kube, args(), world.body()) == cli.EXIT_OK
    shown = capsys.readouterr().out
    assert "VERSION  STATE    CREATED" in shown
    assert "1        primary" in shown
    material = ring(world).primary().material
    assert material is not None
    assert base64.b64encode(material).decode() not in shown


async def test_export_writes_a_private_file_once(tmp_path: Path) -> None:
    world = await ready()
    out = tmp_path / "escrow.json"
    assert await cli._export(world.kube, args(output=out), world.body()) == cli.EXIT_OK
    assert out.stat().st_mode & 0o777 == 0o600
    assert KeyRing.from_export_json(out.read_bytes()) == ring(world)
    assert await cli._export(world.kube, args(output=out), world.body()) == cli.EXIT_USAGE
